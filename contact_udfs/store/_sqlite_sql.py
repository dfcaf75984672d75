"""The SQL of the SQLite cache: schema, migration and the statements over many keys.

:class:`~contact_udfs.store.sqlite.SQLiteStore` says *what* each store operation
does; this module holds the pieces it is written with, which need care of their
own:

* the schema and its version, and the migration that brings a file up to it
  (a file from a newer release is refused rather than misread);
* per-key statements run in chunks of :data:`CHUNK` keys, so a big batch never
  exceeds SQLite's limit on bound variables;
* expired answers are purged together with their address links;
* erasing an address also takes it out of the JSON kept for open jobs.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from ..exceptions import StoreError
from ._common import dumps as _dumps
from ._common import erase_mentions as _without
from ._common import loads_many as _loads_many
from ._common import norm as _norm

SCHEMA_VERSION = 2
#: keys per statement, well under SQLITE_MAX_VARIABLE_NUMBER (999 on old builds)
CHUNK = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (provider TEXT NOT NULL, operation TEXT NOT NULL,
    key TEXT NOT NULL, payload TEXT NOT NULL, retryable INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL, expires_at REAL, PRIMARY KEY (provider, operation, key));
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
    count INTEGER NOT NULL, PRIMARY KEY (domain, pattern));
CREATE TABLE IF NOT EXISTS aliases (alias TEXT NOT NULL, domain TEXT NOT NULL,
    provider TEXT NOT NULL, operation TEXT NOT NULL, key TEXT NOT NULL,
    PRIMARY KEY (alias, provider, operation, key));
CREATE INDEX IF NOT EXISTS aliases_source ON aliases(provider, operation, key)
"""
_UPSERT_ANSWER = """INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (provider, operation, key) DO UPDATE SET payload = excluded.payload,
    retryable = excluded.retryable, created_at = excluded.created_at,
    expires_at = excluded.expires_at"""
_UPSERT_CLAIM = """INSERT INTO claims VALUES (?, ?, ?, ?, ?) ON CONFLICT (provider, operation, key)
    DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at"""
#: the answers of a JSON array ``[[key, payload, retryable], ...]`` in one statement: SQLite
#: parses the array and writes every row in one step, with the interpreter's lock released
_UPSERT_ANSWERS_JSON = """INSERT INTO answers SELECT :provider, :operation,
    json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),
    :now, :expires FROM json_each(:rows) WHERE true
    ON CONFLICT (provider, operation, key) DO UPDATE SET payload = excluded.payload,
    retryable = excluded.retryable, created_at = excluded.created_at,
    expires_at = excluded.expires_at"""
#: the filter of every per-key statement; ``{marks}`` becomes one ``?`` per key of a chunk
_KEYS = "provider = ? AND operation = ? AND key IN ({marks})"


def _migrate_schema(conn: sqlite3.Connection, path: str) -> None:
    """Bring the file at ``path`` to :data:`SCHEMA_VERSION`; refuse a newer one."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"the cache at {path} was written by a newer contact_udfs "
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


#: the live answers of a JSON array of keys as one text ``key,payload,...``, and the
#: expired ones' keys as another (expiry is compared in SQL: no time crosses as text).
#: Each key of the array is looked up in the primary key (``CROSS JOIN`` keeps the array
#: the outer loop): ``key IN (SELECT value FROM json_each(...))`` first copied the array
#: into a temporary index, which cost more than the lookups (on an empty cache, 0.72
#: against 0.16 µs a key; on a full one, 2.7 against 2.0)
_READ_AS_JSON = """SELECT count(CASE WHEN expires_at IS NULL OR expires_at > :now THEN 1 END),
    group_concat(CASE WHEN expires_at IS NULL OR expires_at > :now
                      THEN json_quote(a.key) || ',' || payload END, ','),
    group_concat(CASE WHEN expires_at <= :now THEN json_quote(a.key) END, ',')
    FROM json_each(:keys) AS j CROSS JOIN answers AS a
    WHERE a.provider = :provider AND a.operation = :operation AND a.key = j.value"""
#: False once SQLite turned out to lack its JSON functions (builds before 3.38 may)
_json_reads = True


def _decoded_answers(
    conn: sqlite3.Connection, provider: str, operation: str, keys: Sequence[str], now: float
) -> tuple[dict[str, Any], list[str]]:
    """(key -> decoded payload of the live answers of ``keys``, the keys whose answer
    has expired by ``now``).

    Why: SQLite lays the rows out as one JSON text in a single statement, which Python
    decodes in one call. Reading row by row made a Python tuple and string per row,
    then joined the payloads to decode them; and SQLite does all its work in that one
    step, with the interpreter's lock released, so a read started in the background
    runs beside the caller's Python (:meth:`~contact_udfs.store.hot.HotStore.prefetch`)
    instead of handing the lock back and forth per row. A payload that is not one
    JSON object, or a SQLite without JSON functions, takes the row-by-row read, which
    decodes text by text as before.
    """
    if _json_reads and keys:
        args = {"now": now, "provider": provider, "operation": operation,
                "keys": _dumps(list(keys))}  # fmt: skip
        cursor = _with_json(conn, _READ_AS_JSON, args)
        if cursor is not None:
            count, live, expired = cursor.fetchone()
            stale = json.loads("[" + expired + "]") if expired else []
            if not count:
                return {}, stale
            try:
                flat = json.loads("[" + live + "]")
            except ValueError:
                flat = None
            if flat is not None and len(flat) == 2 * count and all(
                type(flat[i]) is dict for i in range(1, len(flat), 2)
            ):
                return dict(zip(flat[::2], flat[1::2])), stale
    texts: dict[str, str] = {}
    stale = []
    for key, (payload, _, expires) in _answers(conn, provider, operation, keys).items():
        if _expired(expires, now):
            stale.append(key)
        else:
            texts[key] = payload
    return dict(zip(texts, _loads_many(list(texts.values())), strict=True)), stale


def _upsert_as_json(
    conn: sqlite3.Connection, provider: str, operation: str, rows: str, now: float,
    expires: float | None,
) -> bool:  # fmt: skip
    """Write the answers of ``rows`` (:data:`_UPSERT_ANSWERS_JSON`); False, writing nothing,
    when SQLite lacks its JSON functions (the caller then writes row by row)."""
    args = {"provider": provider, "operation": operation, "rows": rows, "now": now,
            "expires": expires}  # fmt: skip
    return _json_reads and _with_json(conn, _UPSERT_ANSWERS_JSON, args) is not None


def _with_json(conn: sqlite3.Connection, sql: str, args: dict[str, Any]) -> sqlite3.Cursor | None:
    """``sql`` (a statement using SQLite's JSON functions) run; None, and
    :data:`_json_reads` cleared for good, when this SQLite has none."""
    global _json_reads
    try:
        return conn.execute(sql, args)
    except sqlite3.OperationalError as exc:
        if "no such" not in str(exc):  # a busy database is retried by the caller
            raise
        _json_reads = False
        return None


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


def _expired(expires_at: float | None, now: float) -> bool:
    return expires_at is not None and expires_at <= now


def _forget_in_jobs(conn: sqlite3.Connection, address: str) -> None:
    """Take ``address`` (normalized) out of the job journal.

    An open job keeps what it needs to collect its other answers: the address
    leaves its keys and its ``meta``. A done job, or one left with nothing to
    wait for, is dropped entirely.
    """
    quoted = _dumps(address)[1:-1]  # the address as it appears inside stored JSON
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
            conn.execute("DELETE FROM jobs WHERE provider = ? AND job_id = ?", (provider, job_id))
