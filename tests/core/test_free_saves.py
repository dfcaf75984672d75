"""A free provider's answers: not claimed, every one stored before the run returns; a
failed write is the run's error."""

from __future__ import annotations

import threading

import pytest
from fakes import FakeProvider

from contact_udfs.core.engine import Engine
from contact_udfs.exceptions import StoreError
from contact_udfs.models import Operation
from contact_udfs.store import SQLiteStore


@pytest.fixture
def store(settings):
    s = SQLiteStore(settings.cache)
    yield s
    s.close()


class CountingStore(SQLiteStore):
    """Counts claims and the threads answers are written from."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.claims = 0
        self.writers: list[str] = []

    def claim(self, *args, **kwargs):
        self.claims += 1
        return super().claim(*args, **kwargs)

    def put_many(self, *args, **kwargs):
        self.writers.append(threading.current_thread().name)
        return super().put_many(*args, **kwargs)


def test_free_chunks_are_not_claimed_and_all_stored(settings):
    store = CountingStore(settings.cache)
    free = FakeProvider("free", cost=0, max_batch=7)
    emails = [f"u{i}@x.com" for i in range(20)]
    run = Engine([free], store, settings).run(Operation.VERIFY, emails)
    assert [len(s) for s in free.submits] == [7, 7, 6]
    assert store.claims == 0  # nothing to pay for: nothing claimed
    assert store.writers == [threading.current_thread().name] * 3  # one write per chunk
    assert store.stats()["answers"] == 20  # every write landed before the run returned
    assert not any(r.from_cache for r in run.results)
    again = Engine([free], store, settings).run(Operation.VERIFY, emails)
    assert all(r.from_cache for r in again.results) and len(free.submits) == 3
    store.close()


def test_paid_answers_are_claimed(settings):
    store = CountingStore(settings.cache)
    paid = FakeProvider("paid", cost=1, max_batch=7)
    Engine([paid], store, settings).run(Operation.VERIFY, [f"u{i}@x.com" for i in range(20)])
    assert store.claims >= 1
    assert store.writers == [threading.current_thread().name] * 3
    store.close()


def test_a_failed_write_fails_the_run(settings, monkeypatch):
    store = CountingStore(settings.cache)
    free = FakeProvider("free", cost=0, max_batch=5)
    calls = {"n": 0}
    real = SQLiteStore.put_many

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise StoreError("disk full")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SQLiteStore, "put_many", flaky)
    with pytest.raises(StoreError, match="disk full"):
        Engine([free], store, settings).run(Operation.VERIFY, [f"u{i}@x.com" for i in range(12)])
    assert calls["n"] == 2  # nothing more is computed once a write failed
    store.close()
