"""Connections to the SQLite cache file: a pool, fork safety, lock retries, file permissions.

:class:`~contact_udfs.store.sqlite.SQLiteStore` says *what* is stored; this
module owns *how* the file is reached, which is where SQLite's sharp edges are:

* a sqlite3 connection must not be used by two threads at once (Excel calls
  UDFs from several), so connections come from a small pool of idle ones;
* a connection must not cross a fork: idle ones are closed before
  ``os.fork()``, and a child drops whatever it inherited (closing it there is
  unsafe) and opens its own;
* a busy database is retried with jittered backoff up to a deadline, so
  ``database is locked`` never surfaces, and a stuck lock ends in a clear
  ``StoreError``, not a hang;
* the file holds personal data: it is created 0600 in a 0700 directory, the WAL
  and shared-memory sidecars are kept 0600, ``secure_delete`` is on, and
  :meth:`ConnectionPool.checkpoint` truncates the WAL so erased rows leave no copy.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from typing import TypeVar

from ..exceptions import StoreError

__all__ = ["ConnectionPool", "create_file", "is_busy"]

# the store's logger: these are its messages, and users filter them under its name
log = logging.getLogger("contact_udfs.store.sqlite")
_T = TypeVar("_T")

_MAX_IDLE = 8
_SIDECARS = ("-wal", "-shm")
#: pages of write-ahead log (4 KiB each) before SQLite checkpoints it into the file
WAL_PAGES = 10_000
#: bytes the log file is cut back to after a checkpoint
WAL_LIMIT = 64 * 2**20

#: pools alive in this process, so their idle connections can be closed before a fork
_LIVE: weakref.WeakSet[ConnectionPool] = weakref.WeakSet()
#: connections a forked child inherited; kept referenced so they are never closed there
_INHERITED: list[sqlite3.Connection] = []


def _before_fork() -> None:
    for pool in list(_LIVE):
        pool.close_idle()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork)


def create_file(path: str) -> None:
    """Create the directory 0700 and the file 0600 before SQLite opens it."""
    parent = os.path.dirname(path)
    try:
        if not os.path.isdir(parent):
            os.makedirs(parent, mode=0o700, exist_ok=True)
            os.chmod(parent, 0o700)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    except OSError as exc:
        raise StoreError(f"cannot create the cache file {path}: {exc.strerror}") from exc


def is_busy(exc: sqlite3.OperationalError) -> bool:
    """Whether ``exc`` only says another connection holds a lock (worth retrying)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class ConnectionPool:
    """Pooled connections to one SQLite file, for the threads of one process.

    ``timeout`` is how long SQLite itself waits for a lock; :meth:`run` keeps
    retrying a busy database for three times that before giving up.
    """

    def __init__(self, path: str, *, timeout: float) -> None:
        self.path = path
        self._timeout = timeout
        #: total time a call keeps retrying a busy database before giving up
        self._deadline = 3 * timeout
        self._closed = False
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        create_file(self.path)

    def track_forks(self) -> None:
        """From now on, close the idle connections before this process forks."""
        _LIVE.add(self)

    def run(self, fn: Callable[[sqlite3.Connection], _T], *, write: bool, what: str) -> _T:
        """Run ``fn`` in one transaction, retrying while the database is busy."""
        deadline = time.monotonic() + self._deadline
        delay = 0.005
        while True:
            try:
                with self.connection() as conn:
                    conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                    result = fn(conn)
                    conn.execute("COMMIT")
                    return result
            except sqlite3.OperationalError as exc:
                if not is_busy(exc):
                    raise StoreError(f"could not {what} in {self.path}: {exc}") from exc
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"could not {what}: the cache at {self.path} stayed locked by another "
                        f"process for {self._deadline:g} s (is one stuck?)"
                    ) from exc
                time.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 0.25)
            except sqlite3.Error as exc:
                raise StoreError(f"could not {what} in {self.path}: {exc}") from exc

    @contextlib.contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """An idle connection (or a new one), back to the pool afterwards if still healthy."""
        if self._pid != os.getpid():
            self._after_fork()
        if self._closed:
            raise StoreError(f"the cache at {self.path} is closed")
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        conn = conn or self._connect()
        healthy = True
        try:
            yield conn
        except sqlite3.Error as exc:  # a busy one is fine to reuse; anything else is suspect
            healthy = isinstance(exc, sqlite3.OperationalError) and is_busy(exc)
            raise
        finally:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            with self._lock:
                keep = healthy and not self._closed and len(self._idle) < _MAX_IDLE
                if keep:
                    self._idle.append(conn)
            if not keep:
                conn.close()

    def checkpoint(self) -> None:
        """Copy the WAL into the file and truncate it, so erased rows leave no copy there."""
        try:
            with self.connection() as conn:
                busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        except (sqlite3.Error, StoreError) as exc:
            log.warning("could not checkpoint the cache at %s: %s", self.path, exc)
            return
        if busy:
            log.info("cache %s is in use; its WAL is truncated at the next checkpoint", self.path)

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self.close_idle()

    def close_idle(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        if self._pid != os.getpid():
            _INHERITED.extend(idle)
            return
        for conn in idle:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute("PRAGMA secure_delete = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
            # a checkpoint (two fsyncs, every page copied back) after about 40 MB of log
            # rather than 4 MB: a bulk run of many small answers spent a tenth of its time
            # checkpointing; the log is cut back to 64 MB once checkpointed
            conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_PAGES:d}")
            conn.execute(f"PRAGMA journal_size_limit = {WAL_LIMIT:d}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                log.warning("SQLite cache %s could not switch to WAL (mode %s)", self.path, mode)
        except BaseException:
            conn.close()
            raise
        for suffix in _SIDECARS:
            with contextlib.suppress(OSError):
                os.chmod(self.path + suffix, 0o600)
        return conn

    def _after_fork(self) -> None:
        """In a forked child: forget the parent's connections (closing them is unsafe)."""
        _INHERITED.extend(self._idle)
        self._idle = []
        self._lock = threading.Lock()
        self._pid = os.getpid()
