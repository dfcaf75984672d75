"""Recalculations at memory speed: the answer cells of a range, kept per input cell.

Why: Excel recalculates every formula of a sheet again and again, and almost every
cell then asks for an answer the process holds already (:mod:`contact_udfs.store.hot`).
Going through the engine for it - normalizing, deduplicating, the waterfall, the run
report, one answer object and one rendering per cell - costs some 5 µs a cell, twenty
times a plain dict lookup. So each formula keeps, per raw input cell (per row of
cells for ``FIND_EMAIL``/``ENRICH_CONTACT``) and choice of columns, the cells it
rendered, and a recalculation whose every cell is kept is answered from that alone.

What may be kept, so nothing changes but the speed:

* an answer the hot layer holds, read from the store (``from_cache``), given by the
  first provider of the waterfall that can take the contact, and either settled or
  from the only provider that could answer it: what the engine would hand back again
  without asking anyone (a paid provider's retryable answer is never held, so never
  kept here; nor an answer read from another operation's purchase, held elsewhere);
* not a row naming a company rather than a domain: an alias learned meanwhile (in any
  process) re-keys it, and only the engine knows the aliases;
* a cell answered without anyone being asked: empty, bad input, another formula's
  ``#ERROR`` or ``PENDING`` text (they depend on the cell alone).

What lets them go: an answer's cells leave at the expiry of the held answer (its TTL,
and :data:`~contact_udfs.store.hot.MAX_AGE` after it was read), and every cell of the
location leaves when a held answer is dropped, replaced or evicted or the memory is
cleared (``forget``, ``cache clear``) - :attr:`~contact_udfs.store.hot.HotMemory.version`.

Cells not kept (pending, retryable, an error, new) still go through the engine:
``VERIFY_EMAIL`` sends only those, as if the whole range were in the call (its
``PENDING (n/N)`` counts the range, and a failure of the call shows in every cell the
engine would have answered); ``FIND_EMAIL``/``ENRICH_CONTACT`` send the whole range.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

from ...api import Client
from ...core.items import normalize_item
from ...exceptions import ContactUDFError
from ...identity import company_of_key
from ...models import Answer, Operation
from ...store.hot import HotMemory, HotStore

__all__ = ["Kept", "Memo", "cell_key", "engine_key", "memo_for", "record_key", "shown"]

#: a cell answered without a provider keeps its rendering until the memory changes
_FOREVER = float("inf")
#: what a cell keeps, as one flat tuple: ``(expiry, asked, *rendered cells)``, ``asked``
#: being the contact's key, ``""`` for bad input the engine answered, None for a cell it
#: never saw (empty, another formula's text). One tuple of plain values per cell: the
#: cyclic collector stops tracking it, so a big memo costs later collections nothing
Kept = tuple[Any, ...]
#: fields ``assemble`` sets per row (each row its own spelling and custom fields)
_PER_ROW = frozenset({"email", "address", "custom_fields"})


class Memo:
    """The rendered answer cells of one client's formula and choice of columns."""

    def __init__(
        self, client: Client, memory: HotMemory, clock: Callable[[], float],
        operation: Operation, width: int,
    ) -> None:  # fmt: skip
        self._client = weakref.ref(client)
        self._memory = memory
        self._clock = clock
        self._operation = operation
        #: cell key -> what it keeps (:data:`Kept`)
        self._cells: dict[Hashable, Kept] = {}
        self._version = memory.version
        self._lock = threading.Lock()
        #: what an empty cell renders as
        self._blank: Kept = (_FOREVER, None, *([""] * width))
        self._wide = width > 1

    def start(self) -> tuple[int, float]:
        """The memory's version and the time, taken before a call reads anything; what
        was kept goes if the memory changed since it was kept."""
        version = self._memory.version
        if version != self._version:
            with self._lock:
                if version != self._version:
                    self._cells, self._version = {}, version
        return version, self._clock()

    def rows(self, grid: Sequence[Sequence[Any]], now: float) -> list[list[Any]] | None:
        """The answer rows of ``grid`` if every cell is kept and alive at ``now``, else None."""
        get, blank, wide = self._cells.get, self._blank, self._wide
        out: list[list[Any]] = []
        append = out.append
        for row in grid:
            if len(row) == 1:  # a column: the usual range
                cell = row[0]
                hit = (
                    get(cell if type(cell) is str else cell_key(cell))
                    if cell is not None
                    else blank
                )
                if hit is None or hit[0] <= now:
                    return None
                append(list(hit[2:]) if wide else [hit[2]])
                continue
            line: list[Any] = []
            for cell in row:
                hit = (
                    get(cell if type(cell) is str else cell_key(cell))
                    if cell is not None
                    else blank
                )
                if hit is None or hit[0] <= now:
                    return None
                line += hit[2:]
            append(line)
        return out

    def lookup(self, cells: Sequence[Any], now: float) -> list[Kept | None]:
        """What is kept and alive at ``now`` for each of ``cells`` (None where nothing is)."""
        get, blank = self._cells.get, self._blank
        out: list[Kept | None] = []
        append = out.append
        for cell in cells:
            hit = get(cell if type(cell) is str else cell_key(cell)) if cell is not None else blank
            append(hit if hit is not None and hit[0] > now else None)
        return out

    def records(self, columns: Sequence[Sequence[Any]], now: float) -> list[list[Any]] | None:
        """The answer rows of parallel ranges (a single cell applies to every row) if every
        row is kept and alive at ``now``, else None."""
        n = max(len(c) for c in columns)
        if any(len(c) not in (1, n) for c in columns):
            return None  # ranges differing in length: the full path says so
        get = self._cells.get
        out: list[list[Any]] = []
        append = out.append
        for values in zip(*(c * n if len(c) == 1 else c for c in columns), strict=True):
            hit = get(record_key(values))
            if hit is None or hit[0] <= now:
                return None
            append(list(hit[2:]))
        return out

    def keep(self, version: int, now: float, cells: Iterable[tuple[Any, Any, Any, list[Any]]]
             ) -> None:  # fmt: skip
        """Keep what may be kept of ``(key, item, answer, rendered)``: ``key`` from
        :func:`cell_key` or :func:`record_key`, ``item`` what the engine was given and
        ``answer`` its answer, None for a cell answered without anyone asked.

        Nothing is kept if the memory changed since ``version`` was taken: an answer of
        this call may be one that left it meanwhile."""
        client = self._client()
        if client is None:
            return
        op, memory = self._operation, self._memory
        judge: _Judge | None = None
        keep: dict[Hashable, Kept] = {}
        kept = self._cells.get
        for key, item, answer, rendered in cells:
            if key is None:
                continue
            old = kept(key)
            if old is not None and old[0] > now:
                continue  # kept already (a range one cell of which is never kept comes back)
            if answer is None:
                keep[key] = (_FOREVER, None, *rendered)
                continue
            if answer.provider == "validation":
                keep[key] = (_FOREVER, "", *rendered)
                continue
            if judge is None:
                judge = _Judge(memory, op, _chain(client, op))
            got = judge.expiry(item, answer)
            if got is not None and got[0] > now:
                keep[key] = (*got, *rendered)
        if not keep:
            return
        with self._lock:
            if memory.version != version or self._version != version:
                return
            if len(self._cells) + len(keep) > 2 * memory.size + 1000:
                self._cells = {}  # bounded like the memory it stands for
            self._cells.update(keep)


