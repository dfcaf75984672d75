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

This module is the schema and the queries; reaching the file (the pool, forks,
lock retries, file permissions, the WAL checkpoint) is
:mod:`contact_udfs.store._sqlite_conn`.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

from ..exceptions import ConfigurationError, StoreError
from ._sqlite_conn import ConnectionPool
from .base import ClaimResult, JobRecord

__all__ = ["SQLiteStore"]

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
#: keys per statement, well under SQLITE_MAX_VARIABLE_NUMBER (999 on old builds)
CHUNK = 500
#: seconds SQLite itself waits for a lock before reporting busy
BUSY_TIMEOUT = 30.0
#: done jobs are kept this long (seconds) for inspection, then dropped
DONE_JOB_RETENTION = 30 * 86400.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (provider TEXT NOT NULL, operation TEXT NOT NULL,
    key TEXT NOT NULL, payload TEXT NOT NULL, retryable INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL, expires_at REAL, PRIMARY KEY (provider, operation, key));
CREATE INDEX IF NOT EXISTS answers_expiry ON answers(expires_at);
CREATE TABLE IF NOT EXISTS answer_emails (provider TEXT NOT NULL, operation TEXT NOT NULL,
    key TEXT NOT NULL, email TEXT NOT NULL, PRIMARY KEY (provider, operation, key, email));
CREATE INDEX IF NOT EXISTS answer_emails_email ON answer_emails(email);
CREATE TABLE IF NOT EXISTS claims (provider TEXT NOT NULL, operation TEXT NOT NULL,
    key TEXT NOT NULL, owner TEXT NOT NULL, expires_at REAL NOT NULL,
    PRIMARY KEY (provider, operation, key));
CREATE TABLE IF NOT EXISTS jobs (provider TEXT NOT NULL, job_id TEXT NOT NULL,
    operation TEXT NOT NULL, keys TEXT NOT NULL, meta TEXT NOT NULL, state TEXT NOT NULL,
    owner TEXT NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL,
    PRIMARY KEY (provider, job_id));
CREATE INDEX IF NOT EXISTS jobs_open ON jobs(provider, operation, state, created_at);
CREATE TABLE IF NOT EXISTS patterns (domain TEXT NOT NULL, pattern TEXT NOT NULL,
    count INTEGER NOT NULL, PRIMARY KEY (domain, pattern))
