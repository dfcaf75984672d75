"""The team store: answers, claims and the job journal in one Redis, shared by many machines.

Same semantics as :mod:`contact_udfs.store.sqlite`; what differs is how each promise
is kept on a server that many machines reach at once:

* Claims and saves are Lua scripts, so each key is read and taken atomically, and one
  ``put_many`` runs in one ``MULTI``: another machine never sees half of a call.
* Time is the caller's clock (injectable, so expiry is tested without sleeping): each
  answer and claim carries its own expiry and is filtered on read. A real Redis expiry,
  :data:`EXPIRY_MARGIN` later, is only a safety net, so nothing outlives its TTL for
  long even if no process ever reads it again.
* ``forget`` must reach an address wherever it is: every answer is linked from a set
  per address it mentions, and remembers those links, so erasing an address leaves it
  in no key and no value.
* Values are JSON, never pickles; the URL's password is in no ``location``, ``repr``,
  stats or error.

The job journal, taking over a dead owner's claims and reading one purchase for
several operations are mixins of their own (:mod:`._redis_journal`,
:mod:`._redis_claims`, :mod:`._redis_aliases`).

Key layout, all under ``<prefix>:`` (``clear`` touches nothing else)::

    a:<provider>:<operation>:<key>   hash v (answer JSON), r (retryable), x (expires_at),
                                     e (addresses, JSON), c (saved at)
    c:<provider>:<operation>:<key>   hash owner, until (a claim)
    e:<address>                      set of the names of answers mentioning the address
    j:<provider>:<job_id>            hash: one journaled job
    o:<provider>:<operation>         sorted set of open job ids by created_at
    p:<domain>                       hash pattern -> count
    l:<alias>                        hash <provider>:<operation>:<key> -> domain (a learned alias)
    al:<provider>:<operation>:<key>  set of the aliases that answer taught
    m:ops  m:jobs  m:seq             provider/operation pairs seen, job names, a counter
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import Any, cast

import redis

from ..config import redact_cache
from ..exceptions import ConfigurationError, StoreError
from ._budget import REDIS_BUDGET_ADD, redis_args
from ._common import addresses as _addresses
from ._common import dumps as _dumps
from ._common import erase_mentions as _erase
from ._common import loads_many as _loads_many
from ._common import norm as _norm
from ._common import unique as _unique
from ._redis_aliases import RedisAliases
from ._redis_claims import RedisClaims
from ._redis_journal import DONE_JOB_RETENTION as DONE_JOB_RETENTION
from ._redis_journal import RedisJournal
from ._redis_scripts import _CLAIM, _JOB_UPDATE, _OWNED, _PUT, _TAKE_OVER
from .base import ClaimResult

__all__ = ["RedisStore", "redact_url"]

#: keys per script call or pipeline round trip
CHUNK = 500
#: seconds a real Redis expiry lags behind the stored one (the safety net)
EXPIRY_MARGIN = 60.0
#: tries of a WATCH transaction while other clients keep changing its keys
_WATCH_RETRIES = 50


class RedisStore(RedisJournal, RedisClaims, RedisAliases):
    """A :class:`~contact_udfs.store.base.Store` in one Redis database (see module docstring)."""

    backend = "redis"

    def __init__(self, client: redis.Redis, *, location: str, prefix: str = "contact_udfs",
                 clock: Callable[[], float] = time.time,
                 expiry_margin: float = EXPIRY_MARGIN) -> None:  # fmt: skip
        if not prefix or any(c in prefix for c in "*?[]\\"):
            raise ConfigurationError("the Redis key prefix must be non-empty, without * ? [ ] \\")
        self.location, self.prefix = location, prefix
        self._r, self._p, self._clock = client, f"{prefix}:", clock
        self._margin = float(expiry_margin)
        self._closed = False
        password = client.connection_pool.connection_kwargs.get("password")
        #: masked out of every message, should redis-py ever repeat one
        self._secrets = [password] if isinstance(password, str) and password else []
        self._claim, self._put, self._owned, self._job_update, self._take_over = (
            client.register_script(s) for s in (_CLAIM, _PUT, _OWNED, _JOB_UPDATE, _TAKE_OVER)
        )

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "contact_udfs",
                 clock: Callable[[], float] = time.time, expiry_margin: float = EXPIRY_MARGIN,
                 **kwargs: Any) -> RedisStore:  # fmt: skip
        """Connect (lazily) to a ``redis://``, ``rediss://`` (TLS) or ``unix://`` URL.

        ``kwargs`` go to :meth:`redis.Redis.from_url`; timeouts are bounded by
        default, so a vanished server ends in a ``StoreError``, not a hang.
        """
        location = redact_url(url)
        kwargs["decode_responses"] = True
        kwargs.setdefault("socket_connect_timeout", 5.0)
        kwargs.setdefault("socket_timeout", 15.0)
        try:
            client = redis.Redis.from_url(url.strip(), **kwargs)
        except ValueError:  # its message may quote the URL: say what is expected instead
            raise ConfigurationError(
                f"invalid Redis URL {location}: expected redis://[user:password@]host[:port][/db],"
                " rediss://... (TLS) or unix:///path/to/socket"
            ) from None
        return cls(client, location=location, prefix=prefix, clock=clock,
                   expiry_margin=expiry_margin)  # fmt: skip

    def __repr__(self) -> str:
        return f"RedisStore({self.location!r}, prefix={self.prefix!r})"

    # -- answers and claims -----------------------------------------------------------
    def get_many(self, provider: str, operation: str,
                 keys: Sequence[str]) -> dict[str, dict[str, Any]]:  # fmt: skip
        now, found = self._clock(), {}
        with self._errors("read answers"):
            for chunk in _chunks(_unique(keys)):
                pipe = self._r.pipeline(transaction=False)
                for key in chunk:
                    pipe.hmget(self._k("a", provider, operation, key), "v", "x")
                live = [
                    (key, payload)
                    for key, (payload, expires) in zip(chunk, pipe.execute(), strict=True)
                    if payload is not None and not (expires and float(expires) <= now)
                ]
                texts = [payload for _, payload in live]
                found.update(zip((key for key, _ in live), _loads_many(texts), strict=True))
        return found

    def put_many(self, provider: str, operation: str, answers: Mapping[str, dict[str, Any]], *,
                 ttl: float | None, emails: Mapping[str, Collection[str]] | None = None,
                 owner: str | None = None) -> None:  # fmt: skip
        keys = list(answers)
        # serialize first: a bad payload fails before anything is written
        rows = [
            [_dumps(answers[k]), "1" if answers[k].get("retryable") else "0",
             _dumps(_addresses(k, (emails or {}).get(k, ())))]
            for k in keys
        ]  # fmt: skip
        if not keys:
            return
        now = self._clock()
        expires, px = ("", "") if ttl is None else (repr(now + ttl), str(self._px(ttl)))
        with self._errors("save answers"), self._r.pipeline(transaction=True) as pipe:
            pipe.sadd(self._p + "m:ops", _dumps([provider, operation]))
            for start in range(0, len(keys), CHUNK):
                names, args = [], [owner or "", px, repr(now), self._p + "e:"]
                for key, (payload, retryable, links) in zip(
                    keys[start : start + CHUNK], rows[start : start + CHUNK], strict=True
                ):
                    names += [self._k("a", provider, operation, key),
                              self._k("c", provider, operation, key)]  # fmt: skip
                    args += [payload, retryable, expires, links]
                self._put(keys=names, args=args, client=pipe)
            pipe.execute()

    def claim(self, provider: str, operation: str, keys: Sequence[str], *, owner: str,
              ttl: float, skip_retryable: bool = False) -> ClaimResult:  # fmt: skip
        wanted, result = _unique(keys), ClaimResult()
        if not wanted:
            return result
        now = self._clock()
        args: list[str | int] = [owner, repr(now), repr(now + ttl), self._px(ttl),
                                 "1" if skip_retryable else "0"]  # fmt: skip
        with self._errors("claim keys"):
            pipe = self._r.pipeline(transaction=False)
            pipe.sadd(self._p + "m:ops", _dumps([provider, operation]))
            for chunk in _chunks(wanted):
                names = [self._k(kind, provider, operation, k) for k in chunk for kind in "ac"]
                self._claim(keys=names, args=args, client=pipe)
            replies = [reply for part in pipe.execute()[1:] for reply in part]
        for key, reply in zip(wanted, replies, strict=True):
            if isinstance(reply, str):
                result.cached[key] = json.loads(reply)
            else:
                (result.mine if reply == 1 else result.elsewhere).append(key)
        return result

    def extend(self, provider: str, operation: str, keys: Sequence[str], *, owner: str,
               ttl: float) -> None:  # fmt: skip
        until = repr(self._clock() + ttl)
        self._if_owned(provider, operation, keys, [owner, until, self._px(ttl)], "extend claims")

    def release(self, provider: str, operation: str, keys: Sequence[str], *, owner: str) -> None:
        self._if_owned(provider, operation, keys, [owner, "", 0], "release claims")

    # -- patterns ---------------------------------------------------------------------
    def record_pattern(self, domain: str, pattern: str) -> None:
        with self._errors("record a pattern"):
            self._r.hincrby(self._k("p", _norm(domain)), pattern, 1)

    def domain_patterns(self, domain: str) -> dict[str, int]:
        with self._errors("read patterns"):
            counts = cast("dict[str, str]", self._r.hgetall(self._k("p", _norm(domain))))
        return dict(sorted(((p, int(n)) for p, n in counts.items()), key=lambda i: -i[1]))

    # -- forget, clear, stats ---------------------------------------------------------
    def forget(self, email: str) -> int:
        """Erase ``email`` (see :meth:`Store.forget`): answers, links, claims, journal.

        An open job keeps its other keys and its meta (needed to collect their answers),
        minus every mention of the address, so that afterwards no value names it.
        """
        address = _norm(email)
        if not address:
            return 0
        with self._errors("forget an address"):
            removed = self._watched(lambda pipe: self._forget_answers(pipe, address))
            for name in cast("set[str]", self._r.smembers(self._p + "m:jobs")):
                self._watched(functools.partial(self._forget_in_job, name=name, address=address))
        return removed

    def clear(self) -> None:
        """Delete this prefix's keys only (never ``FLUSHDB``: the database may be shared)."""
        with self._errors("clear the cache"):
            for names in self._scan():
                self._r.unlink(*names)

    def stats(self) -> dict[str, Any]:
        """Counts; ``answers``, ``by_provider`` and ``retryable`` count unexpired answers.

        One ``SCAN`` of the prefix. ``size_bytes`` is the stored answer JSON (Redis
        does not report its own overhead per prefix).
        """
        now, start = self._clock(), len(self._p)
        by: dict[str, dict[str, int]] = {}
        out = dict.fromkeys(("retryable", "expired", "claims", "open_jobs", "patterns"), 0)
        size = 0
        with self._errors("read statistics"):
            for names in self._scan():
                pipe = self._r.pipeline(transaction=False)
                seen = [(n[start : start + 2], n) for n in names if n[start : start + 2] in _STAT]
                for kind, name in seen:
                    _STAT[kind](pipe, name)
                replies = iter(pipe.execute())
                for kind, name in seen:
                    reply = next(replies)
                    if kind == "a:":
                        size += int(next(replies) or 0)
                        retryable, expires, saved = reply
                        if saved is None:  # gone since the scan
                            continue
                        if expires and float(expires) <= now:
                            out["expired"] += 1
                            continue
                        provider, operation, _ = name[start + 2 :].split(":", 2)
                        ops = by.setdefault(provider, {})
                        ops[operation] = ops.get(operation, 0) + 1
                        out["retryable"] += retryable == "1"
                    elif kind == "c:":
                        out["claims"] += reply is not None and float(reply) > now
                    else:
                        out["open_jobs" if kind == "o:" else "patterns"] += int(reply)
        by = {p: dict(sorted(ops.items())) for p, ops in sorted(by.items())}
        answers = sum(n for ops in by.values() for n in ops.values())
        return {"backend": self.backend, "location": self.location, "answers": answers,
                "by_provider": by, **out, "size_bytes": size}  # fmt: skip

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(redis.RedisError):
            self._r.close()

    # -- internals --------------------------------------------------------------------
    def _k(self, kind: str, *parts: str) -> str:
        return f"{self._p}{kind}:" + ":".join(parts)

    def _px(self, ttl: float) -> int:
        """Milliseconds of the real Redis expiry: the stored one plus the safety margin."""
        return max(1, math.ceil((ttl + self._margin) * 1000))

    def _if_owned(self, provider: str, operation: str, keys: Sequence[str], args: list[Any],
                  what: str) -> None:  # fmt: skip
        with self._errors(what):
            pipe = self._r.pipeline(transaction=False)
            for chunk in _chunks(_unique(keys)):
                names = [self._k("c", provider, operation, k) for k in chunk]
                self._owned(keys=names, args=args, client=pipe)
            pipe.execute()

    def _forget_answers(self, pipe: Any, address: str) -> Callable[[list[Any]], int]:
        """Under WATCH: find ``address``'s answers and claims, then queue their erasure."""
        index, registry = self._k("e", address), self._p + "m:ops"
        pipe.watch(index, registry)
        ops = [json.loads(member) for member in pipe.smembers(registry)]
        names = sorted({*pipe.smembers(index), *(self._k("a", p, o, address) for p, o in ops)})
        if names:
            pipe.watch(*names)
        links = [pipe.hget(name, "e") for name in names]
        claims = [self._k("c", name[len(self._p) + 2 :]) for name in names]
        taught = [self._k("al", name[len(self._p) + 2 :]) for name in names]
        if taught:
            pipe.watch(*taught)
        learned = [(n, pipe.smembers(t)) for n, t in zip(names, taught, strict=True)]
        pipe.multi()
        pipe.delete(index, *claims, *taught)
        if names:
            pipe.delete(*names)  # its count is what forget returns
        for name, linked in zip(names, links, strict=True):
            for other in json.loads(linked or "[]"):
                if other != address:  # the other addresses' sets no longer name it
                    pipe.srem(self._k("e", other), name)
        for name, aliases in learned:  # what the answer taught goes with it
            for alias in aliases:
                pipe.hdel(self._k("l", alias), name[len(self._p) + 2 :])
        return lambda replies: int(replies[1]) if names else 0

    def _forget_in_job(self, pipe: Any, name: str, address: str) -> Callable[[list[Any]], int]:
        """Under WATCH: take ``address`` out of one journaled job, or drop the job."""
        pipe.watch(name)
        row = pipe.hgetall(name)
        keys = json.loads(row.get("keys") or "[]")
        kept = [key for key in keys if _norm(key) != address]
        mentioned = _dumps(address)[1:-1] in (row.get("meta") or "").lower()
        pipe.multi()
        if not row:
            pipe.srem(self._p + "m:jobs", name)  # a done job that expired
        elif row.get("state") == "open" and kept and (len(kept) < len(keys) or mentioned):
            meta = _erase(json.loads(row.get("meta") or "{}"), address)
            pipe.hset(name, mapping={"keys": _dumps(kept), "meta": _dumps(meta)})
        elif len(kept) < len(keys) or mentioned:  # done, or nothing left to wait for
            pipe.delete(name)
            pipe.zrem(self._k("o", row["provider"], row["operation"]), row["job_id"])
            pipe.srem(self._p + "m:jobs", name)
        return lambda replies: 0

    def _watched(self, build: Callable[[Any], Callable[[list[Any]], int]]) -> int:
        """Run ``build``'s WATCH/MULTI transaction, again while other clients change its keys.

        ``build`` reads under WATCH, queues the writes and says which reply to return.
        """
        for _ in range(_WATCH_RETRIES):
            with self._r.pipeline(transaction=True) as pipe:
                try:
                    answer = build(pipe)
                    return answer(pipe.execute())
                except redis.WatchError:
                    continue
        raise StoreError(f"the Redis cache at {self.location} kept changing; try again")

    def _scan(self) -> Iterator[list[str]]:
        """This prefix's keys in batches; the rate limiter's bucket is not the store's."""
        limiter = self._p + "ratelimit:"
        names = self._r.scan_iter(match=self._p + "*", count=1000)
        yield from _chunks([name for name in names if not name.startswith(limiter)])

    @contextlib.contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        """redis-py's errors as a ``StoreError`` naming the server, never its password."""
        if self._closed:
            raise StoreError(f"the cache at {self.location} is closed")
        try:
            yield
        except redis.RedisError as exc:
            reason = str(exc) or type(exc).__name__
            for secret in self._secrets:
                reason = reason.replace(secret, "***")
            message = f"could not {what} in the Redis cache at {self.location}: {reason}"
            raise StoreError(message) from None

    # -- a shared budget counter ------------------------------------------------------
    def budget_add(self, name: str, amount: float, *, limit: float,
                   ttl: float | None = None) -> tuple[float, float]:  # fmt: skip
        args = redis_args(amount, limit, self._clock(), ttl, self._margin)
        with self._errors("count a shared budget"):
            script = self._r.register_script(REDIS_BUDGET_ADD)
            added, used = script(keys=[self._k("b", name)], args=args)
        return float(added), float(used)


def redact_url(url: str) -> str:
    """``url`` without its password (userinfo or ``?password=``), for messages and stats."""
    return redact_cache(url)




def _answer_stats(pipe: Any, name: str) -> None:
    pipe.hmget(name, "r", "x", "c")
    pipe.hstrlen(name, "v")


#: what stats() reads per kind of key (an answer takes two replies)
_STAT: dict[str, Callable[[Any, str], Any]] = {
    "a:": _answer_stats,
    "c:": lambda pipe, name: pipe.hget(name, "until"),
    "o:": lambda pipe, name: pipe.zcard(name),
    "p:": lambda pipe, name: pipe.hlen(name),
}


def _chunks(keys: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(keys), CHUNK):
        yield keys[start : start + CHUNK]
