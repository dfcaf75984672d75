"""ColdLead: verdict table, finder, per-item 422, stop part-way on 402/401, pacing."""

from __future__ import annotations

import time
from typing import Any

import pytest

from contact_udfs.exceptions import AuthenticationError, QuotaExceededError
from contact_udfs.models import FoundEmail, Operation, Status
from contact_udfs.providers.base import Task
from contact_udfs.providers.coldlead import verification_fields
from contact_udfs.sandbox import get_world


@pytest.mark.parametrize("data, status, reason, retryable, flags", [
    ({"status": "deliverable", "reason": "accepted_email"}, Status.DELIVERABLE,
     "accepted_email", False, {}),
    ({"status": "deliverable", "reason": "role", "role_address": True}, Status.DELIVERABLE,
     "role", False, {"role": True}),
    ({"status": "risky", "reason": "accept_all", "accept_all": True}, Status.RISKY,
     "accept_all", False, {"catch_all": True}),
    ({"status": "risky", "reason": "disposable", "disposable": True}, Status.RISKY,
     "disposable", False, {"disposable": True}),
    ({"status": "unknown", "reason": "timeout"}, Status.UNKNOWN, "timeout", True, {}),
    ({"status": "unknown", "reason": "no_connect"}, Status.UNKNOWN, "no_connect", True, {}),
    ({"status": "unknown", "reason": "unavailable_smtp"}, Status.UNKNOWN, "unavailable_smtp",
     True, {}),
    ({"status": "undeliverable", "reason": "rejected_email"}, Status.UNDELIVERABLE,
     "rejected_email", False, {}),
    ({"status": "undeliverable", "reason": "invalid_domain"}, Status.UNDELIVERABLE,
     "invalid_domain", False, {}),
    ({"status": "undeliverable", "reason": "invalid_email"}, Status.INVALID, "invalid_email",
     False, {"syntax_valid": False}),
    ({"status": "deliverable", "free": True}, Status.DELIVERABLE, None, False, {"free": True}),
    ({"status": "???"}, Status.UNKNOWN, None, False, {}),
])
def test_verdict_table(data: dict[str, Any], status: Status, reason: str | None,
                       retryable: bool, flags: dict[str, Any]) -> None:
    fields = verification_fields({"email": "Ada@Acme.com", **data}, "ada@acme.com")
    assert (fields["status"], fields["reason"], fields["retryable"]) == (status, reason,
                                                                          retryable)
    assert fields["address"] == "ada@acme.com"
    for name, value in flags.items():
        assert fields[name] == value


def _tasks(emails: list[str]) -> list[Task]:
    return [Task(e, {"email": e}) for e in emails]


def test_verify_matches_the_world(make, sandbox) -> None:
    world = get_world(0)
    emails = [e for e in world.sample_emails(25, seed=21) if world.verdict(e).syntax_valid]
    sub = make("coldlead").submit(Operation.VERIFY, _tasks(emails))
    assert sub.error is None and set(sub.answers) == set(emails)
    for email in emails:
        v, a = world.verdict(email), sub.answers[email]
        assert a.status.value == v.status and a.reason == v.reason
        assert (a.catch_all, a.disposable, a.role, a.free) == (v.accept_all, v.disposable,
                                                               v.role, v.free)
    assert sandbox.credits_spent("coldlead") == len(emails)
    assert set(sandbox.charges("coldlead").values()) == {1}


def test_finder_hits_and_misses_both_cost_a_credit(make, sandbox) -> None:
    people = get_world(0).people()
    hit = next(p for p in people if p["coldlead_findable"])
    miss = next(p for p in people if not p["coldlead_findable"])
    tasks = [Task(f"t{i}", {"first_name": p["first_name"], "last_name": p["last_name"],
                            "domain": p["domain"], "company": p["company"]})
             for i, p in enumerate((hit, miss))]
    answers = make("coldlead").submit(Operation.FIND, tasks).answers
    found, missed = answers["t0"], answers["t1"]
    assert isinstance(found, FoundEmail) and found.email == hit["email"]
    assert found.confidence == {"deliverable": 0.9, "risky": 0.6, "unknown": 0.3}[
        found.status.value]
    assert (found.first_name, found.domain, found.company) == (hit["first_name"],
                                                               hit["domain"], hit["company"])
    assert (missed.email, missed.status, missed.reason) == (None, Status.UNKNOWN, "not_found")
    assert not missed.retryable
    assert sandbox.credits_spent("coldlead") == 2


