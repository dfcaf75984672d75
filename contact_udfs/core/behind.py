"""Writes behind: a free answer's store write runs while the next batch is answered.

Why: the offline provider answers a batch in less time than storing it takes, so a
first run spent most of its time writing. A write handed here runs in a background
thread - SQLite's one-statement write (``put_many_later``) holds no interpreter lock
while it works - and the caller goes on to its next batch.

Only answers nobody paid for are written this way (the engine hands over nothing
else): a paid answer is stored before anything more is sent. One write is in flight
at a time, so writes land in order and at most one batch waits in memory; the run
that handed them waits for the last one (:meth:`WritesBehind.wait`) before it ends,
and a write that failed raises there.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

__all__ = ["WritesBehind"]

log = logging.getLogger(__name__)


class WritesBehind:
    """One write at a time in a background thread; its error raised by :meth:`wait`."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        #: writes run so far (each in a thread of its own)
        self.started = 0

    def submit(self, write: Callable[[], None]) -> None:
        """Run ``write`` in the background, once the write before it has ended."""
        self.wait()
        self._thread = threading.Thread(
            target=self._run, args=(write,), name="contact_udfs-write-behind", daemon=True
        )
        self.started += 1
        self._thread.start()

    def wait(self) -> None:
        """Wait for the write in flight; raise its error, if it failed."""
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()
        error, self._error = self._error, None
        if error is not None:
            raise error

    def settle(self) -> None:
        """:meth:`wait` while another error is on its way out: this one is logged, not raised
        (the first error is the one the caller sees)."""
        try:
            self.wait()
        except Exception as exc:
            log.error("a background store write failed as well: %s", exc)

    def _run(self, write: Callable[[], None]) -> None:
        try:
            write()
        except BaseException as exc:  # handed to the caller's thread by wait()
            self._error = exc
