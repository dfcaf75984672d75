"""FullContact: rule table, single vs batch, keys as sent, corrections, vanished jobs."""

from __future__ import annotations

from typing import Any

import pytest

from contact_udfs.exceptions import AuthenticationError, QuotaExceededError, RateLimitError
from contact_udfs.models import Operation, Status
from contact_udfs.providers.base import JobRef, Task
from contact_udfs.providers.fullcontact import (
    FALLBACK,
    RULES,
    Rule,
    _forbidden,
    _resend_forbidden,
    verdict,
    verification_fields,
)
from contact_udfs.sandbox import get_world
from contact_udfs.sandbox.emailaddr import correct_email


def _entry(**attrs: Any) -> dict[str, Any]:
    base = {"validSyntax": True, "deliverable": True, "catchall": False, "risky": False,
            "disposable": False}
    send_safely = attrs.pop("sendSafely", True)
    return {"address": "ada@acme.com", "corrected": False, "sendSafely": send_safely,
            "attributes": {**base, **attrs},
            "person": "https://api.fullcontact.com/v2/person.json?email=ada@acme.com&apiKey=",
            "company": "https://api.fullcontact.com/v2/company/lookup.json?domain=acme.com"}


@pytest.mark.parametrize("attrs, status, reason, flags", [
    ({}, Status.DELIVERABLE, "accepted_email", {"free": False, "syntax_valid": True}),
    ({"validSyntax": False}, Status.INVALID, "invalid_email", {"syntax_valid": False}),
    ({"disposable": True}, Status.RISKY, "disposable", {"disposable": True}),
    ({"risky": True}, Status.RISKY, "spamtrap", {}),
    ({"catchall": True}, Status.RISKY, "accept_all", {"catch_all": True}),
    ({"deliverable": False, "sendSafely": False}, Status.UNDELIVERABLE, "rejected_email", {}),
    ({"sendSafely": False}, Status.RISKY, "send_unsafe", {}),
    ({"deliverable": None}, Status.UNKNOWN, "no_verdict", {}),
    ({"deliverable": None, "sendSafely": False}, Status.UNKNOWN, "no_verdict", {}),
    # seed 003 precedence: a bounce is a bounce, whatever the other flags say
    ({"deliverable": False, "disposable": True}, Status.UNDELIVERABLE, "rejected_email", {}),
    ({"deliverable": False, "catchall": True}, Status.UNDELIVERABLE, "rejected_email", {}),
    ({"deliverable": False, "risky": True}, Status.UNDELIVERABLE, "rejected_email", {}),
    ({"risky": True, "catchall": True}, Status.RISKY, "spamtrap", {}),
])
def test_attribute_table(attrs: dict[str, Any], status: Status, reason: str,
                         flags: dict[str, Any]) -> None:
    fields = verification_fields(_entry(**attrs), "ada@acme.com")
    assert (fields["status"], fields["reason"]) == (status, reason)
    for name, value in flags.items():
        assert fields[name] == value


@pytest.mark.parametrize("attrs, status", [
    ({}, Status.RISKY),
    ({"catchall": True}, Status.RISKY),
    ({"deliverable": False}, Status.UNDELIVERABLE),
])
def test_a_correction_is_never_deliverable_as_typed(attrs: dict[str, Any],
                                                    status: Status) -> None:
    entry = {**_entry(**attrs), "address": "matt@fullcontact.com", "corrected": True}
    fields = verification_fields(entry, "matt@fullcontact.ocm")
    assert fields["status"] is status
    assert fields["reason"] == ("corrected" if status is Status.RISKY else "rejected_email")
    assert fields["address"] == "matt@fullcontact.ocm"
    assert fields["suggestion"] == "matt@fullcontact.com"


def test_corrected_flag_without_a_change_is_no_correction() -> None:
    entry = {**_entry(), "address": "Ada@Acme.com", "corrected": True}
    fields = verification_fields(entry, "ada@acme.com")
    assert (fields["status"], fields["suggestion"]) == (Status.DELIVERABLE, None)


def test_rules_are_data_and_ordered() -> None:
    assert all(isinstance(r, Rule) for r in RULES)
    reasons = [r.reason for r in RULES]
    assert reasons.index("rejected_email") < min(
        reasons.index(x) for x in ("disposable", "spamtrap", "accept_all", "corrected"))
    assert verdict({"deliverable": True}) == (Status.DELIVERABLE, "accepted_email")
    assert verdict({}) == FALLBACK


def test_no_company_link_means_free_mail() -> None:
    entry = _entry()
    del entry["company"]
    assert verification_fields(entry, "ada@gmail.com")["free"] is True


@pytest.mark.parametrize("message, cls, resent", [
    ("API Key is missing or invalid.", AuthenticationError, False),
    ("No API key supplied", AuthenticationError, False),
    ("Usage quota for the provided API Key has been exceeded (no credits left).",
     QuotaExceededError, False),
    ("Rate limit for the provided API Key has been exceeded. Please try again later.",
     RateLimitError, True),
    ("", AuthenticationError, True),  # says nothing: re-sent, and never "out of credits"
    ("Forbidden", AuthenticationError, True),
])
def test_403_is_told_apart_by_its_message(message: str, cls: type, resent: bool) -> None:
    assert _forbidden(message) is cls
    assert _resend_forbidden(message) is resent