def shown(hit: Kept) -> tuple[Any, ...]:
    """The cells a kept cell shows."""
    return hit[2:]


def engine_key(hit: Kept) -> str | None:
    """What the engine was asked for a kept cell (see :data:`Kept`)."""
    return hit[1]


def cell_key(cell: Any) -> Hashable | None:
    """What a cell is kept under: text as it is, another value with its type (so that
    ``TRUE``, ``1`` and ``1.0``, equal in Python, stay apart); None for an empty cell
    (always blank) or one that cannot be a key."""
    if type(cell) is str:
        return cell
    if cell is None:
        return None
    try:
        hash(cell)
    except TypeError:
        return None
    return (type(cell), cell)


def record_key(values: Sequence[Any]) -> Hashable | None:
    """What a row of (first name, last name, company or domain) cells is kept under."""
    if all(type(v) is str for v in values):
        return tuple(values)
    keys = tuple(None if v is None else cell_key(v) for v in values)
    return (
        None
        if any(k is None and v is not None for k, v in zip(keys, values, strict=True))
        else keys
    )


def _chain(client: Client, op: Operation) -> list[Any]:
    """The client's waterfall for ``op``; empty when it cannot be built (a provider with
    no key: its cells answer an error, and nothing of it is kept)."""
    try:
        return client.engine().chain(op)
    except ContactUDFError:
        return []


