"""Our own rate limit per provider, shared by every process that uses the same cache.

A vendor's limit is per API key, not per process: Excel, a notebook and the CLI
on one machine (or a whole team on one Redis) spend the same allowance. So the
pyrate-limiter bucket behind :class:`~contact_udfs.http.client.HttpClient` lives next
to the cache:

* a file cache: pyrate-limiter's SQLite bucket in ``<cache>.ratelimit.sqlite``
  (0600, file-locked when ``filelock`` is installed);
* a ``redis://`` cache: :class:`SharedRedisBucket`, whose count cannot miss a
  request another process stamped a moment earlier;
* no cache: memory, for this process alone.
"""

from __future__ import annotations

import logging
import os
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from pyrate_limiter import InMemoryBucket, Limiter, Rate, RedisBucket, SQLiteBucket
from requests_ratelimiter import HostBucketFactory

from .. import exceptions as err
from ..config import RateLimit

__all__ = ["SharedRedisBucket", "limiter_for"]

# the HTTP client's logger: these messages are part of its pacing, filtered under its name
log = logging.getLogger("contact_udfs.http.client")

_UPSTREAM_COUNT = "redis.call('ZCOUNT', bucket, window_start, now)"
_WHOLE_WINDOW_COUNT = "redis.call('ZCOUNT', bucket, window_start, '+inf')"


class SharedRedisBucket(RedisBucket):
    """A Redis bucket that counts every entry of the window.

    Upstream counts entries stamped up to the caller's own clock reading; a
    process delayed between reading its clock and running the script then
    misses what another process stamped in between, and one request too many
    goes out (a 429 at the vendor). Counting to ``+inf`` closes that race.
    """

    def __init__(self, rates: list[Rate], redis: Any, bucket_key: str) -> None:
        from pyrate_limiter.buckets.redis_bucket import LuaScript

        script = LuaScript.PUT_ITEM
        if _UPSTREAM_COUNT in script:
            script = script.replace(_UPSTREAM_COUNT, _WHOLE_WINDOW_COUNT)
        else:  # pragma: no cover - a pyrate-limiter release changed its script
            log.warning("pyrate-limiter's Redis script changed; using it unmodified")
        super().__init__(rates, redis, bucket_key, redis.script_load(script))


def limiter_for(provider: str, rate: RateLimit, cache: str = "") -> Limiter:
    """A pyrate-limiter ``Limiter`` for ``provider``, shared through ``cache`` if it can be."""
    rates = [Rate(rate.limit, max(1, round(rate.seconds * 1000)))]
    bucket_class: type = InMemoryBucket
    kwargs: dict[str, Any] = {}
    if cache.startswith(("redis://", "rediss://", "unix://")):
        try:
            import redis  # optional dependency, imported only when asked for
        except ImportError:
            raise err.ConfigurationError(
                "a redis:// cache needs the redis package: pip install 'contact-udfs[redis]'"
            ) from None
        bucket_class = SharedRedisBucket
        kwargs = {
            "redis": redis.Redis.from_url(cache),
            "bucket_key": f"contact_udfs:ratelimit:{provider}",
        }
    elif cache:
        path = Path(f"{cache}.ratelimit.sqlite")
        path.parent.mkdir(parents=True, exist_ok=True)
        for name in (path, Path(f"{path}.lock")):
            os.close(os.open(name, os.O_CREAT | os.O_RDWR, 0o600))
        bucket_class = SQLiteBucket
        kwargs = {
            "db_path": str(path),
            "table": f"ratelimit_{provider}",
            "use_file_lock": find_spec("filelock") is not None,
        }
    factory = HostBucketFactory(rates, bucket_class=bucket_class, bucket_init_kwargs=kwargs)
    return Limiter(factory, buffer_ms=50)
