"""One store read started ahead of time, in a background thread, taken once.

Why: a bulk run over a big cached frame reads its answers slice by slice, and
each slice waits for its read before its Python work (answers, columns) can
start. The SQLite read does its work in one statement with the interpreter's
lock released (:func:`~contact_udfs.store._sqlite_sql._decoded_answers`), and a
Redis read waits on the network, so the next slice's read can run beside this
slice's work on another core. :class:`~contact_udfs.store.hot.HotStore` starts
one (:meth:`~contact_udfs.store.hot.HotStore.prefetch`) and hands its result to
the read it was started for.

What keeps it honest: the result is used only by a read of the same provider
and operation whose keys it covers, at most once, and the store layer drops it
on any write of answers in this process; a read that fails in the background is
simply done again in the foreground (where its error surfaces as usual). What
another process wrote after the read started is missed, as it would be by a
read made a moment earlier; the claims that guard paid calls read the store
again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["ReadAhead"]

Reader = Callable[[str, str, Sequence[str]], dict[str, dict[str, Any]]]


class ReadAhead:
    """``read(provider, operation, keys)`` running in a daemon thread."""

    def __init__(self, read: Reader, provider: str, operation: str, keys: Sequence[str]) -> None:
        self.provider, self.operation = provider, operation
        #: the keys in the order given, each once: the order a read of them asks in
        self._order = list(dict.fromkeys(keys))
        self.keys = frozenset(self._order)
        self._result: dict[str, dict[str, Any]] | None = None
        self._thread = threading.Thread(
            target=self._run, args=(read, self._order), name="contact_udfs-read-ahead",
            daemon=True,
        )  # fmt: skip
        self._thread.start()

    def _run(self, read: Reader, keys: list[str]) -> None:
        try:
            self._result = read(self.provider, self.operation, keys)
        except Exception:  # noqa: BLE001 - read again in the foreground, which raises it
            self._result = None

    def covers(self, provider: str, operation: str, keys: Sequence[str]) -> bool:
        """Whether this read answers a read of ``keys`` of ``provider``/``operation``."""
        return provider == self.provider and operation == self.operation and \
            self.keys.issuperset(keys)  # fmt: skip

    def result(self, keys: Sequence[str]) -> dict[str, dict[str, Any]] | None:
        """The stored answers of ``keys`` (in their order), once the read is done; None
        if it failed."""
        self._thread.join()
        got = self._result
        if got is None:
            return None
        if list(got) == (keys if isinstance(keys, list) else list(keys)):
            return got  # the usual case: a read of the same keys, all found, in order
        return {key: got[key] for key in keys if key in got}
