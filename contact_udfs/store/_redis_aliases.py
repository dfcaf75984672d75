"""Reading one purchase for several operations, in the Redis store.

A mixin of :class:`~contact_udfs.store.redis.RedisStore`:

* :meth:`~RedisAliases.get_mentioning` follows the ``e:<address>`` sets ``forget``
  already keeps, so a verify can read the qualification a find or an enrichment bought;
* :meth:`~RedisAliases.add_aliases` / :meth:`~RedisAliases.aliases` keep the company
  name -> domain facts learned from paid answers: ``l:<alias>`` is a hash of
  ``<provider>:<operation>:<key>`` (the answer that taught it) -> domain, and
  ``al:<provider>:<operation>:<key>`` the set of aliases that answer taught, so
  ``forget`` erases them with it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, cast

import redis

from ._common import norm as _norm
from ._common import unique as _unique

__all__ = ["RedisAliases"]


class RedisAliases:
    """``get_mentioning``, ``add_aliases`` and ``aliases`` (see the module docstring)."""

    _r: redis.Redis
    _p: str
    _clock: Callable[[], float]
    _k: Callable[..., str]
    _errors: Callable[[str], AbstractContextManager[None]]

    def get_mentioning(
        self, provider: str, operation: str, emails: Sequence[str]
    ) -> dict[str, dict[str, dict[str, Any]]]:
        wanted = _unique(_norm(e) for e in emails if e)
        if not wanted:
            return {}
        head = self._k("a", provider, operation, "")
        now, found = self._clock(), {}
        with self._errors("read answers by address"):
            pipe = self._r.pipeline(transaction=False)
            for email in wanted:
                pipe.smembers(self._k("e", email))
            linked = [
                (email, name)
                for email, names in zip(wanted, pipe.execute(), strict=True)
                for name in sorted(cast("set[str]", names))
                if name.startswith(head)
            ]
            pipe = self._r.pipeline(transaction=False)
            for _, name in linked:
                pipe.hmget(name, "v", "x")
            for (email, name), (payload, expires) in zip(linked, pipe.execute(), strict=True):
                if payload is not None and not (expires and float(expires) <= now):
                    found.setdefault(email, {})[name[len(head) :]] = json.loads(payload)
        return found

    def add_aliases(
        self, provider: str, operation: str, learned: Mapping[str, Mapping[str, str]]
    ) -> None:
        pairs = [(k, a, d) for k, m in learned.items() for a, d in m.items() if a and d]
        if not pairs:
            return
        with self._errors("save company aliases"), self._r.pipeline(transaction=True) as pipe:
            for key, alias, domain in pairs:
                pipe.hset(self._k("l", alias), f"{provider}:{operation}:{key}", domain)
                pipe.sadd(self._k("al", provider, operation, key), alias)
            pipe.execute()

    def aliases(self, names: Collection[str]) -> dict[str, str]:
        wanted = _unique(n for n in names if n)
        if not wanted:
            return {}
        with self._errors("read company aliases"):
            pipe = self._r.pipeline(transaction=False)
            for alias in wanted:
                pipe.hvals(self._k("l", alias))
            replies = pipe.execute()
        out = {}
        for alias, domains in zip(wanted, replies, strict=True):
            distinct = set(domains)
            if len(distinct) == 1:  # two domains for one name: ambiguous, matches neither
                out[alias] = distinct.pop()
        return out
