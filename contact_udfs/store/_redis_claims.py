"""Taking over the claims of a dead owner in the Redis store, without waiting for them to lapse.

A mixin of :class:`~contact_udfs.store.redis.RedisStore`. The store cannot tell
whether an owner is alive; the engine can for owners on its own host (an owner id
carries host and pid), so the store offers who holds which keys and an atomic
hand-over of the keys still held by owners found dead. Owners on other machines are
never judged: their claims live only as long as their heartbeat renews them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

import redis

from ._common import unique as _unique

__all__ = ["RedisClaims"]


class RedisClaims:
    """``claim_holders`` and ``take_over`` (see :class:`~contact_udfs.store.base.Store`)."""

    _r: redis.Redis
    _clock: Callable[[], float]
    _take_over: Any
    _k: Callable[..., str]
    _px: Callable[[float], int]
    _errors: Callable[[str], AbstractContextManager[None]]

    def claim_holders(self, provider: str, operation: str, keys: Sequence[str]) -> dict[str, str]:
        wanted, now, out = _unique(keys), self._clock(), {}
        with self._errors("read claims"):
            pipe = self._r.pipeline(transaction=False)
            for key in wanted:
                pipe.hmget(self._k("c", provider, operation, key), "owner", "until")
            for key, (owner, until) in zip(wanted, pipe.execute(), strict=True):
                if owner and until and float(until) > now:
                    out[key] = owner
        return out

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
        wanted, gone = _unique(keys), sorted(set(dead))
        if not wanted or not gone:
            return []
        args = [owner, repr(self._clock() + ttl), self._px(ttl), *gone]
        taken: list[str] = []
        with self._errors("take over claims"):
            for chunk in _chunks(wanted):
                names = [self._k("c", provider, operation, k) for k in chunk]
                flags = self._take_over(keys=names, args=args)
                taken += [k for k, flag in zip(chunk, flags, strict=True) if flag == 1]
        return taken


def _chunks(keys: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(keys), size):
        yield keys[start : start + size]
