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
    with bar, streaming(getattr(client, "store", None), len(items)):
        for start in range(0, len(items), size):
            if opts.cancel is not None and opts.cancel.is_set():
                collect([None] * (len(items) - start))
                return report, True
            with paused_gc():  # one slice at a time: its garbage is collected after it
                chunk = items[start : start + size]  # (made in the pause: no collection
                # runs over the frame's cells while a slice's items are built)
                run = client.run(
                    op, chunk, providers=opts.providers, retry_unknown=opts.retry_unknown,
                    budget=limit, progress=bar.slice(start, len(chunk)),
                )  # fmt: skip
                collect(run.results)
                del run.results[:]  # the columns have them now
            report.merge(run.report)
            if limit is not None:
                limit = max(limit - sum(run.report.credits.values()), 0)
            bar.advance(start + len(chunk))
    return report, False


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
