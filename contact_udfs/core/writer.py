"""Saving a free provider's answers on a second thread while the run goes on.

Why: once the provider answers in microseconds (the offline ``local`` one), a
first run spends most of its time writing to the store, and SQLite does that
work without holding the interpreter lock. A run that sends a free provider
several chunks hands each chunk's write to one background thread and computes
the next chunk meanwhile, so two cores share the work.

Only free answers go this way: a paid answer is written before the run does
anything else (DESIGN §5: nothing paid is lost if the next step fails). The run
waits for every write before it returns, and the first error a write raised is
raised then.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any

__all__ = ["BackgroundWriter"]


class BackgroundWriter:
    """One thread running writes in order; :meth:`close` waits for them all."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="contact-udfs-save")
        self._pending: list[Future[Any]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        self._pending.append(self._pool.submit(fn, *args, **kwargs))

    def close(self) -> None:
        """Wait for every write; raise the first error one of them raised."""
        try:
            for future in self._pending:
                future.result()
        finally:
            self._pending.clear()
            self._pool.shutdown(wait=True)

    def __enter__(self) -> BackgroundWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
