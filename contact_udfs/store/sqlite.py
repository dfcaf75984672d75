"""The default store: one SQLite file shared by the threads and processes of one machine.

* WAL lets cache hits read while one writer commits; ``synchronous=NORMAL``
  keeps commits cheap without risking corruption.
* Every write is one ``BEGIN IMMEDIATE`` transaction: it takes the write lock up
  front, so :meth:`SQLiteStore.claim` reads and claims atomically across processes.
* A busy timeout plus a bounded retry loop: concurrent use never surfaces
  ``database is locked``, and a stuck lock ends in a clear ``StoreError``, not a hang.
* Connections come from a small pool, because a sqlite3 connection must not be
  used by two threads at once (Excel calls UDFs from several); a forked child
  drops the pool it inherited and opens its own.
* The file holds personal data: created 0600 in a 0700 directory,
  ``secure_delete`` zeroes erased rows, and forget/clear truncate the WAL so an
  erased address leaves no copy on disk.
* Time comes from an injectable clock, so expiry is tested without sleeping.

This module is what each operation stores and reads; the schema, its migration
and the statements over many keys are :mod:`contact_udfs.store._sqlite_sql`, and
reaching the file (the pool, forks, lock retries, file permissions, the WAL
checkpoint) is :mod:`contact_udfs.store._sqlite_conn`. The job journal
(:mod:`._sqlite_journal`), taking over a dead owner's claims (:mod:`._sqlite_claims`)
and reading one purchase for several operations (:mod:`._sqlite_aliases`) are
mixins of their own.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from ..exceptions import ConfigurationError, StoreError
from ._budget import sqlite_budget_add as _budget_add
from ._common import addresses as _addresses
from ._common import dumps as _dumps
from ._common import norm as _norm
from ._common import nothing_to_write
from ._common import unique as _unique
from ._sqlite_aliases import SQLiteAliases
from ._sqlite_claims import SQLiteClaims
from ._sqlite_conn import ConnectionPool
from ._sqlite_journal import DONE_JOB_RETENTION as DONE_JOB_RETENTION
from ._sqlite_journal import SQLiteJournal
from ._sqlite_sql import (
    _KEYS,
    _UPSERT_ANSWER,
    _UPSERT_CLAIM,
    _answers,
    _chunked,
    _decoded_answers,
    _expired,
    _forget_in_jobs,
    _migrate_schema,
    _purge,
    _upsert_as_json,
)

# moved to _sqlite_sql with the rest of the SQL; still importable from here
from ._sqlite_sql import _SCHEMA as _SCHEMA
from ._sqlite_sql import CHUNK as CHUNK
from ._sqlite_sql import SCHEMA_VERSION as SCHEMA_VERSION
from .base import ClaimResult

__all__ = ["SQLiteStore"]

log = logging.getLogger(__name__)

#: seconds SQLite itself waits for a lock before reporting busy
BUSY_TIMEOUT = 30.0


def _links(
    provider: str, operation: str, keys: Sequence[str], emails: Mapping[str, Collection[str]]
) -> list[tuple[str, str, str, str]]:
    """The ``answer_emails`` rows of ``keys``. An answer keyed by the address itself needs
    no link to it (readers match the key too): a verify usually writes none."""
    links = []
    for key in keys:
        listed = emails.get(key)
        if not listed or (len(listed) == 1 and not isinstance(listed, str) and key in listed):
            continue
        links.extend((provider, operation, key, a) for a in _addresses(key, listed) if a != key)
    return links


def _has_links(conn: sqlite3.Connection, provider: str, operation: str) -> bool:
    """Whether any answer of ``provider``/``operation`` has links (one index probe)."""
    sql = "SELECT 1 FROM answer_emails WHERE provider = ? AND operation = ? LIMIT 1"
    return conn.execute(sql, (provider, operation)).fetchone() is not None


def _relink(
    conn: sqlite3.Connection, provider: str, operation: str, keys: Sequence[str],
    links: list[tuple[str, str, str, str]], owner: str | None,
) -> None:  # fmt: skip
    """After answers for ``keys`` are written: their old links go, ``links`` come, and
    ``owner``'s claims on them are dropped (one transaction with the write)."""
    if _has_links(conn, provider, operation):  # the old answers' links go
        _chunked(conn, f"DELETE FROM answer_emails WHERE {_KEYS}", (provider, operation), keys)
    if owner is not None:
        _chunked(
            conn, f"DELETE FROM claims WHERE owner = ? AND {_KEYS}", (owner, provider, operation),
            keys,
        )  # fmt: skip
    conn.executemany("INSERT OR IGNORE INTO answer_emails VALUES (?, ?, ?, ?)", links)


