"""Shared budget counters: how many credits a job spread over many processes has used.

A job split over many workers (a Dask computation, a team's nightly run) has one
budget, not one per partition. Each worker asks the store to add what it is about
to spend to a named counter, and the store grants at most what keeps the counter
at or under the limit - atomically, so two workers can never both take the last
credits. Giving back what was reserved and not spent is a negative amount; an
amount of zero only reads the counter.

The statements live here, apart from the backends' other operations, and touch a
table (SQLite) or key (Redis) of their own; the backends only call them.
"""

from __future__ import annotations

import math
import sqlite3

__all__ = ["REDIS_BUDGET_ADD", "clamp", "redis_args", "sqlite_budget_add"]

_TABLE = """CREATE TABLE IF NOT EXISTS budgets (name TEXT PRIMARY KEY, used REAL NOT NULL,
    expires_at REAL)"""


def clamp(used: float, amount: float, limit: float) -> float:
    """What may be added to ``used``: never past ``limit``, never below zero."""
    if amount >= 0:
        return max(0.0, min(float(amount), float(limit) - used))
    return -min(-float(amount), used)


def sqlite_budget_add(
    conn: sqlite3.Connection, name: str, amount: float, limit: float, now: float,
    ttl: float | None,
) -> tuple[float, float]:  # fmt: skip
    """Inside the caller's write transaction: (added, used afterwards)."""
    conn.execute(_TABLE)
    row = conn.execute("SELECT used, expires_at FROM budgets WHERE name = ?", (name,)).fetchone()
    used = float(row[0]) if row and (row[1] is None or row[1] > now) else 0.0
    added = clamp(used, amount, limit)
    if not amount:  # a read leaves the counter and its expiry as they are
        return 0.0, used
    expires = None if ttl is None else now + ttl
    conn.execute(
        "INSERT INTO budgets VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
        " used = excluded.used, expires_at = excluded.expires_at",
        (name, used + added, expires),
    )
    return added, used + added


def redis_args(amount: float, limit: float, now: float, ttl: float | None,
               margin: float) -> list[str]:  # fmt: skip
    """ARGV of :data:`REDIS_BUDGET_ADD`; the real expiry lags the stored one by ``margin``."""
    expires = "" if ttl is None else repr(now + ttl)
    px = "" if ttl is None else str(max(1, math.ceil((ttl + margin) * 1000)))
    return [repr(float(amount)), repr(float(limit)), repr(now), expires, px]


# KEYS: the counter. ARGV: amount, limit, now, expires_at or '', px or '' (forever).
# Returns {added, used} as strings (a Lua number would come back truncated to an integer).
REDIS_BUDGET_ADD = """
local amount, limit, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local c = redis.call('HMGET', KEYS[1], 'used', 'x')
local used = 0
if c[1] and not (c[2] and c[2] ~= '' and tonumber(c[2]) <= now) then used = tonumber(c[1]) end
local added
if amount >= 0 then added = math.max(0, math.min(amount, limit - used))
else added = -math.min(-amount, used) end
if amount == 0 then return {'0', tostring(used)} end
redis.call('HSET', KEYS[1], 'used', tostring(used + added), 'x', ARGV[4])
if ARGV[5] == '' then redis.call('PERSIST', KEYS[1])
else redis.call('PEXPIRE', KEYS[1], ARGV[5]) end
return {tostring(added), tostring(used + added)}
"""
