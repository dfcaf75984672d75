"""Reading one purchase for several operations, in the SQLite cache.

A mixin of :class:`~contact_udfs.store.sqlite.SQLiteStore`:

* :meth:`~SQLiteAliases.get_mentioning` finds stored answers by an address they
  list (the ``answer_emails`` links ``forget`` already keeps, or the answer's own
  key when that is the address: such answers are written without a link, which
  halves the cost of saving a verify), so a verify can read the qualification a
  find or an enrichment bought;
* :meth:`~SQLiteAliases.add_aliases` / :meth:`~SQLiteAliases.aliases` keep the
  company name -> domain facts learned from paid answers. Each row remembers the
  answer that taught it, so ``forget`` erases it with that answer.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from ._common import norm as _norm
from ._common import unique as _unique
from ._sqlite_conn import ConnectionPool
from ._sqlite_sql import _chunked, _expired

__all__ = ["SQLiteAliases"]


class SQLiteAliases:
    """``get_mentioning``, ``add_aliases`` and ``aliases`` (see the module docstring)."""

    _pool: ConnectionPool
    _clock: Callable[[], float]

    def get_mentioning(
        self, provider: str, operation: str, emails: Sequence[str]
    ) -> dict[str, dict[str, dict[str, Any]]]:
        wanted = _unique(_norm(e) for e in emails if e)
        if not wanted:
            return {}
        linked = (
            "SELECT l.email, a.key, a.payload, a.expires_at FROM answer_emails l JOIN answers a"
            " ON a.provider = l.provider AND a.operation = l.operation AND a.key = l.key"
            " WHERE l.provider = ? AND l.operation = ? AND l.email IN ({marks})"
        )
        # an answer keyed by the address itself is stored without a link to it
        keyed = (
            "SELECT key, key, payload, expires_at FROM answers"
            " WHERE provider = ? AND operation = ? AND key IN ({marks})"
        )

        def read(conn: sqlite3.Connection) -> list[Any]:
            head = (provider, operation)
            return _chunked(conn, linked, head, wanted) + _chunked(conn, keyed, head, wanted)

        rows = self._pool.run(read, write=False, what="read answers by address")
        now, found = self._clock(), {}
        for email, key, payload, expires in rows:
            if not _expired(expires, now):
                found.setdefault(email, {})[key] = json.loads(payload)
        return found

    def add_aliases(
        self, provider: str, operation: str, learned: Mapping[str, Mapping[str, str]]
    ) -> None:
        rows = [
            (alias, domain, provider, operation, key)
            for key, pairs in learned.items()
            for alias, domain in pairs.items()
            if alias and domain
        ]

        def work(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "INSERT INTO aliases VALUES (?, ?, ?, ?, ?) ON CONFLICT"
                " (alias, provider, operation, key) DO UPDATE SET domain = excluded.domain",
                rows,
            )

        if rows:
            self._pool.run(work, write=True, what="save company aliases")

    def aliases(self, names: Collection[str]) -> dict[str, str]:
        wanted = _unique(n for n in names if n)
        if not wanted:
            return {}
        rows = self._pool.run(
            lambda conn: [
                row
                for start in range(0, len(wanted), 500)
                for row in conn.execute(
                    "SELECT alias, domain FROM aliases WHERE alias IN ({})".format(
                        ", ".join("?" * len(wanted[start : start + 500]))
                    ),
                    wanted[start : start + 500],
                )
            ],
            write=False,
            what="read company aliases",
        )
        domains: dict[str, set[str]] = {}
        for alias, domain in rows:
            domains.setdefault(alias, set()).add(domain)
        # a name two domains answered to is ambiguous: it matches neither
        return {alias: next(iter(ds)) for alias, ds in domains.items() if len(ds) == 1}