"""
_UPSERT_ANSWER = """INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (provider, operation, key) DO UPDATE SET payload = excluded.payload,
    retryable = excluded.retryable, created_at = excluded.created_at,
    expires_at = excluded.expires_at"""
_UPSERT_CLAIM = """INSERT INTO claims VALUES (?, ?, ?, ?, ?) ON CONFLICT (provider, operation, key)
    DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at"""
#: the filter of every per-key statement; ``{marks}`` becomes one ``?`` per key of a chunk
_KEYS = "provider = ? AND operation = ? AND key IN ({marks})"


class SQLiteStore:
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
        rows = self._pool.run(
            lambda conn: _answers(conn, provider, operation, wanted),
            write=False,
            what="read answers",
        )
        now = self._clock()
        found: dict[str, dict[str, Any]] = {}
        stale = [key for key in wanted if key in rows and _expired(rows[key][2], now)]
        for key in wanted:
            if key in rows and key not in stale:
                found[key] = json.loads(rows[key][0])
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
        keys = list(answers)
        # serialize before locking: a bad payload fails without touching the file
        rows = [(k, _dumps(answers[k]), int(bool(answers[k].get("retryable")))) for k in keys]
        links = [
            (provider, operation, key, address)
            for key in keys
            for address in _addresses(key, (emails or {}).get(key, ()))
        ]

        def work(conn: sqlite3.Connection) -> None:
            now = self._clock()
            expires = None if ttl is None else now + ttl
            conn.executemany(
                _UPSERT_ANSWER, [(provider, operation, *row, now, expires) for row in rows]
            )
            _chunked(conn, f"DELETE FROM answer_emails WHERE {_KEYS}", (provider, operation), keys)
            if owner is not None:
                _chunked(
                    conn,
                    f"DELETE FROM claims WHERE owner = ? AND {_KEYS}",
                    (owner, provider, operation),
                    keys,
                )
            conn.executemany("INSERT OR IGNORE INTO answer_emails VALUES (?, ?, ?, ?)", links)

        if keys:
            self._pool.run(work, write=True, what="save answers")

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

    def journal_add(self, job: JobRecord) -> None:
        keys, meta = _dumps(list(job.keys)), _dumps(dict(job.meta))

        def work(conn: sqlite3.Connection) -> None:
            now = self._clock()
            conn.execute(
                "INSERT OR REPLACE INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job.provider,
                    job.job_id,
                    job.operation,
                    keys,
                    meta,
                    job.state,
                    job.owner,
                    job.created_at or now,
                    now,
                ),
            )
            conn.execute(
                "DELETE FROM jobs WHERE state = 'done' AND updated_at < ?",
                (now - DONE_JOB_RETENTION,),
            )

        self._pool.run(work, write=True, what="journal a job")  # committed: durable on return

    def journal_open(self, provider: str, operation: str) -> list[JobRecord]:
        rows = self._pool.run(
            lambda conn: conn.execute(
                "SELECT job_id, keys, meta, owner, created_at FROM jobs WHERE provider = ?"
                " AND operation = ? AND state = 'open' ORDER BY created_at, rowid",
                (provider, operation),
            ).fetchall(),
            write=False,
            what="read the job journal",
        )
        return [
            JobRecord(
                provider,
                operation,
                job_id,
                json.loads(keys),
                json.loads(meta),
                "open",
                owner,
                created_at,
            )
            for job_id, keys, meta, owner, created_at in rows
        ]

    def journal_update(self, provider: str, job_id: str, *, remaining: Sequence[str]) -> None:
        keys = list(remaining)
        self._pool.run(
            lambda conn: conn.execute(
                "UPDATE jobs SET keys = ?, state = ?, updated_at = ?"
                " WHERE provider = ? AND job_id = ?",
                (_dumps(keys), "open" if keys else "done", self._clock(), provider, job_id),
            ),
            write=True,
            what="update the job journal",
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
        quoted = _dumps(address)[1:-1]  # the address as it appears inside stored JSON
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
            conn.execute("DELETE FROM answer_emails WHERE email = ?", (address,))
            conn.execute("DELETE FROM claims WHERE lower(trim(key)) = ?", (address,))
            jobs = conn.execute("SELECT provider, job_id, keys, meta, state FROM jobs").fetchall()
            for provider, job_id, keys_json, meta_json, state in jobs:
                keys = json.loads(keys_json)
                kept = [k for k in keys if _norm(k) != address]
                if len(kept) == len(keys) and quoted not in meta_json.lower():
                    continue
                if state == "open" and kept:
                    meta = _without(json.loads(meta_json), address)
                    conn.execute(
                        "UPDATE jobs SET keys = ?, meta = ? WHERE provider = ? AND job_id = ?",
                        (_dumps(kept), _dumps(meta), provider, job_id),
                    )
                else:  # done, or nothing left to wait for: drop the record entirely
                    conn.execute(
                        "DELETE FROM jobs WHERE provider = ? AND job_id = ?", (provider, job_id)
                    )
            return removed

        removed = self._pool.run(work, write=True, what="forget an address") if address else 0
        self._pool.checkpoint()
        return removed

    def clear(self) -> None:
        def work(conn: sqlite3.Connection) -> None:
            for table in ("answers", "answer_emails", "claims", "jobs", "patterns"):
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
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the cache at {self.path} was written by a newer contact_udfs "
                f"(schema {version}); upgrade contact_udfs or point CONTACT_UDFS_CACHE elsewhere"
            )
        if version < SCHEMA_VERSION:
            for statement in _SCHEMA.split(";"):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION:d}")


def _chunked(
    conn: sqlite3.Connection, sql: str, head: tuple[Any, ...], keys: Sequence[str]
) -> list[Any]:
    """Run ``sql`` once per :data:`CHUNK` keys (``head`` args first); all rows it returned."""
    rows: list[Any] = []
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        marks = ", ".join("?" * len(chunk))
        rows.extend(conn.execute(sql.format(marks=marks), (*head, *chunk)).fetchall())
    return rows


def _answers(
    conn: sqlite3.Connection, provider: str, operation: str, keys: Sequence[str]
) -> dict[str, tuple[str, int, float | None]]:
    """key -> (payload, retryable, expires_at), expired rows included."""
    sql = f"SELECT key, payload, retryable, expires_at FROM answers WHERE {_KEYS}"
    return {key: tuple(rest) for key, *rest in _chunked(conn, sql, (provider, operation), keys)}


def _purge(
    conn: sqlite3.Connection, provider: str, operation: str, keys: Sequence[str], now: float
) -> None:
    """Delete the expired answers among ``keys`` and their address links."""
    expired = f"SELECT key FROM answers WHERE expires_at <= ? AND {_KEYS}"
    _chunked(
        conn,
        f"DELETE FROM answer_emails WHERE provider = ? AND operation = ? AND key IN ({expired})",
        (provider, operation, now, provider, operation),
        keys,
    )
    _chunked(
        conn,
        f"DELETE FROM answers WHERE expires_at <= ? AND {_KEYS}",
        (now, provider, operation),
        keys,
    )


def _unique(keys: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(keys))


def _expired(expires_at: float | None, now: float) -> bool:
    return expires_at is not None and expires_at <= now


def _norm(address: str) -> str:
    return str(address).strip().lower()


def _addresses(key: str, extra: Collection[str] | str) -> list[str]:
    """Addresses an answer mentions: the listed ones plus the key when it is an address."""
    listed = [extra] if isinstance(extra, str) else list(extra)
    if "@" in key:
        listed.append(key)
    return sorted({_norm(a) for a in listed if a and _norm(a)})


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _without(value: Any, address: str) -> Any:
    """``value`` (JSON data) with every mention of ``address`` taken out."""
    if isinstance(value, dict):
        return {
            k: _without(v, address)
            for k, v in value.items()
            if not (isinstance(k, str) and _norm(k) == address)
            and not (isinstance(v, str) and _norm(v) == address)
        }
    if isinstance(value, list):
        return [
            _without(v, address) for v in value if not (isinstance(v, str) and _norm(v) == address)
        ]
    return value
