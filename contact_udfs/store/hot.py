"""The hot layer: decoded answers held in memory, in front of a store.

Why: a recalculated sheet or a re-run notebook cell asks for answers this
process has already read or written. Reading them again means a SQLite query
(or a Redis round trip), a JSON decode and a new answer object per contact -
most of a cached run. :class:`HotStore` keeps the decoded answers in a bounded
LRU (:class:`HotMemory`), one per store location, shared by every client and
face of the process, so those answers come back without touching the store.

What keeps it honest:

* only answers live here; claims, the job journal, patterns and budgets always
  go to the store, so the pay-once rules across processes are untouched;
* a key not in memory falls through to the store, so an answer another process
  saved in the meantime still counts (and is then held);
* an answer leaves memory when its TTL lapses, and at the latest
  :data:`MAX_AGE` seconds after it was read, so a ``forget`` or an overwrite
  made by another process reaches this one within that time;
* ``forget`` and ``clear`` through any client of the process empty the memory
  of that location (``forget`` cannot tell which held answers mention an
  address without the store, and it is rare);
* a forked child starts with empty memories (it has its own store connections);
* :attr:`HotMemory.version` changes whenever a held answer leaves memory before its
  time or is replaced (``forget``, ``clear``, a drop, an overwrite, the LRU), so a
  face that keeps what it derived from held answers (the Excel formulas' rendered
  cells, :mod:`contact_udfs.faces.excel.memo`) knows when to let it go;
* a paid provider's retryable ``unknown`` is never held: another process may
  settle it (``retry_unknown=True``), and a waterfall reading a stale one here
  would pay the next provider for a contact already answered. The offline
  ``local`` provider's (no DNS from this machine, say) are held: they cost nothing.

What it can miss, for at most :data:`MAX_AGE`: an answer another process
replaced or erased after this one read it. Credits stay safe: what can be
replaced while it lives elsewhere is a retryable answer, and those are always
read from the store; a claim that comes back as this process's own drops what
memory holds for those keys.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from ..config import PAID_PROVIDERS
from ..models import Answer
from ._common import nothing_to_write
from ._prefetch import ReadAhead
from .base import ClaimResult, JobRecord, Store

__all__ = ["DEFAULT_SIZE", "MAX_AGE", "HotMemory", "HotStore", "memory_for", "passing_through"]

#: answers held per store location by default (``CONTACT_UDFS_HOT_CACHE``)
DEFAULT_SIZE = 20_000
#: longest an answer read from the store is served from memory, in seconds
MAX_AGE = 300.0
#: bulk reads started ahead that are kept at once (a slice's own and the next one's)
_AHEAD = 2

_Key = tuple[str, str, str]

#: set by :func:`passing_through`: answers read or saved are handed on, not held
_passing: ContextVar[bool] = ContextVar("contact_udfs_hot_passing", default=False)


@contextmanager
def passing_through() -> Iterator[None]:
    """In this block (this thread or task), answers read or saved are not held.

    Why: a bulk run over far more distinct contacts than the memory holds (a
    million-row frame, slice after slice) would hold each slice's answers only to
    evict them for the next slice's - all cost, no hit - and evict what a smaller
    workload had held. Answers already held are still served; not holding is always
    safe (a key not in memory is read from the store).
    """
    token = _passing.set(True)
    try:
        yield
    finally:
        _passing.reset(token)


class _Entry:
    """One held answer: the stored dict until it is decoded, then only the decoded
    object (half the memory), and its expiry."""

    __slots__ = ("answer", "data", "expires", "flag")

    def __init__(self, data: dict[str, Any], expires: float) -> None:
        self.data: dict[str, Any] | None = data
        self.expires = expires
        self.answer: Answer | None = None
        #: the stored ``from_cache`` (the decoded object says True)
        self.flag = bool(data.get("from_cache", False))

    def stored(self) -> dict[str, Any]:
        """The answer as the store keeps it (a fresh dict)."""
        if self.data is not None:
            return dict(self.data)
        assert self.answer is not None
        return {**self.answer.to_dict(), "from_cache": self.flag}

    def decoded(self, kind: type[Answer]) -> Answer:
        answer = self.answer
        if answer is None or type(answer) is not kind:
            data = self.data if self.data is not None else self.stored()
            answer = self.answer = kind.from_stored(data)
            self.data = None
        return answer


class HotMemory:
    """A thread-safe LRU of answers for one store location."""

    def __init__(self, size: int) -> None:
        self.size = max(int(size), 0)
        self.lock = self._lock = threading.Lock()
        self._entries: OrderedDict[_Key, _Entry] = OrderedDict()
        #: bumped when a held answer is dropped, replaced or evicted, or the memory cleared
        #: (not when one is added, nor when one lapses: its expiry says so already)
        self.version = 0

    def __len__(self) -> int:
        return len(self._entries)

    def resize(self, size: int) -> None:
        with self._lock:
            self.size = max(int(size), 0)
            self._trim()

    def hits(self, provider: str, operation: str, keys: Sequence[str], now: float
             ) -> tuple[dict[str, _Entry], list[str]]:  # fmt: skip
        """(key -> live entry, keys to ask the store for), in the order of ``keys``."""
        found: dict[str, _Entry] = {}
        missing: list[str] = []
        entries = self._entries
        if not entries:  # nothing held (a bulk run passing through): every key is a miss
            return found, list(keys)
        with self._lock:
            for key in keys:
                where = (provider, operation, key)
                entry = entries.get(where)
                if entry is None:
                    missing.append(key)
                elif entry.expires <= now:
                    del entries[where]
                    missing.append(key)
                else:
                    entries.move_to_end(where)
                    found[key] = entry
        return found, missing

    def held(self, provider: str, operation: str, key: str) -> tuple[Answer | None, float] | None:
        """(the decoded answer, if decoded yet, and its expiry) of a held key, else None;
        a look that does not count as a use (the LRU order stays)."""
        entry = self._entries.get((provider, operation, key))
        return None if entry is None else (entry.answer, entry.expires)

    def hold(self, provider: str, operation: str, answers: Mapping[str, dict[str, Any]],
             expires: float | Mapping[str, float]) -> dict[str, _Entry]:  # fmt: skip
        """Keep ``answers`` (dicts nobody else changes) until ``expires`` (one time, or
        one per key)."""
        until = (lambda key: expires[key]) if isinstance(expires, Mapping) else (lambda _: expires)
        if not self.size:
            return {key: _Entry(data, until(key)) for key, data in answers.items()}
        held: dict[str, _Entry] = {}
        with self._lock:
            for key, data in answers.items():
                entry = held[key] = _Entry(data, until(key))
                where = (provider, operation, key)
                if data.get("retryable") and provider in PAID_PROVIDERS:
                    # another process may settle it (retry_unknown): always ask the store,
                    # or a waterfall here would pay the next provider for a settled contact
                    if self._entries.pop(where, None) is not None:
                        self.version += 1
                    continue
                if self._entries.get(where) is not None:
                    self.version += 1  # an overwrite: what was derived from the old one goes
                self._entries[where] = entry
                self._entries.move_to_end(where)
            self._trim()
        return held

    def drop(self, provider: str, operation: str, keys: Collection[str]) -> None:
        with self._lock:
            for key in keys:
                if self._entries.pop((provider, operation, key), None) is not None:
                    self.version += 1

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.version += 1

    def _trim(self) -> None:
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
            self.version += 1


_memories: dict[str, HotMemory] = {}
_memories_lock = threading.Lock()


def memory_for(location: str, size: int = DEFAULT_SIZE) -> HotMemory:
    """The process's memory for ``location`` (created, or resized to ``size``)."""
    with _memories_lock:
        memory = _memories.get(location)
        if memory is None:
            memory = _memories[location] = HotMemory(size)
        elif memory.size != size:
            memory.resize(size)
        return memory


