"""A free provider's answers: not claimed, written beside the next chunk, every one stored
before the run returns; a failed write is the run's error."""

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
    """Counts claims, and the threads answers are encoded and written from."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.claims = 0
        self.writers: list[str] = []
        self.encoders: list[str] = []

    def claim(self, *args, **kwargs):
        self.claims += 1
        return super().claim(*args, **kwargs)

    def put_many(self, *args, **kwargs):
        self.writers.append(threading.current_thread().name)
        return super().put_many(*args, **kwargs)

    def put_many_later(self, *args, **kwargs):
        self.encoders.append(threading.current_thread().name)
        write = super().put_many_later(*args, **kwargs)

        def counted() -> None:
            self.writers.append(threading.current_thread().name)
            write()

        return counted


def test_free_chunks_are_not_claimed_and_all_stored(settings):
    store = CountingStore(settings.cache)
    free = FakeProvider("free", cost=0, max_batch=7)
    emails = [f"u{i}@x.com" for i in range(20)]
    run = Engine([free], store, settings).run(Operation.VERIFY, emails)
    assert [len(s) for s in free.submits] == [7, 7, 6]
    assert store.claims == 0  # nothing to pay for: nothing claimed
    # each chunk encoded here, then written beside the next one
    assert store.encoders == [threading.current_thread().name] * 3
    assert store.writers == ["contact_udfs-write-behind"] * 3
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
    real = SQLiteStore.put_many_later

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        write = real(self, *args, **kwargs)
        if calls["n"] != 2:
            return write

        def fail() -> None:
            raise StoreError("disk full")

        return fail

    monkeypatch.setattr(SQLiteStore, "put_many_later", flaky)
    emails = [f"u{i}@x.com" for i in range(17)]
    with pytest.raises(StoreError, match="disk full"):
        Engine([free], store, settings).run(Operation.VERIFY, emails)
    # the failure is seen when the next chunk is handed over: that one is computed and
    # encoded, never written; nothing after it is asked
    assert len(free.submits) == 3 and calls["n"] == 3
    assert store.stats()["answers"] == 5  # the first chunk's write landed
    store.close()


def test_a_failed_write_behind_a_failing_run_is_logged_not_raised(settings, monkeypatch, caplog):
    store = SQLiteStore(settings.cache)
    free = FakeProvider("free", cost=0, max_batch=5)
    real = SQLiteStore.put_many_later

    def failing_write(self, *args, **kwargs):
        real(self, *args, **kwargs)

        def fail() -> None:
            raise StoreError("disk full")

        return fail

    def boom(*args, **kwargs):
        raise RuntimeError("the run's own error")

    monkeypatch.setattr(SQLiteStore, "put_many_later", failing_write)
    monkeypatch.setattr(Engine, "_learn_pattern", boom)  # fails after the write is handed over
    with pytest.raises(RuntimeError, match="the run's own error"):
        Engine([free], store, settings).run(Operation.VERIFY, ["u1@x.com"])
    assert "background store write failed as well: disk full" in caplog.text
    store.close()


def test_a_store_that_cannot_write_later_writes_at_once(settings):
    """A Redis store has no ``put_many_later``: free answers are written as paid ones are."""

    class Plain(CountingStore):
        put_many_later = None  # type: ignore[assignment]

    store = Plain(settings.cache)
    free = FakeProvider("free", cost=0, max_batch=7)
    Engine([free], store, settings).run(Operation.VERIFY, [f"u{i}@x.com" for i in range(10)])
    assert store.writers == [threading.current_thread().name] * 2
    assert store.stats()["answers"] == 10
    store.close()


def test_the_addresses_a_saved_answer_mentions():
    from contact_udfs.core.items import emails_in
    from contact_udfs.core.jobs import _mentioned
    from contact_udfs.core.reuse import address_keys
    from contact_udfs.models import FoundEmail, Verification

    cases = [
        ("a@x.com", Verification(email="a@x.com", address="a@x.com")),
        ("a@x.com", Verification(email="A@X.com", address="a@x.com")),
        ("a@x.com", Verification(email="a@x.com", address="a@x.com", suggestion="a@x.co")),
        ("a@xn--bcher-kva.de", Verification(email="a@bücher.de", address="a@xn--bcher-kva.de")),
        (
            "a@xn--bcher-kva.de",
            Verification(email="a@xn--bcher-kva.de", address="a@xn--bcher-kva.de"),
        ),  # fmt: skip
        ("key", Verification(email="key", address="key")),
        ("acme|ada|lovelace", FoundEmail(email="ada@acme.com", candidates=["ada@acme.com"])),
    ]
    for key, answer in cases:
        assert set(_mentioned(key, answer)) == address_keys(emails_in(answer)), (key, answer)
    assert _mentioned("a@x.com", cases[0][1]) == ("a@x.com",)  # the common verdict: at once
