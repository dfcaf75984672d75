"""The job journal of the SQLite cache: what was submitted, so a crash polls instead of paying.

A mixin of :class:`~contact_udfs.store.sqlite.SQLiteStore`, kept apart because the
journal is its own small job: written (and committed) before a job's first poll,
read by every run that resumes, shrunk as answers arrive.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence

from ._common import dumps as _dumps
from ._sqlite_conn import ConnectionPool
from .base import JobRecord

__all__ = ["DONE_JOB_RETENTION", "SQLiteJournal"]

#: done jobs are kept this long (seconds) for inspection, then dropped
DONE_JOB_RETENTION = 30 * 86400.0


class SQLiteJournal:
    """``journal_add`` / ``journal_open`` / ``journal_update`` over the ``jobs`` table."""

    _pool: ConnectionPool
    _clock: Callable[[], float]

    def journal_add(self, job: JobRecord) -> None:
        keys, meta = _dumps(list(job.keys)), _dumps(dict(job.meta))

        def work(conn: sqlite3.Connection) -> None:
            now = self._clock()
            conn.execute(
                "INSERT OR REPLACE INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (job.provider, job.job_id, job.operation, keys, meta, job.state, job.owner,
                 job.created_at or now, now),
            )  # fmt: skip
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
            JobRecord(provider, operation, job_id, json.loads(keys), json.loads(meta), "open",
                      owner, created_at)
            for job_id, keys, meta, owner, created_at in rows
        ]  # fmt: skip

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
