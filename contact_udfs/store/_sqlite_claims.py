"""Taking over the claims of a dead owner in the SQLite cache, without waiting for them to lapse.

A mixin of :class:`~contact_udfs.store.sqlite.SQLiteStore`. The store cannot tell
whether an owner is alive; the engine can (an owner id carries its host and pid),
so the store offers the two halves: who holds these keys, and an atomic hand-over
of the keys still held by the owners the engine found dead.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Sequence

from ._common import unique as _unique
from ._sqlite_conn import ConnectionPool
from ._sqlite_sql import _KEYS, _chunked

__all__ = ["SQLiteClaims"]


class SQLiteClaims:
    """``claim_holders`` and ``take_over`` (see :class:`~contact_udfs.store.base.Store`)."""

    _pool: ConnectionPool
    _clock: Callable[[], float]

    def claim_holders(self, provider: str, operation: str, keys: Sequence[str]) -> dict[str, str]:
        wanted = _unique(keys)
        if not wanted:
            return {}
        sql = f"SELECT key, owner, expires_at FROM claims WHERE {_KEYS}"
        rows = self._pool.run(
            lambda conn: _chunked(conn, sql, (provider, operation), wanted),
            write=False,
            what="read claims",
        )
        now = self._clock()
        return {key: owner for key, owner, until in rows if until > now}

    def take_over(
        self,
        provider: str,
        operation: str,
        keys: Sequence[str],
        *,
        dead: Collection[str],
        owner: str,
        ttl: float,
    ) -> list[str]:
        wanted, gone = _unique(keys), set(dead)
        if not wanted or not gone:
            return []

        def work(conn: sqlite3.Connection) -> list[str]:
            now = self._clock()
            sql = f"SELECT key, owner FROM claims WHERE {_KEYS}"
            held = dict(_chunked(conn, sql, (provider, operation), wanted))
            taken = [k for k in wanted if held.get(k) in gone]
            conn.executemany(
                "UPDATE claims SET owner = ?, expires_at = ?"
                " WHERE provider = ? AND operation = ? AND key = ? AND owner = ?",
                [(owner, now + ttl, provider, operation, k, held[k]) for k in taken],
            )
            return taken

        return self._pool.run(work, write=True, what="take over claims")
