"""What a task carries to a worker, and the client each worker builds from it.

A Dask task graph is pickled, shipped to the scheduler, shown on the dashboard
and kept in its task records, so nothing secret may be in it. The driver ships
a :class:`WorkerSpec`: the waterfall, the cache, the vendors' base URLs, rate
limits and options, the timeouts - everything of the settings *except* the API
keys and a Redis password. Each worker takes its keys from its own environment
or config file (``FULLCONTACT_API_KEY``..., as anywhere else) and builds one
:class:`~contact_udfs.api.Client` per spec, kept for the life of the worker
process so its connections and rate limiters serve every task.

The cache must be one cache for the whole cluster:

* a ``redis://`` URL reaches the same Redis from every machine (its password,
  if any, is not shipped: the workers' own ``CONTACT_UDFS_CACHE`` supplies it);
* a SQLite file works for the processes of one machine (its locks are the
  operating system's), so a worker checks it sees *the same file* on the same
  running system as the driver, and otherwise says to use Redis.
"""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...api import Client
from ...config import PAID_PROVIDERS, ProviderSettings, RateLimit, Settings, load_settings
from ...config import redact_cache as _redact
from ...exceptions import ConfigurationError
from ...store import open_store

__all__ = ["ProviderSpec", "WorkerSpec", "resolve", "ship", "worker_client"]

_REDIS = ("redis://", "rediss://", "unix://")
#: where Linux names the running system: the same for every process (and container) on it
_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


@dataclass(frozen=True)
class ProviderSpec:
    """One provider's settings without its key."""

    name: str
    base_url: str
    rate_limit: str
    options: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class WorkerSpec:
    """The settings a task ships (hashable: it keys the worker's client cache)."""

    #: the waterfall; None lets each worker use its own default (its providers with a key)
    providers: tuple[str, ...] | None
    #: a file path or a Redis URL without its password
    cache: str
    #: True when the URL had a password: the worker's own ``CONTACT_UDFS_CACHE`` supplies it
    cache_secret: bool
    #: (system, device, inode) of the SQLite file as the driver sees it
    sqlite_file: tuple[str, int, int] | None
    ttl_days: float
    poll_interval: float
    poll_timeout: float
    claim_ttl: float
    http_timeout: tuple[float, float]
    provider_specs: tuple[ProviderSpec, ...]

    @property
    def shared_cache(self) -> bool:
        """True for a cache that machines share (Redis)."""
        return self.cache.lower().startswith(_REDIS)


def ship(settings: Settings, *, explicit_providers: bool) -> WorkerSpec:
    """The spec for ``settings``, built on the driver; keys stay behind.

    A SQLite cache is created here if it does not exist yet, so that the workers
    can check they open the very same file.
    """
    cache = settings.cache
    secret = False
    sqlite_file = None
    if cache.lower().startswith(_REDIS):
        shown = _redact(cache)
        secret, cache = shown != cache.strip(), shown
    else:
        cache = os.path.abspath(os.path.expanduser(cache))
        open_store(cache).close()
        stat = os.stat(cache)
        sqlite_file = (_system_id(), stat.st_dev, stat.st_ino)
    providers = tuple(
        ProviderSpec(p.name, p.base_url, str(p.rate_limit), tuple(sorted(p.options.items())))
        for name in (*PAID_PROVIDERS, "local")
        for p in [settings.provider(name)]
    )
    return WorkerSpec(
        providers=settings.providers if explicit_providers else None,
        cache=cache, cache_secret=secret, sqlite_file=sqlite_file,
        ttl_days=settings.ttl_days, poll_interval=settings.poll_interval,
        poll_timeout=settings.poll_timeout, claim_ttl=settings.claim_ttl,
        http_timeout=tuple(settings.http_timeout), provider_specs=providers,
    )  # fmt: skip


def resolve(spec: WorkerSpec, environ: Any = None) -> Settings:
    """The worker's settings: the spec, plus the keys of this worker's environment/config."""
    own = load_settings(environ)
    cache = _worker_cache(spec, own)
    shipped = {p.name: p for p in spec.provider_specs}
    providers: dict[str, ProviderSettings] = {}
    for name in (*PAID_PROVIDERS, "local"):
        mine, theirs = own.provider(name), shipped.get(name)
        if theirs is None:
            providers[name] = mine
            continue
        providers[name] = ProviderSettings(
            name=name, api_key=mine.api_key, base_url=theirs.base_url,
            rate_limit=RateLimit.parse(theirs.rate_limit), options=dict(theirs.options),
        )  # fmt: skip
    order = spec.providers if spec.providers is not None else own.providers
    missing = [n for n in order if n != "local" and not providers[n].enabled]
    if missing:
        raise ConfigurationError(
            f"worker {socket.gethostname()} has no API key for {', '.join(missing)}: set "
            + ", ".join(f"{n.upper()}_API_KEY" for n in missing)
            + " in the workers' environment (or api_key in their config file); "
            "keys are never sent with the tasks"
        )
    return own.with_(
        providers=order, cache=cache, budget=None, ttl_days=spec.ttl_days,
        poll_interval=spec.poll_interval, poll_timeout=spec.poll_timeout,
        claim_ttl=spec.claim_ttl, http_timeout=spec.http_timeout, provider_settings=providers,
    )  # fmt: skip


_clients: dict[WorkerSpec, Client] = {}
_clients_lock = threading.Lock()


def worker_client(spec: WorkerSpec) -> Client:
    """This process's client for ``spec``: built once, reused by every task."""
    with _clients_lock:
        client = _clients.get(spec)
        if client is None:
            client = _clients[spec] = Client(settings=resolve(spec))
        return client


def close_worker_clients() -> None:
    """Close every client this process built (tests, worker teardown)."""
    with _clients_lock:
        for client in _clients.values():
            client.close()
        _clients.clear()


# -- the cache the worker opens ------------------------------------------------------------
def _worker_cache(spec: WorkerSpec, own: Settings) -> str:
    if spec.shared_cache:
        if not spec.cache_secret:
            return spec.cache
        if _redact(own.cache) == spec.cache != own.cache.strip():  # same server, with a password
            return own.cache
        raise ConfigurationError(
            f"the cache {spec.cache} needs a password, which is not sent with the tasks: "
            "set CONTACT_UDFS_CACHE to the same URL, with its password, in the workers' "
            "environment"
        )
    if spec.sqlite_file is not None and _same_file(spec.cache, spec.sqlite_file):
        return spec.cache
    raise ConfigurationError(
        f"the SQLite cache {spec.cache} is a file on the driver's machine, and worker "
        f"{socket.gethostname()} cannot share it (another machine, or another file at that "
        "path). A SQLite cache serves the worker processes of one machine; a cluster across "
        "machines needs a shared Redis: cache='redis://host:6379/0' or "
        "CONTACT_UDFS_CACHE=redis://host:6379/0 (pip install 'contact-udfs[redis]')"
    )


def _same_file(path: str, identity: tuple[str, int, int]) -> bool:
    try:
        stat = os.stat(path)
    except OSError:
        return False
    return (_system_id(), stat.st_dev, stat.st_ino) == tuple(identity)


def _system_id() -> str:
    """The running system: processes and containers on one kernel share file locks."""
    try:
        return _BOOT_ID.read_text().strip() or socket.gethostname()
    except OSError:
        return socket.gethostname()
