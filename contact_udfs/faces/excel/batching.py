"""How the Excel formulas reach the engine: one call per range, gathered single cells,
short waits with background completion, and errors turned into cell text.

Why this module exists: every cell formula is a separate call from Excel, but
providers are paid per batch request and answer big jobs slowly. So

* a range is one engine call (one provider batch per 250/300 misses);
* single-cell formulas that need a paid answer are gathered for a short window
  (``CONTACT_UDFS_EXCEL_WINDOW_MS``, default 200 ms, extended while cells keep
  coming) and sent as ONE engine call; a formula left alone in its window is
  answered directly, the gathered ones say ``PENDING`` and the next
  recalculation answers them from the store (see :class:`Gatherer` for why).
  Cells already answered (cache, bad input) never wait;
* a provider job still running after ``CONTACT_UDFS_EXCEL_WAIT`` seconds (default 5)
  does not freeze Excel: those cells read ``PENDING (n/N)``, a daemon thread keeps
  polling the journaled job until the answers are stored, and the next
  recalculation answers from the store at no cost;
* nothing raises: provider, budget and configuration problems become one short
  message, with every API key blanked out (:mod:`contact_udfs.faces.excel.errors`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from ...api import Client, default_client
from ...core.items import normalize_item
from ...models import Answer, Operation
from .errors import _MAX_MESSAGE as _MAX_MESSAGE  # moved with the cell-text helpers
from .errors import _secrets as _secrets
from .errors import error_text, known_secrets, redact

__all__ = [
    "DEFAULT_WAIT_S", "DEFAULT_WINDOW_MS", "Gatherer", "Outcome", "Tracker", "answer_many",
    "answer_one", "error_text", "known_secrets", "redact", "run_many", "wait_for_background",
    "wait_seconds",
    "window_seconds",
]  # fmt: skip

log = logging.getLogger(__name__)

DEFAULT_WINDOW_MS = 200.0
DEFAULT_WAIT_S = 5.0
#: a window closes early once this many cells are gathered (one engine call stays bounded)
MAX_GATHERED = 5000
_MAX_FAILURES = 50_000
#: longest a window stays open while cells keep arriving
_DAEMON_CAP = 60.0


class Outcome(NamedTuple):
    """What one input item gets: an answer, a pending job, or an error message.

    A named tuple, not a dataclass: a recalculated range makes one per cell."""

    answer: Answer | None = None
    #: (answered, total) distinct items of the run this item waits for
    pending: tuple[int, int] | None = None
    error: str | None = None


# -- settings -----------------------------------------------------------------------------------


def _env_number(name: str, default: float, low: float, high: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        log.warning("%s=%r is not a number; using %s", name, raw, default)
        value = default
    return min(max(value, low), high) if value == value else default


def window_seconds() -> float:
    """The gathering window for single-cell formulas (``CONTACT_UDFS_EXCEL_WINDOW_MS``)."""
    return _env_number("CONTACT_UDFS_EXCEL_WINDOW_MS", DEFAULT_WINDOW_MS, 0.0, 5000.0) / 1000


def wait_seconds() -> float:
    """How long a formula waits for a provider job (``CONTACT_UDFS_EXCEL_WAIT``)."""
    return _env_number("CONTACT_UDFS_EXCEL_WAIT", DEFAULT_WAIT_S, 0.0, 600.0)


# -- who is working on which contact ------------------------------------------------------------


@dataclass(eq=False)
class Work:
    """A gathered batch or a background run: the contacts it answers and its progress."""

    total: int = 0
    done: int = 0

    def update(self, done: int, total: int) -> None:
        self.done, self.total = done, max(total, 1)


class Tracker:
    """Contacts already being asked, so a recalculation shows progress instead of waiting
    on another run's claim; and failures to show the cells that were told PENDING."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._busy: dict[tuple[Operation, str], Work] = {}
        self._failed: dict[tuple[Operation, str], str] = {}

    def progress(self, operation: Operation, keys: Iterable[str | None],
                 ignore: Work | None = None) -> dict[str, tuple[int, int]]:  # fmt: skip
        with self._cond:
            if not self._busy:  # nothing in flight: the usual recalculation
                return {}
            out = {}
            for key in keys:
                work = self._busy.get((operation, key)) if key else None
                if work is not None and work is not ignore:
                    out[key] = (work.done, max(work.total, 1))
            return out

    def take(self, operation: Operation, keys: Iterable[str | None], work: Work,
             ignore: Work | None = None) -> set[str]:  # fmt: skip
        """Mark the free keys (or those of ``ignore``) as ``work``'s; returns them."""
        taken = set()
        with self._cond:
            for key in keys:
                if key and self._busy.get((operation, key), ignore) is ignore:
                    self._busy[(operation, key)] = work
                    self._failed.pop((operation, key), None)
                    taken.add(key)
            work.total += len(taken)
        return taken

    def release(self, operation: Operation, work: Work, keys: Iterable[str],
                failure: str | None = None) -> None:  # fmt: skip
        with self._cond:
            if failure is not None and len(self._failed) > _MAX_FAILURES:
                self._failed.clear()
            for key in keys:
                if self._busy.get((operation, key)) is work:
                    del self._busy[(operation, key)]
                    if failure is not None:
                        self._failed[(operation, key)] = failure
            self._cond.notify_all()

    def failures(self, operation: Operation, keys: Iterable[str | None]) -> dict[str, str]:
        """The errors background runs met for ``keys``, each told once (then retried)."""
        with self._cond:
            if not self._failed:
                return {}
            out = {}
            for key in keys:
                if key and (operation, key) in self._failed:
                    out[key] = self._failed.pop((operation, key))
            return out

    def failure(self, operation: Operation, key: str | None, *, pop: bool) -> str | None:
        """The error a background run met for ``key`` (told once, then retried)."""
        with self._cond:
            if not key:
                return None
            return (self._failed.pop if pop else self._failed.get)((operation, key), None)

    def wait(self, timeout: float | None = None) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: not self._busy, timeout)