def _forget_memories() -> None:
    global _memories_lock
    _memories.clear()
    _memories_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_memories)


class HotStore:
    """A :class:`~contact_udfs.store.base.Store` answering held answers from memory.

    Every operation but reading answers is the wrapped store's; see the module
    docstring for what is held and for how long. ``ttl`` is the TTL answers are
    saved with (the ``ttl_days`` setting), to bound how long an answer read from
    the store is held; ``clock`` must be the one the store's expiries follow.
    """

    def __init__(
        self,
        store: Store,
        memory: HotMemory | None = None,
        *,
        clock: Callable[[], float] = time.time,
        max_age: float = MAX_AGE,
        ttl: float | None = None,
    ) -> None:
        self.store = store
        self._ttl = ttl
        self.location = store.location
        self.memory = memory if memory is not None else memory_for(store.location)
        self._clock = clock
        self._max_age = max_age
        #: bulk reads started ahead (:meth:`prefetch`): this slice's and the next one's
        self._ahead: list[ReadAhead] = []

    def __repr__(self) -> str:
        return f"HotStore({self.store!r}, size={self.memory.size})"

    @property
    def clock(self) -> Callable[[], float]:
        """The clock held answers' expiries are measured by (the one the store's TTLs follow)."""
        return self._clock

    @property
    def backend(self) -> str:
        return str(getattr(self.store, "backend", type(self.store).__name__))

    # -- answers ---------------------------------------------------------------------------
    def get_many(
        self, provider: str, operation: str, keys: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        found = self._entries(provider, operation, keys)
        return {key: entry.stored() for key, entry in found.items()}

    def get_answers(
        self, provider: str, operation: str, keys: Sequence[str], kind: type[Answer]
    ) -> dict[str, Answer]:
        """Like :meth:`get_many`, as ``kind`` answers marked ``from_cache``; each key's
        answer is decoded once and then handed out as the same (frozen) object."""
        if _passing.get():
            return self._answers_passing(provider, operation, keys, kind)
        found = self._entries(provider, operation, keys)
        with self.memory.lock:  # two threads decoding one entry would hand out two objects
            return {key: entry.decoded(kind) for key, entry in found.items()}

    def _answers_passing(
        self, provider: str, operation: str, keys: Sequence[str], kind: type[Answer]
    ) -> dict[str, Answer]:
        """:meth:`get_answers` in a :func:`passing_through` block: what memory holds, then
        the store's answers decoded straight away (nothing is held for them, so no entry
        is made: a bulk read decodes a million answers)."""
        found, missing = self.memory.hits(provider, operation, keys, self._clock())
        with self.memory.lock:
            out = {key: entry.decoded(kind) for key, entry in found.items()}
        if missing:
            read = self._read_ahead(provider, operation, missing)
            if read is None:
                read = self.store.get_many(provider, operation, missing)
            out.update(zip(read, kind.from_stored_many(read.values()), strict=True))
            if found and read:  # keep the order of ``keys``
                out = {key: out[key] for key in dict.fromkeys(keys) if key in out}
        return out

    def prefetch(self, provider: str, operation: str, keys: Sequence[str]) -> None:
        """Start reading the stored answers of ``keys`` in the background, for the next
        bulk read of them (in a :func:`passing_through` block; elsewhere nothing is
        started, as memory answers those reads). A bulk run calls it for its next slice
        before asking this one: the store works on one while Python works on the other
        (:mod:`contact_udfs.store._prefetch`)."""
        if keys and _passing.get():
            started = ReadAhead(self.store.get_many, provider, operation, keys)
            self._ahead = [*self._ahead[-(_AHEAD - 1) :], started]

    def _read_ahead(
        self, provider: str, operation: str, keys: Sequence[str]
    ) -> dict[str, dict[str, Any]] | None:
        """The read started ahead for ``keys``, if one covers them (it is used once)."""
        for ahead in self._ahead:
            if ahead.covers(provider, operation, keys):
                self._ahead = [a for a in self._ahead if a is not ahead]
                return ahead.result(keys)
        return None  # (a read of other keys leaves them for the reads they were started for)

    def _entries(self, provider: str, operation: str, keys: Sequence[str]) -> dict[str, _Entry]:
        now = self._clock()
        found, missing = self.memory.hits(provider, operation, keys, now)
        if not missing:
            return found
        read = self.store.get_many(provider, operation, missing)
        if read:
            if _passing.get():  # handed on, not kept
                held = {key: _Entry(data, now) for key, data in read.items()}
            else:
                held = self.memory.hold(provider, operation, read, self._expiries(read, now))
            found.update(held)
            if len(found) > len(held):  # keep the order of ``keys``
                found = {key: found[key] for key in dict.fromkeys(keys) if key in found}
        return found

    def _expiries(self, read: Mapping[str, dict[str, Any]], now: float) -> dict[str, float]:
        """When answers read from the store leave memory: after :data:`MAX_AGE`, or sooner
        when ``checked_at`` plus the TTL says the store drops them sooner (it was saved
        at or after ``checked_at``, so this never keeps one past its expiry)."""
        latest = now + self._max_age
        if self._ttl is None:
            return dict.fromkeys(read, latest)
        out: dict[str, float] = {}
        for key, data in read.items():
            checked = data.get("checked_at")
            try:
                stamp = datetime.fromisoformat(checked).timestamp() if checked else None
            except (TypeError, ValueError):
                stamp = None
            out[key] = latest if stamp is None else min(latest, stamp + self._ttl)
        return out

    def put_many(
        self,
        provider: str,
        operation: str,
        answers: Mapping[str, dict[str, Any]],
        *,
        ttl: float | None,
        emails: Mapping[str, Collection[str]] | None = None,
        owner: str | None = None,
    ) -> None:
        self._ahead = []  # read before this write: not to be served after it
        self.store.put_many(provider, operation, answers, ttl=ttl, emails=emails, owner=owner)
        self._hold_saved(provider, operation, answers, ttl)

    def put_many_later(
        self,
        provider: str,
        operation: str,
        answers: Mapping[str, dict[str, Any]],
        *,
        ttl: float | None,
        emails: Mapping[str, Collection[str]] | None = None,
    ) -> Callable[[], None]:
        """The wrapped store's ``put_many_later`` (a write to run later, in any thread), the
        answers held in memory now; a store without one writes now (a no-op is returned).

        Held before they are written: this process reads them from memory meanwhile, and
        the writer (:class:`~contact_udfs.core.behind.WritesBehind`) is waited for before
        the run that saved them ends.
        """
        self._ahead = []
        later = getattr(self.store, "put_many_later", None)
        if later is None:
            self.store.put_many(provider, operation, answers, ttl=ttl, emails=emails)
            write: Callable[[], None] = nothing_to_write
        else:
            write = later(provider, operation, answers, ttl=ttl, emails=emails)
        self._hold_saved(provider, operation, answers, ttl)
        return write

    def _hold_saved(
        self, provider: str, operation: str, answers: Mapping[str, dict[str, Any]],
        ttl: float | None,
    ) -> None:  # fmt: skip
        if answers and not _passing.get():
            now = self._clock()
            life = self._max_age if ttl is None else min(ttl, self._max_age)
            # held as given, not copied: callers hand over fresh dicts (``Answer.to_dict``)
            self.memory.hold(provider, operation, answers, now + life)

    def claim(
        self,
        provider: str,
        operation: str,
        keys: Sequence[str],
        *,
        owner: str,
        ttl: float,
        skip_retryable: bool = False,
    ) -> ClaimResult:
        result = self.store.claim(
            provider, operation, keys, owner=owner, ttl=ttl, skip_retryable=skip_retryable
        )
        if result.cached and not _passing.get():  # another process saved them meanwhile
            fresh = {k: dict(v) for k, v in result.cached.items()}
            self.memory.hold(provider, operation, fresh, self._expiries(fresh, self._clock()))
        if result.mine:  # unanswered in the store: nothing held for them may be served
            self.memory.drop(provider, operation, result.mine)
        return result

    def forget(self, email: str) -> int:
        self._ahead = []
        removed = self.store.forget(email)
        self.memory.clear()
        return removed

    def clear(self) -> None:
        self._ahead = []
        self.store.clear()
        self.memory.clear()

    # -- everything else is the store's ----------------------------------------------------
    def extend(
        self, provider: str, operation: str, keys: Sequence[str], *, owner: str, ttl: float
    ) -> None:
        self.store.extend(provider, operation, keys, owner=owner, ttl=ttl)

    def release(self, provider: str, operation: str, keys: Sequence[str], *, owner: str) -> None:
        self.store.release(provider, operation, keys, owner=owner)

    def journal_add(self, job: JobRecord) -> None:
        self.store.journal_add(job)

    def journal_open(self, provider: str, operation: str) -> list[JobRecord]:
        return self.store.journal_open(provider, operation)

    def journal_update(self, provider: str, job_id: str, *, remaining: Sequence[str]) -> None:
        self.store.journal_update(provider, job_id, remaining=remaining)

    def record_pattern(self, domain: str, pattern: str) -> None:
        self.store.record_pattern(domain, pattern)

    def domain_patterns(self, domain: str) -> dict[str, int]:
        return self.store.domain_patterns(domain)

    def stats(self) -> dict[str, Any]:
        return self.store.stats()

    def close(self) -> None:
        self.store.close()

    def budget_add(
        self, name: str, amount: float, *, limit: float, ttl: float | None = None
    ) -> tuple[float, float]:
        return self.store.budget_add(name, amount, limit=limit, ttl=ttl)

    def __getattr__(self, name: str) -> Any:
        # backend extras (``path``, ``vacuum``...) stay reachable through the hot layer
        if name == "store":
            raise AttributeError(name)
        return getattr(self.store, name)
