"""RunState's bookkeeping: a batch of cached answers counts as each answer added alone."""

from __future__ import annotations

from contact_udfs.core.reports import RunReport
from contact_udfs.core.runstate import RunState
from contact_udfs.models import FoundEmail, Operation, Status, Verification


def _state() -> RunState:
    return RunState(
        operation=Operation.VERIFY, owner="me", payloads={}, report=RunReport(operation="verify"),
        retry_unknown=False, budget=None, progress=None,
    )  # fmt: skip


def test_add_many_settles_as_add_does_by_each_kind_of_answer():
    answers = {
        "a": Verification(status=Status.DELIVERABLE),
        "b": Verification(status=Status.RISKY, reason="role"),  # not a verdict on the mailbox
        "c": Verification(status=Status.UNKNOWN),
        "d": FoundEmail(status=Status.RISKY),  # no address: not settled
        "e": FoundEmail(email="x@y.com", status=Status.RISKY),
    }
    one, many = _state(), _state()
    one.add("a", Verification(status=Status.UNKNOWN))
    many.add("a", Verification(status=Status.UNKNOWN))
    settled_alone = sum(one.add(key, answer) for key, answer in answers.items())
    assert many.add_many(answers) == settled_alone == 2
    assert many.settled_keys == one.settled_keys == {"a", "e"}
    assert many.answers == one.answers and len(many.answers["a"]) == 2
    assert many.add_many({}) == 0