TRACKER = Tracker()


def wait_for_background(timeout: float | None = None) -> bool:
    """Wait until every gathered batch and pending job has its answers in the store
    (False on timeout). For scripts and tests; Excel users simply recalculate later."""
    return TRACKER.wait(timeout)


# -- engine calls -------------------------------------------------------------------------------


def _keys(operation: Operation, items: Sequence[object]) -> list[str | None]:
    # items the formulas normalized already are taken as they are (see normalize_item)
    return [normalize_item(operation, item).key for item in items]


def answer_many(
    operation: Operation, items: Sequence[object], *, holder: Work | None = None
) -> list[Outcome]:
    """One engine call for ``items``; one :class:`Outcome` each, in order; never raises.

    Contacts another batch or background run is working on answer ``PENDING``
    at once (``holder``'s own contacts excepted); contacts whose job outlives
    the short wait are handed to a background run.
    """
    items = list(items)
    try:
        return run_many(operation, items, holder=holder)
    except Exception as exc:
        return [Outcome(error=error_text(exc, _client()))] * len(items)


def _client() -> Client | None:
    try:
        return default_client()
    except Exception:
        return None


def run_many(
    operation: Operation, items: Sequence[object], *, holder: Work | None = None,
    answered_elsewhere: int = 0,
) -> list[Outcome]:  # fmt: skip
    """:func:`answer_many`, raising what stops the whole call (a key refused, the budget,
    the configuration) instead of telling every item; ``answered_elsewhere`` distinct
    contacts of the same range, answered without this call, count in ``PENDING (n/N)``
    as they would have in it."""
    items = list(items)
    client = default_client()
    keys = _keys(operation, items)
    busy = TRACKER.progress(operation, keys, ignore=holder)
    failed = TRACKER.failures(operation, keys)
    out: list[Outcome] = [Outcome(error="no answer")] * len(items)
    if busy or failed:
        send: list[int] = []
        for i, key in enumerate(keys):
            if key in failed or key in busy:
                why = failed.get(key)  # type: ignore[arg-type]
                out[i] = Outcome(error=why, pending=None if why else busy[key])  # type: ignore[index]
            else:
                send.append(i)
    else:  # the usual recalculation: nothing in flight, nothing failed
        send = list(range(len(items)))
    if not send:
        return out
    run = client.run(operation, [items[i] for i in send], poll_timeout=wait_seconds())
    distinct = run.report.distinct + answered_elsewhere
    progress = (distinct - run.report.pending, distinct)
    for i, answer in zip(send, run.results, strict=True):
        waiting = answer.reason == "pending" and answer.retryable
        out[i] = Outcome(pending=progress) if waiting else Outcome(answer=answer)
    later = [items[i] for i in send if out[i].pending is not None]
    if later:
        _finish_in_background(client, operation, later, holder)
    return out


def _finish_in_background(
    client: Client, operation: Operation, items: list[object], holder: Work | None
) -> None:
    """Poll the journaled jobs with the normal timeout in a daemon thread."""
    work = Work()
    keys = TRACKER.take(operation, _keys(operation, items), work, ignore=holder)
    if not keys:
        return

    def run() -> None:
        failure = None
        try:
            got = client.run(operation, items, progress=work.update)
            if got.report.pending:
                log.info("%d contacts still pending; recalculate later", got.report.pending)
        except Exception as exc:  # a background thread has nobody to raise to
            failure = error_text(exc, client)
            log.warning("background %s run failed: %s", operation.value, failure)
        finally:
            TRACKER.release(operation, work, keys, failure)

    name = f"contact-udfs-{operation.value}-pending"
    threading.Thread(target=run, name=name, daemon=True).start()


