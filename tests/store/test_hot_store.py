"""The hot layer: the shared store contract, plus what only memory can get wrong.

Time moves through the fake clock only; nothing here sleeps.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from contact_udfs.models import Verification
from contact_udfs.store import SQLiteStore
from contact_udfs.store.hot import MAX_AGE, HotMemory, HotStore, memory_for

sys.path.insert(0, os.path.dirname(__file__))  # the shared contract sits beside this file
from store_contract import FakeClock, StoreContract, answer  # noqa: E402

P, V = "dropcontact", "verify"


class TestHotStore(StoreContract):
    def make_store(self, tmp_path: Path, clock: FakeClock) -> HotStore:
        backend = SQLiteStore(tmp_path / "cache" / "contacts.sqlite", clock=clock)
        return HotStore(backend, memory_for(backend.location), clock=clock)


class Counting:
    """A store wrapper that counts the keys each read asks for."""

    def __init__(self, store: SQLiteStore) -> None:
        self.store, self.location, self.read = store, store.location, 0

    def get_many(self, provider: str, operation: str, keys: list[str]) -> dict:
        self.read += len(keys)
        return self.store.get_many(provider, operation, keys)

    def __getattr__(self, name: str):
        return getattr(self.store, name)


def _pair(tmp_path: Path, clock: FakeClock, size: int = 100) -> tuple[HotStore, Counting]:
    counting = Counting(SQLiteStore(tmp_path / "c.sqlite", clock=clock))
    return HotStore(counting, HotMemory(size), clock=clock), counting  # type: ignore[arg-type]


def test_held_answers_are_not_read_again(tmp_path: Path) -> None:
    clock = FakeClock()
    hot, backend = _pair(tmp_path, clock)
    hot.put_many(P, V, {"a@x.com": answer(), "b@x.com": answer()}, ttl=None)
    assert backend.read == 0
    assert hot.get_many(P, V, ["a@x.com", "b@x.com", "c@x.com"]) == {
        "a@x.com": answer(),
        "b@x.com": answer(),
    }
    assert backend.read == 1  # only the key memory does not hold
    first = hot.get_answers(P, V, ["a@x.com"], Verification)["a@x.com"]
    again = hot.get_answers(P, V, ["a@x.com"], Verification)["a@x.com"]
    assert first is again and first.from_cache and backend.read == 1
    stored = hot.get_many(P, V, ["a@x.com"])["a@x.com"]  # held decoded only: rebuilt
    assert stored["from_cache"] is False and stored["status"] == "deliverable"
    assert Verification.from_dict(stored) == first.replace(from_cache=False)


def test_a_miss_sees_what_another_handle_saved(tmp_path: Path) -> None:
    clock = FakeClock()
    hot, backend = _pair(tmp_path, clock)
    assert hot.get_many(P, V, ["new@x.com"]) == {}
    other = SQLiteStore(tmp_path / "c.sqlite", clock=clock)  # another process's handle
    other.put_many(P, V, {"new@x.com": answer("risky")}, ttl=None)
    assert hot.get_many(P, V, ["new@x.com"]) == {"new@x.com": answer("risky")}
    other.close()


def test_ttl_and_max_age_let_answers_go(tmp_path: Path) -> None:
    clock = FakeClock()
    hot, backend = _pair(tmp_path, clock)
    hot.put_many(P, V, {"short@x.com": answer()}, ttl=60)
    clock.advance(61)
    assert hot.get_many(P, V, ["short@x.com"]) == {}
    other = SQLiteStore(tmp_path / "c.sqlite", clock=clock)
    other.put_many(P, V, {"kept@x.com": answer()}, ttl=None)
    assert "kept@x.com" in hot.get_many(P, V, ["kept@x.com"])
    other.forget("kept@x.com")  # elsewhere: this process cannot know at once...
    reads = backend.read
    assert "kept@x.com" in hot.get_many(P, V, ["kept@x.com"]) and backend.read == reads
    clock.advance(MAX_AGE + 1)  # ...but within MAX_AGE it asks the store again
    assert hot.get_many(P, V, ["kept@x.com"]) == {}
    other.close()


def test_checked_at_plus_ttl_bounds_a_read_answer(tmp_path: Path) -> None:
    clock = FakeClock()
    counting = Counting(SQLiteStore(tmp_path / "c.sqlite", clock=clock))
    hot = HotStore(counting, HotMemory(10), clock=clock, ttl=100)  # type: ignore[arg-type]
    checked = "2023-11-14T22:13:00+00:00"  # 20 s before the fake clock's start
    counting.store.put_many(P, V, {"a@x.com": answer(checked_at=checked)}, ttl=100)
    assert hot.get_many(P, V, ["a@x.com"])
    clock.advance(81)  # checked_at + ttl has passed: memory lets it go, the store decides
    reads = counting.read
    hot.get_many(P, V, ["a@x.com"])
    assert counting.read == reads + 1


def test_forget_and_clear_empty_the_shared_memory(tmp_path: Path) -> None:
    clock = FakeClock()
    backend = SQLiteStore(tmp_path / "c.sqlite", clock=clock)
    memory = memory_for(backend.location)
    one, two = HotStore(backend, memory, clock=clock), HotStore(backend, memory, clock=clock)
    one.put_many(P, V, {"ada@x.com": answer(), "bob@x.com": answer()}, ttl=None)
    assert two.forget("Ada@X.com") == 1
    assert one.get_many(P, V, ["ada@x.com", "bob@x.com"]) == {"bob@x.com": answer()}
    two.clear()
    assert one.get_many(P, V, ["bob@x.com"]) == {} and len(memory) == 0
    backend.close()


def test_the_memory_is_bounded(tmp_path: Path) -> None:
    hot, backend = _pair(tmp_path, FakeClock(), size=3)
    hot.put_many(P, V, {f"u{i}@x.com": answer() for i in range(5)}, ttl=None)
    assert len(hot.memory) == 3
    hot.get_many(P, V, [f"u{i}@x.com" for i in range(5)])
    assert backend.read == 2  # the two oldest were let go, and read back


def test_a_claim_that_is_mine_drops_what_memory_holds(tmp_path: Path) -> None:
    hot, _ = _pair(tmp_path, FakeClock())
    hot.put_many(P, V, {"u@x.com": answer("unknown", retryable=True)}, ttl=None)
    got = hot.claim(P, V, ["u@x.com"], owner="me", ttl=60, skip_retryable=True)
    assert got.mine == ["u@x.com"] and len(hot.memory) == 0


def test_the_version_moves_when_a_held_answer_goes_before_its_time(tmp_path: Path) -> None:
    """What faces derive from held answers (the Excel memo) lives as long as the version."""
    clock = FakeClock()
    hot, _ = _pair(tmp_path, clock, size=3)
    memory = hot.memory
    start = memory.version
    hot.put_many(P, V, {"a@x.com": answer(), "b@x.com": answer()}, ttl=None)
    hot.get_answers(P, V, ["a@x.com", "b@x.com", "new@x.com"], Verification)
    memory.drop(P, V, ["absent@x.com"])
    assert memory.version == start  # adding, reading and dropping nothing change nothing
    held = memory.held(P, V, "a@x.com")
    assert held is not None and held[0] is not None and held[0].status.value == "deliverable"
    assert held[1] == clock.now + MAX_AGE and memory.held(P, V, "new@x.com") is None
    steps = [
        lambda: hot.put_many(P, V, {"a@x.com": answer("risky")}, ttl=None),  # an overwrite
        lambda: memory.drop(P, V, ["a@x.com"]),
        lambda: hot.put_many(P, V, {f"u{i}@x.com": answer() for i in range(3)}, ttl=None),
        lambda: hot.forget("u0@x.com"),
        lambda: hot.clear(),
    ]
    for step in steps:
        before = memory.version
        step()
        assert memory.version > before


def test_a_bulk_read_passing_through_decodes_in_order_and_holds_nothing(tmp_path: Path) -> None:
    from contact_udfs.store.hot import passing_through

    clock = FakeClock()
    hot, backend = _pair(tmp_path, clock)
    hot.put_many(P, V, {"b@x.com": answer()}, ttl=None)  # held
    backend.store.put_many(P, V, {k: answer() for k in ("a@x.com", "c@x.com")}, ttl=None)
    with passing_through():
        got = hot.get_answers(P, V, ["a@x.com", "b@x.com", "c@x.com", "d@x.com"], Verification)
    assert list(got) == ["a@x.com", "b@x.com", "c@x.com"]  # the order asked, d not stored
    assert all(a.from_cache and isinstance(a, Verification) for a in got.values())
    assert backend.read == 3  # b came from memory
    assert len(hot.memory) == 1  # a and c were handed on, not held
    assert hot.get_answers(P, V, ["a@x.com"], Verification) and backend.read == 4


# -- reads started ahead ----------------------------------------------------------------


def test_a_read_started_ahead_serves_the_bulk_read_it_covers_once(tmp_path: Path) -> None:
    import threading

    from contact_udfs.store.hot import passing_through

    clock = FakeClock()
    hot, backend = _pair(tmp_path, clock)
    backend.store.put_many(P, V, {k: answer() for k in ("a@x.com", "b@x.com", "c@x.com")},
                           ttl=None)  # fmt: skip
    readers: list[str] = []
    real = backend.get_many

    def named(provider: str, operation: str, keys: list[str]) -> dict:
        readers.append(threading.current_thread().name)
        return real(provider, operation, keys)

    backend.get_many = named  # type: ignore[method-assign]
    hot.prefetch(P, V, ["a@x.com"])  # not a bulk read: memory answers it, nothing starts
    assert backend.read == 0 and readers == []
    with passing_through():
        hot.prefetch(P, V, ["a@x.com", "b@x.com"])
        got = hot.get_answers(P, V, ["b@x.com", "a@x.com"], Verification)
        assert list(got) == ["b@x.com", "a@x.com"] and all(a.from_cache for a in got.values())
        assert readers == ["contact_udfs-read-ahead"] and backend.read == 2
        hot.get_answers(P, V, ["a@x.com"], Verification)  # used once: read again
        assert readers[-1] == "MainThread" and backend.read == 3
        # a read of other keys leaves it for the read it was started for
        hot.prefetch(P, V, ["a@x.com"])
        hot.get_answers(P, V, ["c@x.com"], Verification)
        assert hot.get_answers(P, V, ["a@x.com"], Verification)["a@x.com"].from_cache
        assert sorted(readers[-2:]) == ["MainThread", "contact_udfs-read-ahead"]  # either first
        # what was read before a write is not served after it
        hot.prefetch(P, V, ["a@x.com"])
        hot.put_many(P, V, {"a@x.com": answer("risky")}, ttl=None)
        assert hot.get_answers(P, V, ["a@x.com"], Verification)["a@x.com"].status == "risky"
        assert readers[-1] == "MainThread"


def test_a_read_ahead_that_failed_is_read_again_where_its_error_shows(tmp_path: Path) -> None:
    from contact_udfs.exceptions import StoreError
    from contact_udfs.store.hot import passing_through

    clock = FakeClock()
    hot, backend = _pair(tmp_path, clock)
    backend.store.put_many(P, V, {"a@x.com": answer()}, ttl=None)
    real, calls = backend.get_many, []

    def flaky(provider: str, operation: str, keys: list[str]) -> dict:
        calls.append(keys)
        if len(calls) == 1:
            raise StoreError("the cache is busy")
        return real(provider, operation, keys)

    backend.get_many = flaky  # type: ignore[method-assign]
    with passing_through():
        hot.prefetch(P, V, ["a@x.com"])
        assert hot.get_answers(P, V, ["a@x.com"], Verification)["a@x.com"].from_cache
    assert calls == [["a@x.com"], ["a@x.com"]]


def test_a_write_run_later_is_held_at_once(tmp_path: Path) -> None:
    clock = FakeClock()
    hot, backend = _pair(tmp_path, clock)
    write = hot.put_many_later(P, V, {"a@x.com": answer()}, ttl=None)
    assert hot.get_many(P, V, ["a@x.com"]) == {"a@x.com": answer()} and backend.read == 0
    assert backend.store.stats()["answers"] == 0  # held, not yet written
    write()
    assert backend.store.get_many(P, V, ["a@x.com"]) == {"a@x.com": answer()}


def test_a_store_that_cannot_write_later_writes_at_once(tmp_path: Path) -> None:
    class NoLater(Counting):
        def __getattr__(self, name: str):
            if name == "put_many_later":
                raise AttributeError(name)
            return getattr(self.store, name)

    clock = FakeClock()
    backend = NoLater(SQLiteStore(tmp_path / "c.sqlite", clock=clock))
    hot = HotStore(backend, HotMemory(100), clock=clock)  # type: ignore[arg-type]
    write = hot.put_many_later(P, V, {"a@x.com": answer()}, ttl=None)
    assert backend.store.stats()["answers"] == 1  # written before the call returned
    write()
    assert backend.store.stats()["answers"] == 1