class _Judge:
    """Which answers of one call are held answers the engine would hand back again
    without asking anyone; decided once per contact (a range repeats many)."""

    def __init__(self, memory: HotMemory, op: Operation, chain: Sequence[Any]) -> None:
        self._memory, self._op, self._chain = memory, op, chain
        self._name = op.value
        self._domains = op is not Operation.VERIFY  # rows name a domain or a company
        self._held: dict[str, tuple[Answer | None, float] | None] = {}

    def expiry(self, item: Any, answer: Answer) -> tuple[float, str] | None:
        """(when ``answer``'s cells must be asked for again, the contact's key); None if
        they may not be kept."""
        if not answer.from_cache:
            return None
        item = normalize_item(self._op, item)
        key = item.key
        if key is None:
            return None
        try:
            held = self._held[key]
        except KeyError:
            held = self._held[key] = self._lookup(key, item.payload, answer)
        if held is None or not _same(held[0], answer):
            return None
        return held[1], key

    def _lookup(self, key: str, payload: dict[str, Any], answer: Answer
                ) -> tuple[Answer | None, float] | None:  # fmt: skip
        op = self._op
        if self._domains and company_of_key(key) is not None:
            return None  # a company named, not a domain: a learned alias may re-key it any time
        first: str | None = None
        for provider in self._chain:
            if provider.unsupported(op, payload):
                continue
            if first is not None:  # a second provider that could answer
                if not answer.settled:
                    return None  # the waterfall would ask it
                break
            first = provider.name
            if first != answer.provider:
                return None  # a later provider answered: the first is asked again next time
            if answer.settled:
                break
        if first is None:
            return None
        return self._memory.held(answer.provider, self._name, key)


def _same(held: Answer | None, answer: Answer) -> bool:
    """``answer`` is ``held`` as the engine hands it to one row (its own spelling)."""
    if held is answer:
        return True
    if held is None or type(held) is not type(answer) or not hasattr(answer, "__dict__"):
        return False
    mine, theirs = vars(answer), vars(held)
    return all(mine[k] == v for k, v in theirs.items() if k not in _PER_ROW)


_memos: weakref.WeakKeyDictionary[HotStore, dict[tuple[Operation, tuple[str, ...]], Memo]] = (
    weakref.WeakKeyDictionary()
)
_memos_lock = threading.Lock()


def memo_for(client: Client, operation: Operation, cols: tuple[str, ...]) -> Memo | None:
    """The memo of ``client``'s formula for ``operation`` rendering ``cols``; None when the
    process keeps no answers in memory (``CONTACT_UDFS_HOT_CACHE=0``)."""
    store = client.store
    if not isinstance(store, HotStore) or not store.memory.size:
        return None
    with _memos_lock:
        memos = _memos.get(store)
        if memos is None:
            memos = _memos[store] = {}
        memo = memos.get((operation, cols))
        if memo is None:
            memo = memos[(operation, cols)] = Memo(
                client, store.memory, store.clock, operation, len(cols)
            )
        return memo
