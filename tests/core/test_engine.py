"""The pay-once flow with scripted providers: counts are taken at the provider."""

from __future__ import annotations

import threading

import pytest
from fakes import FakeProvider, found

from contact_udfs.core.engine import Engine
from contact_udfs.exceptions import BudgetExceededError, QuotaExceededError
from contact_udfs.models import Operation, Status, Verification
from contact_udfs.store import JobRecord, SQLiteStore


@pytest.fixture
def store(settings):
    s = SQLiteStore(settings.cache)
    yield s
    s.close()


def make(settings, store, *providers, sleep=lambda s: None):
    return Engine(list(providers), store, settings, sleep=sleep)


def test_dedupe_order_and_cache(settings, store):
    fake = FakeProvider()
    eng = make(settings, store, fake)
    emails = ["Ada@Acme.com", " ada@acme.com\t", "bob@acme.com", None, "ADA@ACME.COM", "no-at"]
    run = eng.run(Operation.VERIFY, emails)
    assert [r.email for r in run.results] == [
        "Ada@Acme.com",
        "ada@acme.com",
        "bob@acme.com",
        "",
        "ADA@ACME.COM",
        "no-at",
    ]
    assert [r.status for r in run.results] == [Status.DELIVERABLE] * 3 + [
        Status.INVALID,
        Status.DELIVERABLE,
        Status.INVALID,
    ]
    assert sorted(fake.charges.elements()) == ["ada@acme.com", "bob@acme.com"]
    assert run.report.distinct == 2 and run.report.invalid == 2 and run.report.from_cache == 0
    assert run.report.credits == {"fake": 2}
    assert not any(r.from_cache for r in run.results)

    again = eng.run(Operation.VERIFY, emails)
    assert len(fake.submits) == 1, "a rerun must not call the provider"
    assert again.report.from_cache == 2 and again.report.credits == {}
    assert all(r.from_cache for r in again.results if r.status is not Status.INVALID)
    assert [r.status for r in again.results] == [r.status for r in run.results]


def test_chunks_by_max_batch(settings, store):
    fake = FakeProvider(max_batch=7)
    make(settings, store, fake).run(Operation.VERIFY, [f"u{i}@x.com" for i in range(20)])
    assert [len(s) for s in fake.submits] == [7, 7, 6]


def test_budget_refused_before_spending(settings, store):
    fake = FakeProvider()
    eng = make(settings, store, fake)
    with pytest.raises(BudgetExceededError, match="would spend 3 credits"):
        eng.run(Operation.VERIFY, ["a@x.com", "b@x.com", "c@x.com"], budget=2)
    assert fake.submits == []
    # cached answers are free, so the same budget now passes for the cached part
    eng.run(Operation.VERIFY, ["a@x.com", "b@x.com"], budget=2)
    eng.run(Operation.VERIFY, ["a@x.com", "b@x.com", "c@x.com"], budget=1)
    assert sum(fake.charges.values()) == 3


def test_estimate_spends_nothing(settings, store):
    fake = FakeProvider()
    eng = make(settings, store, fake)
    eng.run(Operation.VERIFY, ["a@x.com"])
    est = eng.estimate(Operation.VERIFY, ["a@x.com", "b@x.com", "B@x.com", "", "#N/A"])
    assert est.distinct == 2 and est.invalid == 2
    assert est.credits == {"fake": 1} and est.steps[0].cached == 1
    assert len(fake.submits) == 1


def test_waterfall_asks_next_provider_only_for_unsettled(settings, store):
    first = FakeProvider("first")
    second = FakeProvider("second")
    eng = make(settings, store, first, second)
    run = eng.run(Operation.VERIFY, ["ok@x.com", "unknown1@x.com", "unknown2@x.com"])
    assert sorted(second.charges) == ["unknown1@x.com", "unknown2@x.com"]
    assert [r.provider for r in run.results] == ["first", "first", "first"]  # ties: first wins
    eng.run(Operation.VERIFY, ["ok@x.com", "unknown1@x.com", "unknown2@x.com"])
    assert sum(first.charges.values()) == 3 and sum(second.charges.values()) == 2


def test_waterfall_find_nobody_asked_twice(settings, store):
    people = [{"first_name": "Ada", "last_name": f"L{i}", "domain": "acme.com"} for i in range(6)]
    first = FakeProvider(
        "first",
        verdict=lambda k, p: (
            found(f"{p['last_name'].lower()}@acme.com") if p["last_name"] in ("L0", "L1") else None
        ),
    )
    second = FakeProvider(
        "second", verdict=lambda k, p: found(f"x{p['last_name'].lower()}@acme.com")
    )
    eng = make(settings, store, first, second)
    results = eng.run(Operation.FIND, people).results
    assert [r.email for r in results] == ["l0@acme.com", "l1@acme.com"] + [
        f"xl{i}@acme.com" for i in range(2, 6)
    ]
    assert len(first.charges) == 6 and len(second.charges) == 4
    assert max(first.charges.values()) == 1 and max(second.charges.values()) == 1