# -- gathering single cells ---------------------------------------------------------------------


@dataclass(eq=False)
class _Batch:
    work: Work
    last: float  # when the latest cell joined
    items: list[object] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    joined: threading.Event = field(default_factory=threading.Event)  # a 2nd cell came
    full: threading.Event = field(default_factory=threading.Event)  # close it now


class Gatherer:
    """Turns single-cell calls arriving close together into one engine call per window.

    Excel calls a sheet's formulas one after the other, so a cell that waited for
    the batch would keep the next cell from ever joining it. Hence:

    * the first call of a window waits the window; if it stays alone (a formula
      typed by hand), it runs ``run`` itself and returns its own answer;
    * once another call joins (a filled-down column calculating, or concurrent
      callers), a daemon thread takes over: it waits until no call has joined for
      a window, then runs ``run`` ONCE for everything gathered; every caller,
      the first included, answers ``PENDING`` at once, and the next
      recalculation answers from the store;
    * a call right after another one of the same operation knows a column is
      calculating and hands its window to a daemon thread straight away.
    """

    def __init__(
        self,
        run: Callable[..., list[Outcome]] = answer_many,
        window: Callable[[], float] = window_seconds,
        max_items: int = MAX_GATHERED,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._run = run
        self._window = window
        self._max = max_items
        self._clock = clock
        self._lock = threading.Lock()
        self._open: dict[Operation, _Batch] = {}
        self._last_call: dict[Operation, float] = {}

    def ask(self, operation: Operation, item: object, key: str) -> Outcome:
        window = self._window()
        with self._lock:
            now = self._clock()
            recent = now - self._last_call.get(operation, float("-inf")) < window
            self._last_call[operation] = now
            batch = self._open.get(operation)
            if batch is not None:
                return self._join(operation, batch, item, key, now)
            batch = self._open[operation] = _Batch(Work(), last=now)
            batch.items.append(item)
            batch.keys |= TRACKER.take(operation, [key], batch.work)
        if not recent:
            batch.joined.wait(window)  # production batching: the window itself
            with self._lock:
                alone = len(batch.items) == 1 and self._open.pop(operation, None) is batch
            if alone:
                outcome = self._send(operation, batch)[0]
                TRACKER.failure(operation, key, pop=True)  # this caller is told right now
                with self._lock:
                    self._last_call[operation] = self._clock()
                return outcome
        name = f"contact-udfs-{operation.value}-gather"
        threading.Thread(target=self._lead, args=(operation, batch, window), name=name,
                         daemon=True).start()  # fmt: skip
        return Outcome(pending=(0, len(batch.items)))

    def _join(self, operation: Operation, batch: _Batch, item: object, key: str,
              now: float) -> Outcome:  # fmt: skip
        if key not in batch.keys:
            batch.items.append(item)
            batch.keys |= TRACKER.take(operation, [key], batch.work)
        batch.last = now
        batch.joined.set()
        if len(batch.items) >= self._max:
            del self._open[operation]
            batch.full.set()
        return Outcome(pending=(0, len(batch.items)))

    def _lead(self, operation: Operation, batch: _Batch, window: float) -> None:
        """Daemon side: wait until the column stops calculating, then send the batch."""
        deadline = self._clock() + _DAEMON_CAP
        while True:
            with self._lock:
                until = min(batch.last + window, deadline) - self._clock()
                if until <= 0 or batch.full.is_set():
                    if self._open.get(operation) is batch:
                        del self._open[operation]
                    break
            batch.full.wait(until)
        self._send(operation, batch)

    def _send(self, operation: Operation, batch: _Batch) -> list[Outcome]:
        failure = None
        try:
            results = self._run(operation, batch.items, holder=batch.work)
            errors = {r.error for r in results}
            if len(errors) == 1 and None not in errors:
                failure = errors.pop()  # one problem for the whole batch: tell every cell
            return results
        except Exception as exc:
            failure = error_text(exc)
            return [Outcome(error=failure)] * len(batch.items)
        finally:
            TRACKER.release(operation, batch.work, batch.keys, failure)


GATHERER = Gatherer()


def answer_one(operation: Operation, item: object) -> Outcome:
    """One item from a single-cell formula: gathered with its neighbours when it costs."""
    try:
        key = normalize_item(operation, item).key
        busy = key is None or TRACKER.progress(operation, [key]) or TRACKER.failure(
            operation, key, pop=False)  # fmt: skip
        if busy or window_seconds() <= 0 or default_client().estimate([item], operation).total == 0:
            return answer_many(operation, [item])[0]  # nothing to pay or to wait for: now
        assert key is not None
        return GATHERER.ask(operation, item, key)
    except Exception as exc:
        return Outcome(error=error_text(exc))
