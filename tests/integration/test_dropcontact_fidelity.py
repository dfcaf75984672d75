"""Dropcontact through the whole client, under each reading of what its seeds leave open.

Credits and HTTP calls are counted at the simulator.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from contact_udfs.models import Operation, Status
from contact_udfs.sandbox import Sandbox
from contact_udfs.store.base import JobRecord


@pytest.fixture
def readings(sandbox: Sandbox) -> Iterator:
    yield sandbox.dropcontact_reading
    sandbox.dropcontact_reading(reset=True)
    sandbox.set_job_delay(0)


@pytest.mark.parametrize("echo", ["exact", "padded"])
def test_a_forced_partial_result_is_collected_later_for_nothing(sandbox, client_for, readings,
                                                                echo):
    readings(force_echo=echo)
    sandbox.set_job_polls_before_ready(10**6)  # not ready while the first run waits
    emails = sandbox.world.sample_emails(200, seed=11)
    client = client_for("dropcontact")
    first = client.run(Operation.VERIFY, emails, poll_timeout=0.2)
    assert sandbox.credits_spent("dropcontact") == 200
    done = [a for a in first.results if a.reason != "pending"]
    assert len(done) == 100 and first.report.pending == 100  # forceResults: half processed
    assert all(a.status is not Status.UNKNOWN or a.reason != "not_returned" for a in done)
    assert [j.keys for j in client.store.journal_open("dropcontact", "verify")] != []

    sandbox.set_job_polls_before_ready(0)  # the job is ready now
    sandbox.reset_counters()
    later = client_for("dropcontact").run(Operation.VERIFY, emails)
    assert sandbox.credits_spent("dropcontact") == 0
    assert sandbox.requests("dropcontact.submit") == 0 and sandbox.requests("dropcontact.poll") >= 1
    assert later.report.pending == 0
    assert all(a.reason not in ("pending", "not_returned") for a in later.results)
    assert [a.email for a in later.results] == emails
    assert client.store.journal_open("dropcontact", "verify") == []


def test_a_failed_job_ends_at_once_with_provider_error(sandbox, client_for, readings):
    sandbox.set_job_polls_before_ready(2)
    readings(job_error="An error occurred while processing the request")
    emails = sandbox.world.sample_emails(6, seed=12)
    client = client_for("dropcontact")
    run = client.run(Operation.VERIFY, emails)
    assert {(a.status, a.reason, a.retryable) for a in run.results} == {
        (Status.UNKNOWN, "provider_error", True)}
    assert sandbox.requests("dropcontact.poll") == 1
    assert client.store.journal_open("dropcontact", "verify") == []
    sandbox.reset_counters()
    again = client_for("dropcontact").run(Operation.VERIFY, emails)
    assert sandbox.requests("*") == 0 and again.report.pending == 0  # stored, not re-sent


@pytest.mark.parametrize("reading", ["404", "not_ready"])
def test_a_journaled_job_the_vendor_does_not_know(sandbox, client_for, readings, reading):
    readings(unknown_id=reading)
    emails = sandbox.world.sample_emails(3, seed=13)
    client = client_for("dropcontact")
    client.store.journal_add(JobRecord(
        provider="dropcontact", operation="verify", job_id="lost-job", keys=list(emails),
        meta={"api": "v1"}, owner="someone", created_at=time.time()))
    run = client.run(Operation.VERIFY, emails, poll_timeout=0.5)
    assert sandbox.credits_spent("dropcontact") == 0
    if reading == "404":  # seed 000 lists it: answered at once, retryable
        assert {(a.reason, a.retryable) for a in run.results} == {("job_lost", True)}
        assert sandbox.requests("dropcontact.poll") == 1
        assert client.store.journal_open("dropcontact", "verify") == []
    else:  # indistinguishable from a slow job: still pending, still journaled
        assert {a.reason for a in run.results} == {"pending"}
        assert len(client.store.journal_open("dropcontact", "verify")) == 1


def test_an_oversized_contact_is_invalid_and_the_rest_goes(sandbox, client_for):
    people = [p for p in sandbox.world.people() if p["dropcontact_findable"]][:4]
    rows = [{"first_name": p["first_name"], "last_name": p["last_name"],
             "company": p["company"]} for p in people]
    rows[1]["job"] = "x" * 16_000
    run = client_for("dropcontact").run(Operation.ENRICH, rows)
    assert (run.results[1].status, run.results[1].reason) == (Status.INVALID,
                                                              "contact_too_large")
    assert [a.email for i, a in enumerate(run.results) if i != 1] == [
        p["email"] for i, p in enumerate(people) if i != 1]
    assert sandbox.credits_spent("dropcontact") == 3
    assert sandbox.requests("dropcontact.submit") == 1


@pytest.mark.parametrize("echo", [True, False])
def test_legacy_through_the_client(sandbox, client_for, readings, echo):
    readings(legacy_echo=echo)
    emails = sandbox.world.sample_emails(20, seed=14)
    client = client_for("dropcontact", DROPCONTACT_API="legacy")
    run = client.run(Operation.VERIFY, emails)
    assert run.report.pending == 0 and all(a.provider == "dropcontact" for a in run.results)
    assert all(a.reason not in ("not_returned", "provider_error") for a in run.results)
    assert sandbox.requests("dropcontact.legacy_submit") == 1
    assert sandbox.requests("dropcontact.submit") == 0
    assert sandbox.credits_spent("dropcontact") == 20
    sandbox.reset_counters()
    assert client.credits()["dropcontact"] == sandbox.balance("dropcontact")
    assert sandbox.requests("*") == 0  # the submit's credits_left, no extra call
