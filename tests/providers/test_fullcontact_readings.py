"""FullContact where seed 003 is silent or easy to misread, under each sandbox reading.

Corrected typos, spamtraps and the 403 that means "no key" *or* "rate limit": every
outcome is checked against what the simulator was asked and billed.
"""

from __future__ import annotations

import pytest

from contact_udfs.exceptions import AuthenticationError, QuotaExceededError
from contact_udfs.http import RetryPolicy
from contact_udfs.models import Operation, Status
from contact_udfs.providers.base import Task
from contact_udfs.sandbox.emailaddr import correct_email


def _tasks(emails: list[str]) -> list[Task]:
    return [Task(e, {"email": e}) for e in emails]


def test_corrected_typos_are_never_deliverable_as_typed(make, sandbox) -> None:
    typos = sandbox.world.typo_emails(20)
    fc = make("fullcontact")
    job = fc.submit(Operation.VERIFY, _tasks(typos)).job
    assert job is not None and fc.poll(job) is None
    answers = fc.poll(job)
    judged = [a for a in answers.values() if a.reason != "unknown_email"]
    assert len(judged) >= 10
    for typo, answer in answers.items():
        assert answer.status is not Status.DELIVERABLE, typo
        assert answer.email == answer.address == typo
        if answer in judged:
            assert answer.suggestion == correct_email(typo)[0]
            assert (answer.status, answer.reason) in (
                (Status.RISKY, "corrected"), (Status.UNDELIVERABLE, "rejected_email"))
    assert any(a.reason == "corrected" for a in judged)
    assert sandbox.credits_spent("fullcontact") == 20
    assert set(sandbox.charges("fullcontact").values()) == {1}


def test_a_single_corrected_typo_is_risky_with_the_fix(make, sandbox) -> None:
    typo = sandbox.world.typo_emails(1)[0]  # ada.lovelace@acme-robotics.ocm
    answer = make("fullcontact").submit(Operation.VERIFY, _tasks([typo])).answers[typo]
    assert (answer.status, answer.reason) == (Status.RISKY, "corrected")
    assert answer.suggestion == typo.removesuffix(".ocm") + ".com"
    assert sandbox.requests("fullcontact.single") == 1
    assert sandbox.credits_spent("fullcontact") == 1


@pytest.mark.parametrize("spamtraps", [False, True])
def test_spamtraps_are_risky(make, sandbox, spamtraps: bool) -> None:
    sandbox.set_readings(spamtraps=spamtraps)
    traps = sandbox.world.spamtraps(4)
    fc = make("fullcontact")
    job = fc.submit(Operation.VERIFY, _tasks(traps)).job
    fc.poll(job)
    answers = fc.poll(job)
    expected = (Status.RISKY, "spamtrap") if spamtraps else (Status.DELIVERABLE,
                                                             "accepted_email")
    assert {(a.status, a.reason) for a in answers.values()} == {expected}
    assert sandbox.credits_spent("fullcontact") == 4


@pytest.mark.parametrize("reading", ["worded", "bare"])
def test_a_rate_limit_403_is_waited_out_and_resent(make, sandbox, reading: str) -> None:
    sandbox.set_readings(fullcontact_403=reading)
    sandbox.set_rate("fullcontact", 1, 1.0)
    fc = make("fullcontact", policy=RetryPolicy())  # the user's default retry policy
    emails = ["ada.lovelace@gmail.com", "grace.hopper@gmail.com"]
    answers = {}
    for email in emails:
        sub = fc.submit(Operation.VERIFY, _tasks([email]))
        assert sub.error is None
        answers.update(sub.answers)
    assert all(a.reason not in ("provider_error", "connection_lost") for a in answers.values())
    assert sandbox.stats()["rate_limited"]["fullcontact"] >= 1  # the 403 did happen
    assert sandbox.requests("fullcontact.single") >= 3
    assert sandbox.charges("fullcontact") == {e: 1 for e in emails}  # refused, never billed


def test_a_worded_bad_key_403_stops_at_once(make, sandbox) -> None:
    with pytest.raises(AuthenticationError):
        make("fullcontact", key="wrong").submit(Operation.VERIFY, _tasks(["a@x.co"]))
    assert sandbox.requests("fullcontact.single") == 1  # no re-send
    assert sandbox.credits_spent("fullcontact") == 0


@pytest.mark.parametrize("trigger", ["bad_key", "no_credits"])
def test_a_bare_403_is_never_out_of_credits(make, sandbox, trigger: str) -> None:
    sandbox.set_readings(fullcontact_403="bare")
    if trigger == "no_credits":
        sandbox.set_balance("fullcontact", 0)
    fc = make("fullcontact", key="wrong" if trigger == "bad_key" else None)
    with pytest.raises(AuthenticationError) as info:
        fc.client.call("GET", "/v2/verification/email", paid=True, params={"email": "a@x.co"})
    assert not isinstance(info.value, QuotaExceededError)
    assert info.value.status_code == 403 and "rate limit" in str(info.value)
    assert sandbox.requests("fullcontact.single") == fc.client.policy.attempts
    assert sandbox.credits_spent("fullcontact") == 0