def test_finder_needs_a_domain(make, sandbox) -> None:
    cl = make("coldlead")
    assert cl.unsupported(Operation.FIND, {"first_name": "Ada", "last_name": "L",
                                           "company": "Acme"}) == "needs_domain"
    assert cl.unsupported(Operation.FIND, {"domain": "acme.com"}) == "needs_name"
    assert cl.unsupported(Operation.FIND, {"full_name": "Ada L",
                                           "website": "https://www.acme.com/x"}) is None
    assert cl.unsupported(Operation.ENRICH, {}) == "unsupported_operation"


def test_422_answers_that_item_invalid_at_no_cost(make, sandbox) -> None:
    bad, good = "no-at-sign", "ada.lovelace@gmail.com"
    sub = make("coldlead").submit(Operation.VERIFY, _tasks([bad, good]))
    assert (sub.answers[bad].status, sub.answers[bad].reason) == (Status.INVALID,
                                                                  "provider_rejected")
    assert not sub.answers[bad].retryable
    assert sub.answers[good].status is not Status.INVALID
    assert sandbox.credits_spent("coldlead") == 1


def test_out_of_credits_part_way_keeps_what_was_paid(make, sandbox) -> None:
    sandbox.set_balance("coldlead", 3)
    emails = [f"p{i}@example.org" for i in range(6)]
    sub = make("coldlead").submit(Operation.VERIFY, _tasks(emails))
    assert set(sub.answers) == set(emails[:3])
    assert isinstance(sub.error, QuotaExceededError) and sub.error.status_code == 402
    assert sandbox.requests("coldlead.verify") == 4  # stopped at the first 402
    assert sandbox.credits_spent("coldlead") == 3


def test_wrong_key_stops_before_paying(make, sandbox) -> None:
    sub = make("coldlead", key="wrong").submit(Operation.VERIFY, _tasks(["a@x.co", "b@x.co"]))
    assert sub.answers == {} and isinstance(sub.error, AuthenticationError)
    assert sandbox.requests("coldlead.verify") == 1


def test_batch_size_limit(make, sandbox) -> None:
    cl = make("coldlead")
    with pytest.raises(ValueError, match="at most 25"):
        cl.submit(Operation.VERIFY, _tasks([f"p{i}@example.org" for i in range(26)]))
    assert sandbox.requests("*") == 0


def test_credits_from_the_account(make, sandbox) -> None:
    sandbox.set_balance("coldlead", 77)
    assert make("coldlead").credits() == 77
    assert sandbox.credits_spent("coldlead") == 0


def test_429_is_waited_out_and_resent_once(make, sandbox) -> None:
    sandbox.inject("coldlead.verify", "429", retry_after=1)
    email = "ada.lovelace@gmail.com"
    sub = make("coldlead").submit(Operation.VERIFY, _tasks([email]))
    assert sub.error is None and sub.answers[email].status is not Status.UNKNOWN
    assert sandbox.requests("coldlead.verify") == 2 and sandbox.count_429("coldlead") == 1
    assert sandbox.charges("coldlead") == {email: 1}


def test_pacing_under_a_tight_window_never_provokes_429(make, sandbox,
                                                        record_property) -> None:
    sandbox.set_rate("coldlead", 20, 2.0)
    cl = make("coldlead", rate="20/2")
    emails = [f"pace{i}@example.org" for i in range(100)]
    started = time.monotonic()
    for i in range(0, 100, cl.max_batch):
        sub = cl.submit(Operation.VERIFY, _tasks(emails[i:i + cl.max_batch]))
        assert sub.error is None
    elapsed = time.monotonic() - started
    achieved = 100 / elapsed
    # 20 per fixed 2 s window: the fastest legal run of 100 calls takes 4 full windows
    fastest = (100 / 20 - 1) * 2.0
    record_property("coldlead_rate_achieved_per_s", round(achieved, 2))
    record_property("coldlead_rate_allowed_per_s", 20 / 2.0)
    record_property("coldlead_pacing_efficiency", round(fastest / elapsed, 3))
    print(f"coldlead pacing: 100 calls in {elapsed:.2f} s ({achieved:.2f} req/s) under 20/2 s; "
          f"fastest legal run {fastest:.1f} s -> {fastest / elapsed:.0%} of the allowed rate, "
          f"{sandbox.count_429('coldlead')} x 429")
    assert sandbox.count_429("coldlead") == 0
    assert sandbox.requests("coldlead.verify") == 100
    assert sandbox.credits_spent("coldlead") == 100