class SQLiteStore(SQLiteJournal, SQLiteClaims, SQLiteAliases):
    """A :class:`~contact_udfs.store.base.Store` in one SQLite file (see module docstring)."""

    backend = "sqlite"

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        clock: Callable[[], float] = time.time,
        timeout: float = BUSY_TIMEOUT,
    ) -> None:
        raw = os.fspath(path)
        if not raw or raw == ":memory:" or raw.startswith("file:"):
            raise ConfigurationError(
                "the SQLite cache needs a file path (an in-memory database cannot be "
                "shared between threads and processes)"
            )
        self.path = os.path.abspath(os.path.expanduser(raw))
        self.location = self.path
        self._clock = clock
        self._pool = ConnectionPool(self.path, timeout=timeout)  # creates the file 0600
        self._pool.run(self._migrate, write=True, what="create the cache schema")
        self._pool.track_forks()

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"

    def get_many(
        self, provider: str, operation: str, keys: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        wanted = _unique(keys)
        if not wanted:
            return {}
        now = self._clock()
        live, stale = self._pool.run(
            lambda conn: _decoded_answers(conn, provider, operation, wanted, now),
            write=False,
            what="read answers",
        )
        # in the order asked: the one-statement read returns them so when all are live
        found = live if list(live) == wanted else {k: live[k] for k in wanted if k in live}
        if stale:  # best effort: a read never fails because a purge could not run
            try:
                self._pool.run(
                    lambda conn: _purge(conn, provider, operation, stale, now),
                    write=True,
                    what="purge expired answers",
                )
            except StoreError as exc:
                log.debug("skipped purging expired answers: %s", exc)
        return found

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
        # in key order: the inserts walk the index once, page by page, rather than
        # jumping about it (a fifth less work on a big cache)
        keys = sorted(answers)
        # serialize before locking: a bad payload fails without touching the file
        rows = [(k, _dumps(answers[k]), int(bool(answers[k].get("retryable")))) for k in keys]
        links = _links(provider, operation, keys, emails or {})

        def work(conn: sqlite3.Connection) -> None:
            now = self._clock()
            expires = None if ttl is None else now + ttl
            conn.executemany(
                _UPSERT_ANSWER, [(provider, operation, *row, now, expires) for row in rows]
            )
            _relink(conn, provider, operation, keys, links, owner)

        if keys:
            self._pool.run(work, write=True, what="save answers")

    def put_many_later(
        self,
        provider: str,
        operation: str,
        answers: Mapping[str, dict[str, Any]],
        *,
        ttl: float | None,
        emails: Mapping[str, Collection[str]] | None = None,
    ) -> Callable[[], None]:
        """:meth:`put_many` in two halves: encoded now, written when the returned call runs.

        Why: the write is then one statement (:func:`._sqlite_sql._upsert_as_json`) that
        SQLite runs with the interpreter's lock released, so a caller running it in a
        background thread (:class:`~contact_udfs.core.behind.WritesBehind`) answers its
        next batch meanwhile; ``executemany`` takes the lock back for every row, and in a
        background thread waits for it each time. No ``owner``: answers written this way
        are ones nobody claimed (free ones). A SQLite without JSON functions gets the
        write of :meth:`put_many`, at once.
        """
        keys = sorted(answers)
        if not keys:
            return nothing_to_write
        # serialize before locking: a bad payload fails here, in the caller's thread
        rows = _dumps([[k, answers[k], int(bool(answers[k].get("retryable")))] for k in keys])
        links = _links(provider, operation, keys, emails or {})

        def work(conn: sqlite3.Connection) -> bool:
            now = self._clock()
            expires = None if ttl is None else now + ttl
            if not _upsert_as_json(conn, provider, operation, rows, now, expires):
                return False
            _relink(conn, provider, operation, keys, links, None)
            return True

        def write() -> None:
            if not self._pool.run(work, write=True, what="save answers"):
                self.put_many(provider, operation, answers, ttl=ttl, emails=emails)

        return write

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
        wanted = _unique(keys)

        def work(conn: sqlite3.Connection) -> ClaimResult:
            now = self._clock()  # read under the write lock, so expiries compare fresh
            answers = _answers(conn, provider, operation, wanted)
            holders = {
                key: (holder, until)
                for key, holder, until in _chunked(
                    conn,
                    f"SELECT key, owner, expires_at FROM claims WHERE {_KEYS}",
                    (provider, operation),
                    wanted,
                )
            }
            result, stale, taken = ClaimResult(), [], []
            for key in wanted:
                row = answers.get(key)
                if row is not None and _expired(row[2], now):
                    stale.append(key)
                elif row is not None and not (skip_retryable and row[1]):
                    result.cached[key] = json.loads(row[0])
                    continue
                held = holders.get(key)
                if held is not None and held[0] != owner and held[1] > now:
                    result.elsewhere.append(key)
                else:  # free, mine already, or a lapsed claim of a dead owner: take it
                    result.mine.append(key)
                    taken.append((provider, operation, key, owner, now + ttl))
            _purge(conn, provider, operation, stale, now)
            conn.executemany(_UPSERT_CLAIM, taken)
            return result

        return self._pool.run(work, write=True, what="claim keys") if wanted else ClaimResult()

    def extend(
        self, provider: str, operation: str, keys: Sequence[str], *, owner: str, ttl: float
    ) -> None:
        self._pool.run(
            lambda conn: _chunked(
                conn,
                f"UPDATE claims SET expires_at = ? WHERE owner = ? AND {_KEYS}",
                (self._clock() + ttl, owner, provider, operation),
                _unique(keys),
            ),
            write=True,
            what="extend claims",
        )

    def release(self, provider: str, operation: str, keys: Sequence[str], *, owner: str) -> None:
        self._pool.run(
            lambda conn: _chunked(
                conn,
                f"DELETE FROM claims WHERE owner = ? AND {_KEYS}",
                (owner, provider, operation),
                _unique(keys),
            ),
            write=True,
            what="release claims",
        )

    def record_pattern(self, domain: str, pattern: str) -> None:
        self._pool.run(
            lambda conn: conn.execute(
                "INSERT INTO patterns VALUES (?, ?, 1) ON CONFLICT (domain, pattern)"
                " DO UPDATE SET count = count + 1",
                (domain.strip().lower(), pattern),
            ),
            write=True,
            what="record a pattern",
        )

    def domain_patterns(self, domain: str) -> dict[str, int]:
        rows = self._pool.run(
            lambda conn: conn.execute(
                "SELECT pattern, count FROM patterns WHERE domain = ? ORDER BY count DESC",
                (domain.strip().lower(),),
            ).fetchall(),
            write=False,
            what="read patterns",
        )
        return dict(rows)

    def forget(self, email: str) -> int:
        """Erase ``email`` (see :meth:`Store.forget`), then truncate the WAL.

        An open job keeps what it needs to collect its other answers; the
        address is taken out of its keys and of its ``meta``.
        """
        address = _norm(email)
        triple = "provider = ? AND operation = ? AND key = ?"

        def work(conn: sqlite3.Connection) -> int:
            targets = set(
                conn.execute(
                    "SELECT provider, operation, key FROM answer_emails WHERE email = ?", (address,)
                )
            )
            targets.update(
                conn.execute(
                    "SELECT provider, operation, key FROM answers WHERE lower(trim(key)) = ?",
                    (address,),
                )
            )
            removed = 0
            for where in targets:
                removed += conn.execute(f"DELETE FROM answers WHERE {triple}", where).rowcount
                conn.execute(f"DELETE FROM answer_emails WHERE {triple}", where)
                conn.execute(f"DELETE FROM claims WHERE {triple}", where)
                conn.execute(f"DELETE FROM aliases WHERE {triple}", where)
            conn.execute("DELETE FROM answer_emails WHERE email = ?", (address,))
            conn.execute("DELETE FROM claims WHERE lower(trim(key)) = ?", (address,))
            _forget_in_jobs(conn, address)
            return removed

        removed = self._pool.run(work, write=True, what="forget an address") if address else 0
        self._pool.checkpoint()
        return removed

    def clear(self) -> None:
        def work(conn: sqlite3.Connection) -> None:
            for table in ("answers", "answer_emails", "claims", "jobs", "patterns", "aliases"):
                conn.execute(f"DELETE FROM {table}")

        self._pool.run(work, write=True, what="clear the cache")
        self._pool.checkpoint()

    def stats(self) -> dict[str, Any]:
        """Counts; ``answers``, ``by_provider`` and ``retryable`` count unexpired answers."""
        live = "(expires_at IS NULL OR expires_at > ?)"

        def work(conn: sqlite3.Connection) -> dict[str, Any]:
            now = self._clock()
            by_provider: dict[str, dict[str, int]] = {}
            for provider, operation, n in conn.execute(
                f"SELECT provider, operation, count(*) FROM answers WHERE {live}"
                " GROUP BY provider, operation ORDER BY provider, operation",
                (now,),
            ):
                by_provider.setdefault(provider, {})[operation] = n

            def count(sql: str, *args: object) -> int:
                return int(conn.execute(sql, args).fetchone()[0])

            return {
                "backend": self.backend,
                "location": self.location,
                "answers": sum(n for ops in by_provider.values() for n in ops.values()),
                "by_provider": by_provider,
                "retryable": count(f"SELECT count(*) FROM answers WHERE retryable AND {live}", now),
                "expired": count("SELECT count(*) FROM answers WHERE expires_at <= ?", now),
                "claims": count("SELECT count(*) FROM claims WHERE expires_at > ?", now),
                "open_jobs": count("SELECT count(*) FROM jobs WHERE state = 'open'"),
                "patterns": count("SELECT count(*) FROM patterns"),
            }

        result = self._pool.run(work, write=False, what="read statistics")
        files = (self.path, self.path + "-wal")
        result["size_bytes"] = sum(os.path.getsize(f) for f in files if os.path.exists(f))
        return result

    def close(self) -> None:
        self._pool.close()

    def _migrate(self, conn: sqlite3.Connection) -> None:
        _migrate_schema(conn, self.path)

    # -- a shared budget counter ------------------------------------------------------
    def budget_add(
        self, name: str, amount: float, *, limit: float, ttl: float | None = None
    ) -> tuple[float, float]:
        now = self._clock()
        return self._pool.run(
            lambda conn: _budget_add(conn, name, amount, limit, now, ttl),
            write=True, what="count a shared budget",
        )  # fmt: skip