def test_retryable_unknown_is_stored_and_asked_only_on_request(settings, store):
    calls = {"n": 0}

    def verdict(key, payload):
        calls["n"] += 1
        if calls["n"] == 1:
            return Verification(email=key, reason="connection_lost", retryable=True)
        return Verification(email=key, status=Status.DELIVERABLE)

    fake = FakeProvider(verdict=verdict)
    eng = make(settings, store, fake)
    first = eng.run(Operation.VERIFY, ["a@x.com"])
    assert first.results[0].retryable and first.report.retryable == 1
    second = eng.run(Operation.VERIFY, ["a@x.com"])
    assert second.results[0].from_cache and second.results[0].retryable
    assert fake.charges["a@x.com"] == 1
    third = eng.run(Operation.VERIFY, ["a@x.com"], retry_unknown=True)
    assert third.results[0].status is Status.DELIVERABLE and fake.charges["a@x.com"] == 2
    assert eng.run(Operation.VERIFY, ["a@x.com"], retry_unknown=True).results[0].from_cache


def test_journal_written_before_polling(settings, store):
    fake = FakeProvider(jobs=True, polls_before_ready=2)
    seen = []
    fake.on_poll = lambda job: seen.append([j.job_id for j in store.journal_open("fake", "verify")])
    run = make(settings, store, fake).run(Operation.VERIFY, ["a@x.com", "b@x.com"])
    assert seen and seen[0] == ["job-1"], "the job must be journaled before the first poll"
    assert store.journal_open("fake", "verify") == []
    assert all(r.status is Status.DELIVERABLE for r in run.results)


def test_resume_journaled_job_spends_nothing(settings, store):
    fake = FakeProvider(jobs=True)
    # a job another process submitted before dying
    sub = fake.submit(
        Operation.VERIFY,
        [__import__("contact_udfs.providers.base", fromlist=["Task"]).Task("a@x.com", {})],
    )
    store.journal_add(JobRecord("fake", "verify", sub.job.job_id, ["a@x.com"], owner="dead"))
    run = make(settings, store, fake).run(Operation.VERIFY, ["a@x.com"])
    assert len(fake.submits) == 1 and fake.charges["a@x.com"] == 1
    assert run.results[0].status is Status.DELIVERABLE and run.report.credits == {}


def test_pending_job_is_resumed_by_the_next_run(settings, store):
    fake = FakeProvider(jobs=True, polls_before_ready=3)
    eng = make(settings, store, fake)
    keys = [f"u{i}@x.com" for i in range(4)]
    run = eng.run(Operation.VERIFY, keys, poll_timeout=0)
    # first poll not ready; forced partial results save half, the rest is pending
    assert run.report.pending == 2
    assert [r.reason for r in run.results].count("pending") == 2
    assert store.journal_open("fake", "verify")
    again = eng.run(Operation.VERIFY, keys)
    assert all(r.status is Status.DELIVERABLE for r in again.results)
    assert len(fake.submits) == 1 and sum(fake.charges.values()) == 4


def test_quota_error_keeps_paid_answers(settings, store):
    fake = FakeProvider(quota=3, max_batch=10)
    eng = make(settings, store, fake)
    with pytest.raises(QuotaExceededError):
        eng.run(Operation.VERIFY, [f"u{i}@x.com" for i in range(5)])
    assert len(store.get_many("fake", "verify", [f"u{i}@x.com" for i in range(5)])) == 3
    claimed = store.claim("fake", "verify", ["u3@x.com", "u4@x.com"], owner="other", ttl=5)
    assert claimed.mine == ["u3@x.com", "u4@x.com"], "unanswered claims must be released"


def test_threads_spend_one_credit_per_key(settings, store):
    fake = FakeProvider(max_batch=25)
    keys = [f"user{i}@x.com" for i in range(200)]
    barrier = threading.Barrier(4)
    errors = []

    def worker(offset):
        try:
            barrier.wait()
            eng = Engine([fake], store, settings)
            run = eng.run(Operation.VERIFY, keys[offset:] + keys[:offset])
            assert all(r.status is Status.DELIVERABLE for r in run.results)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i * 50,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(fake.charges) == 200 and max(fake.charges.values()) == 1