def test_single_email_is_one_synchronous_get(make, sandbox) -> None:
    fc = make("fullcontact")
    key = "ada.lovelace@gmial.com"  # a typo FullContact auto-corrects
    sub = fc.submit(Operation.VERIFY, [Task(key, {"email": key})])
    assert sub.job is None
    answer = sub.answers[key]
    assert answer.email == answer.address == key
    assert answer.suggestion == "ada.lovelace@gmail.com"
    assert answer.status in (Status.RISKY, Status.UNDELIVERABLE)  # never deliverable
    assert sandbox.requests("fullcontact.single") == 1
    assert sandbox.credits_spent("fullcontact") == 1


def test_batch_answers_are_keyed_as_sent(make, sandbox) -> None:
    world = get_world(0)
    emails = world.sample_emails(40, seed=11)
    fc = make("fullcontact")
    job = fc.submit(Operation.VERIFY, [Task(e, {"email": e}) for e in emails]).job
    assert job is not None and job.keys == tuple(emails)
    assert fc.poll(job) is None
    answers = fc.poll(job)
    assert set(answers) == set(emails)
    for email in emails:
        corrected, was_typo = correct_email(email)  # FullContact judges the corrected address
        truth, answer = world.verdict(corrected), answers[email]
        assert answer.email == email and answer.provider == "fullcontact"
        if truth.fullcontact_failed:
            assert (answer.reason, answer.retryable) == ("failed_email", True)
        elif truth.status == "unknown":
            assert (answer.reason, answer.retryable) == ("unknown_email", True)
        elif was_typo:
            assert answer.status in (Status.RISKY, Status.UNDELIVERABLE)
            assert answer.suggestion == corrected
        elif truth.accept_all:
            assert (answer.status, answer.catch_all) == (Status.RISKY, True)
        elif truth.disposable:
            assert answer.status is Status.RISKY and answer.disposable
        elif truth.status == "deliverable":
            assert answer.status is Status.DELIVERABLE
        else:
            assert answer.status in (Status.UNDELIVERABLE, Status.INVALID)
    assert sandbox.credits_spent("fullcontact") == 40
    assert sandbox.requests("fullcontact.submit") == 1


def test_final_poll_of_an_unfinished_batch_has_no_partial_results(make, sandbox) -> None:
    sandbox.set_job_polls_before_ready(50)
    fc = make("fullcontact")
    job = fc.submit(Operation.VERIFY, [Task(e, {"email": e}) for e in ("a@x.co", "b@x.co")]).job
    assert fc.poll(job, final=True) is None


def test_vanished_batch_becomes_retryable_unknowns(make, sandbox) -> None:
    fc = make("fullcontact")
    job = JobRef("fullcontact", Operation.VERIFY, "gone-vs", ("a@x.co", "b@x.co"))
    answers = fc.poll(job)
    assert {k: (a.status, a.reason, a.retryable) for k, a in answers.items()} == {
        k: (Status.UNKNOWN, "job_expired", True) for k in job.keys}
    assert sandbox.requests("fullcontact.poll") == 1  # a 404 is not retried


def test_webhook_url_option(make, sandbox) -> None:
    hook = "http://127.0.0.1:9/fc-hook"
    fc = make("fullcontact", webhook_url=hook)
    emails = ["x1@example.org", "x2@example.org"]
    fc.submit(Operation.VERIFY, [Task(e, {"email": e}) for e in emails])
    delivery = sandbox.wait_webhooks(1, timeout=5.0)[0]
    assert delivery["url"] == hook
    assert set(delivery["payload"]["response"]["emails"]) | set(
        delivery["payload"]["response"]["unknownEmails"]) | set(
        delivery["payload"]["response"]["failedEmails"]) == set(emails)


def test_batch_size_limit(make, sandbox) -> None:
    fc = make("fullcontact")
    tasks = [Task(f"p{i}@example.org", {"email": f"p{i}@example.org"}) for i in range(301)]
    with pytest.raises(ValueError, match="at most 300"):
        fc.submit(Operation.VERIFY, tasks)
    assert sandbox.requests("*") == 0
    assert fc.submit(Operation.VERIFY, tasks[:300]).job is not None
    assert sandbox.credits_spent("fullcontact") == 300


def test_verify_only_and_no_balance_endpoint(make, sandbox) -> None:
    fc = make("fullcontact")
    assert fc.operations == {Operation.VERIFY}
    assert fc.unsupported(Operation.FIND, {"domain": "acme.com"}) == "unsupported_operation"
    assert fc.cost(Operation.FIND) == 0 and fc.cost(Operation.VERIFY) == 1
    with pytest.raises(ValueError):
        fc.submit(Operation.FIND, [Task("k", {"domain": "acme.com"})])
    assert fc.credits() is None
    assert sandbox.requests("*") == 0


def test_raw_never_keeps_the_key(make, sandbox) -> None:
    fc = make("fullcontact")
    key = sandbox.keys["fullcontact"]
    entry = {**_entry(), "person": f"https://api.fullcontact.com/v2/person.json?apiKey={key}"}
    answer = fc._answer(Operation.VERIFY, "ada@acme.com", entry)
    assert key not in answer.to_json()
