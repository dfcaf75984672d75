"""Store backends behind one protocol (see :mod:`contact_udfs.store.base`).

:func:`open_store` turns the ``cache`` setting into a backend, so the engine,
the CLI and the tests never pick a class themselves: a path means the SQLite
file, a ``redis://`` URL means the shared Redis store, and a ready-made store
passes through untouched.
"""

from __future__ import annotations

import os
from typing import Any

from ..exceptions import ConfigurationError
from .base import ClaimResult, JobRecord, Store
from .sqlite import SQLiteStore

__all__ = ["ClaimResult", "JobRecord", "SQLiteStore", "Store", "open_store"]

_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def open_store(location: str | os.PathLike[str] | Store | None = None, **kwargs: Any) -> Store:
    """The store for a ``cache`` setting: a Store, None (default file), a path or a Redis URL.

    ``kwargs`` go to the backend's constructor (e.g. ``clock=`` for tests).
    """
    if location is None:
        from ..config import default_cache_path

        return SQLiteStore(default_cache_path(), **kwargs)
    if isinstance(location, (str, os.PathLike)):
        text = os.fsdecode(os.fspath(location)).strip()
        if text.lower().startswith(_REDIS_SCHEMES):
            return _open_redis(text, **kwargs)
        return SQLiteStore(text, **kwargs)
    if isinstance(location, Store):
        return location
    raise ConfigurationError(
        f"the cache must be a file path, a redis:// URL or a Store, not {type(location).__name__}"
    )


def _open_redis(url: str, **kwargs: Any) -> Store:
    """Import the Redis backend only when asked for: redis is an optional dependency."""
    try:
        from .redis import RedisStore
    except ImportError as exc:
        # the URL may carry a password: it is left out of the message on purpose
        raise ConfigurationError(
            "a redis:// cache needs the Redis extra: pip install 'contact-udfs[redis]'"
        ) from exc
    store: Store = RedisStore.from_url(url, **kwargs)
    return store
