"""The job journal of the Redis store: what was submitted, so a crash on any machine polls
instead of paying.

A mixin of :class:`~contact_udfs.store.redis.RedisStore`; the key layout is in that
module's docstring (``j:`` one hash per job, ``o:`` the open jobs by creation time).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, cast

import redis

from ._common import dumps as _dumps
from .base import JobRecord

__all__ = ["DONE_JOB_RETENTION", "RedisJournal"]

#: done jobs are kept this long (seconds) for inspection, then expire
DONE_JOB_RETENTION = 30 * 86400.0
_DONE_PX = int(DONE_JOB_RETENTION * 1000)


class RedisJournal:
    """``journal_add`` / ``journal_open`` / ``journal_update`` (see the module docstring)."""

    _r: redis.Redis
    _p: str
    _clock: Callable[[], float]
    _job_update: Any
    _k: Callable[..., str]
    _errors: Callable[[str], AbstractContextManager[None]]

    def journal_add(self, job: JobRecord) -> None:
        name, now = self._k("j", job.provider, job.job_id), self._clock()
        created = float(job.created_at or now)
        record: dict[Any, Any] = {
            "provider": job.provider, "operation": job.operation, "job_id": job.job_id,
            "keys": _dumps(list(job.keys)), "meta": _dumps(dict(job.meta)), "state": job.state,
            "owner": job.owner, "created_at": repr(created), "updated_at": repr(now),
        }  # fmt: skip
        opened = self._k("o", job.provider, job.operation)
        with self._errors("journal a job"):
            record["seq"] = str(self._r.incr(self._p + "m:seq"))  # orders equal created_at
            with self._r.pipeline(transaction=True) as pipe:
                pipe.delete(name)
                pipe.hset(name, mapping=record)
                if job.state == "open":
                    pipe.zadd(opened, {job.job_id: created})
                else:
                    pipe.zrem(opened, job.job_id)
                    pipe.pexpire(name, _DONE_PX)
                pipe.sadd(self._p + "m:jobs", name)
                pipe.sadd(self._p + "m:ops", _dumps([job.provider, job.operation]))
                pipe.execute()  # acknowledged: as durable as the server's persistence

    def journal_open(self, provider: str, operation: str) -> list[JobRecord]:
        with self._errors("read the job journal"):
            ids = cast("list[str]", self._r.zrange(self._k("o", provider, operation), 0, -1))
            pipe = self._r.pipeline(transaction=False)
            for job_id in ids:
                pipe.hgetall(self._k("j", provider, job_id))
            rows = [row for row in pipe.execute() if row.get("state") == "open"]
        rows.sort(key=lambda row: (float(row["created_at"]), int(row.get("seq") or 0)))
        return list(_records(provider, operation, rows))

    def journal_update(self, provider: str, job_id: str, *, remaining: Sequence[str]) -> None:
        keys = list(remaining)
        state = "open" if keys else "done"
        args = [self._p + f"o:{provider}:", _dumps(keys), state, repr(self._clock()), job_id]
        with self._errors("update the job journal"):
            self._job_update(keys=[self._k("j", provider, job_id)], args=[*args, _DONE_PX])


def _records(provider: str, operation: str, rows: list[dict[str, str]]) -> Iterator[JobRecord]:
    for row in rows:
        yield JobRecord(provider, operation, row["job_id"], json.loads(row["keys"]),
                        json.loads(row["meta"]), "open", row["owner"],
                        float(row["created_at"]))  # fmt: skip
