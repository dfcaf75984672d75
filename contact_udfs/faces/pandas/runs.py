"""Running the engine over a frame's distinct items, one slice after another.

:func:`~contact_udfs.faces.pandas.accessor.run_frame` hands the engine the distinct
values of a frame, which may be far more than one engine call should hold. This
module cuts them into slices and keeps what spans the slices whole:

* the budget is one budget: the first paid step is checked against it up front
  (as one engine call would), and each slice gets what the previous ones left;
* a cancel event is checked between slices; what was answered stays cached;
* progress runs over all distinct items (a tqdm bar or a callback), not per slice;
* the slices' run reports add up to one report.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Sequence
from typing import Any

from tqdm.auto import tqdm

from ...api import Client
from ...core.bulk import paused_gc, streaming
from ...core.items import Item
from ...core.reports import RunReport
from ...exceptions import BudgetExceededError
from ...models import Answer, Operation

ProgressArg = bool | Callable[[int, int], None]


@dataclasses.dataclass(frozen=True)
class _Slices:
    """How to call the engine: options of one accessor call plus slicing and cancel."""

    providers: Sequence[str] | str | None
    retry_unknown: bool
    budget: float | None
    progress: ProgressArg
    chunk_size: int
    cancel: threading.Event | None


#: what a run does with each slice's answers, in item order (None where cancelled)
Collect = Callable[[Sequence[Answer | None]], None]


def _ask(
    client: Client, op: Operation, items: Sequence[Any], opts: _Slices, collect: Collect
) -> tuple[RunReport, bool]:
    """Run the engine slice by slice, handing each slice's answers to ``collect`` as it
    finishes (so they can become columns and be let go); the items a cancel left
    unasked are handed over as None."""
    report = RunReport(operation=op.value)
    size = max(int(opts.chunk_size), 1)
    limit = opts.budget if opts.budget is not None else _settings_budget(client)
    if limit is not None and len(items) > size:
        # slices spend one after another: refuse up front, as one engine call would
        _refuse_over_budget(client, op, items, opts, limit)
    bar = _Bar(opts.progress, len(items), f"contacts.{op.value}")
    ahead = _ReadAhead(client, op, opts.providers, slices=-(-len(items) // size))
    with bar, streaming(getattr(client, "store", None), len(items)):
        chunk: Sequence[Any] | None = None
        for start in range(0, len(items), size):
            if opts.cancel is not None and opts.cancel.is_set():
                collect([None] * (len(items) - start))
                return report, True
            with paused_gc():  # one slice at a time: its garbage is collected after it
                # (the items are made in the pause too: no collection walks the frame)
                if chunk is None:
                    chunk = items[start : start + size]
                    # the first slice's own read, beside the making of the next one's items
                    ahead.read(chunk)
                following = ahead.start(items, start + size, size)
                run = client.run(
                    op, chunk, providers=opts.providers, retry_unknown=opts.retry_unknown,
                    budget=limit, progress=bar.slice(start, len(chunk)),
                )  # fmt: skip
                collect(run.results)
                del run.results[:]  # the columns have them now
            ahead.learn(run.report)
            report.merge(run.report)
            if limit is not None:
                limit = max(limit - sum(run.report.credits.values()), 0)
            bar.advance(start + len(chunk))
            chunk = following
    return report, False


class _ReadAhead:
    """Reads the next slice's stored answers while this slice is answered.

    From the first slice on (its own read runs while the second slice's items are made,
    and the second is read while the first is answered), and
    after that only while slices come wholly from the cache (a rerun, where the reads
    are most of the work); only for items already normalized (the Arrow path's
    :class:`~contact_udfs.core.items.Item`, whose keys are known before the engine
    sees them); the store reads in the background
    (:meth:`~contact_udfs.store.hot.HotStore.prefetch`). A slice that asks a provider
    writes, and a write drops what was read ahead, so a first run reads one slice twice
    (its second) and no more.
    """

    def __init__(
        self, client: Client, op: Operation, providers: Sequence[str] | str | None, slices: int
    ) -> None:
        # one slice has nothing to read ahead of: its providers are not even looked up
        store = getattr(client, "store", None) if slices > 1 else None
        self._prefetch = getattr(store, "prefetch", None)
        chain = client.engine(providers).chain(op) if self._prefetch is not None else []
        self._first = chain[0].name if chain else None
        self._op = op
        self._on = True

    def start(self, items: Sequence[Any], start: int, size: int) -> list[Any] | None:
        """The next slice's items when its read was started (they are made now, to know
        its keys), else None (the slice is made when its turn comes)."""
        if not self._on or self._first is None or start >= len(items):
            return None
        following = list(items[start : start + size])
        self.read(following)
        return following

    def read(self, chunk: Sequence[Any]) -> None:
        """Start reading the stored answers of ``chunk``, when its items are normalized."""
        if not self._on or self._first is None:
            return
        keys = [i.key for i in chunk if type(i) is Item and i.key is not None]
        if len(keys) != len(chunk):  # not all normalized yet: nothing to read ahead
            return
        assert self._prefetch is not None
        self._prefetch(self._first, self._op.value, keys)

    def learn(self, report: RunReport) -> None:
        """Read ahead after a slice whose every contact came from the cache."""
        self._on = bool(report.distinct) and report.from_cache == report.distinct


def _refuse_over_budget(
    client: Client, op: Operation, items: Sequence[Any], opts: _Slices, limit: float
) -> None:
    est = client.estimate(items[:], op, providers=opts.providers, retry_unknown=opts.retry_unknown)
    paid = next((s for s in est.steps if s.credits), None)
    if paid is not None and paid.credits > limit:
        raise BudgetExceededError({paid.provider: paid.credits}, limit)


class _Bar:
    """Progress over distinct items: a tqdm bar, a callback, or nothing."""

    def __init__(self, progress: ProgressArg, total: int, desc: str) -> None:
        self.total, self.done = total, 0
        self._sink = progress if callable(progress) else None
        self._tqdm = (
            tqdm(total=total, desc=desc, unit="contact", delay=0.5, leave=False)
            if progress is True and total else None
        )  # fmt: skip

    def __enter__(self) -> _Bar:
        if self._sink is not None:
            self._sink(0, self.total)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._tqdm is not None:
            self._tqdm.close()

    def advance(self, done: int) -> None:
        done = min(max(done, self.done), self.total)
        if done == self.done:
            return
        if self._tqdm is not None:
            self._tqdm.update(done - self.done)
        self.done = done
        if self._sink is not None:
            self._sink(done, self.total)

    def slice(self, start: int, size: int) -> Callable[[int, int], None]:
        """The engine's ``progress(done, total)`` for one slice, scaled to the whole."""

        def tick(done: int, total: int) -> None:
            self.advance(start + (size * done // total if total else 0))

        return tick


def _settings_budget(client: Any) -> float | None:
    return getattr(getattr(client, "settings", None), "budget", None)
