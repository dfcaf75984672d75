"""Faults on the free side of a job: polls that fail, answer garbage or time out, and
job ids that never become ready.

Polls are free, so the client retries them on every transient error; a job that never
gets ready leaves its contacts ``pending`` (journaled, charged once) rather than paid
again, and is given up as ``job_lost`` only once it is older than the vendor keeps jobs.

The two deadline tests poll for as long as their deadline allows, so their request
counts depend on timing: they stay out of the fault table (which must be reproducible).
"""

from __future__ import annotations

import pytest
from fault_helpers import POLLS, assert_nothing_paid_is_lost, exercise, label

from contact_udfs import Status
from contact_udfs.core import jobs as jobs_module

JOB_PROVIDERS = ["dropcontact", "fullcontact"]
#: (a 429 on polls is covered by the deadline test below)
POLL_FAULTS = [
    ("malformed_json", {}), ("500", {}), ("524", {"html": True}), ("drop", {}),
    ("lost_response", {}), ("slow", {"delay": 1.0}),
]  # fmt: skip


@pytest.mark.parametrize("provider", JOB_PROVIDERS)
@pytest.mark.parametrize(("fault", "params"), POLL_FAULTS, ids=[label(*f) for f in POLL_FAULTS])
def test_poll_faults_are_retried_for_free(
    sb, make_client, ledger, baseline, provider, fault, params
):
    """A failed or garbled job poll is simply asked again: every contact is answered in
    the same call, after one submit and one charge each."""
    sb.inject(POLLS[provider], fault, times=1, **params)
    emails = sb.world.sample_emails(40, seed=21)
    out = exercise(sb, make_client(provider), provider, [emails], ledger, baseline)
    assert not out["hit"], {k: out["first"][k].reason for k in out["hit"]}
    assert sb.stats()["faults"][POLLS[provider]] == {fault: 1}
    assert sb.requests(f"{provider}.submit") == 1
    assert sb.credits_spent(provider) == len(emails)


@pytest.mark.parametrize("provider", JOB_PROVIDERS)
def test_poll_failing_past_the_deadline_leaves_contacts_pending(
    sb, make_client, baseline, provider
):
    """Polls refused until the poll deadline leave the job journaled and its contacts
    pending; the next call collects the answers without a new submit.

    (429 with ``Retry-After: 0`` keeps the test fast: each refused poll is re-sent at
    once instead of after a growing backoff.)"""
    sb.inject(POLLS[provider], "429", times=10_000, retry_after=0)
    emails = sb.world.sample_emails(20, seed=22)
    client = make_client(provider, CONTACT_UDFS_POLL_TIMEOUT="1")
    run = client.run("verify", emails)
    assert {r.reason for r in run.results} == {"pending"}
    assert run.report.pending == len(emails)
    assert_nothing_paid_is_lost(sb, provider, client)
    sb.clear_faults()
    again = client.run("verify", emails)
    assert again.report.pending == 0 and again.report.credits == {}
    assert sb.requests(f"{provider}.submit") == 1
    assert max(sb.charges(provider).values()) == 1
    assert {k.lower(): (r.status.value, r.reason) for k, r in zip(emails, again.results)} == (
        baseline(provider, emails)
    )


@pytest.mark.parametrize("provider", JOB_PROVIDERS)
def test_never_ready_job_stays_pending_then_is_given_up(
    sb, make_client, baseline, provider, monkeypatch
):
    """A job id that never becomes ready: its contacts stay ``pending`` and are never
    paid again while the job is young; once it is older than the vendor keeps jobs it
    is given up as ``job_lost`` (retryable), and a conscious retry then answers them."""
    sb.inject(f"{provider}.submit", "never_ready", times=1)
    emails = sb.world.sample_emails(20, seed=23)
    client = make_client(provider, CONTACT_UDFS_POLL_TIMEOUT="0.5")
    first = client.run("verify", emails)
    assert {r.reason for r in first.results} == {"pending"}
    assert all(r.retryable and r.status is Status.UNKNOWN for r in first.results)
    assert_nothing_paid_is_lost(sb, provider, client)
    assert len(client.store.journal_open(provider, "verify")) == 1

    sb.clear_faults()  # the job itself stays never-ready: faults do not travel back in time
    for retry_unknown in (False, True):
        again = client.run("verify", emails, retry_unknown=retry_unknown)
        assert {r.reason for r in again.results} == {"pending"}
    assert sb.requests(f"{provider}.submit") == 1, "a pending job is never re-submitted"
    assert max(sb.charges(provider).values()) == 1

    monkeypatch.setattr(jobs_module, "JOB_MAX_AGE", 0.0)
    lost = client.run("verify", emails)
    assert {r.reason for r in lost.results} == {"job_lost"}
    assert all(r.retryable for r in lost.results)
    assert not client.store.journal_open(provider, "verify")
    assert sb.requests(f"{provider}.submit") == 1

    healed = client.run("verify", emails, retry_unknown=True)
    assert {k.lower(): (r.status.value, r.reason) for k, r in zip(emails, healed.results)} == (
        baseline(provider, emails)
    )
    assert sb.requests(f"{provider}.submit") == 2 and max(sb.charges(provider).values()) == 2
