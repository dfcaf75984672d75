"""Claims that die with their owner: who owns one, whether it still lives, and keeping ours alive.

A claim says "this run is asking the provider about this contact; wait for its
answer". It must never outlive its owner for long, or a crash makes every later
run wait — yet it must never lapse while the owner still works, or two runs pay.
Three rules keep both promises:

* **An owner id names its process**: ``host:pid:thread:nonce``. A claim held by a
  process of *this* host that no longer exists (or is a zombie) is handed over at
  once (:func:`take_over_dead`); an id from another host is never judged, since
  its pid means nothing here.
* **A live owner beats**: claims are written with a short TTL (``claim_ttl``,
  15 s by default) and a :class:`Heartbeat` thread renews them every third of it
  while the run works, however long one submit or one poll takes. A machine that
  dies (Redis across machines) stops beating, and its claims lapse within one TTL.
* **A journaled job needs no claim**: polling is free, so a run that finds another
  owner's keys in an open job polls it itself rather than waiting (the engine does
  this; see :meth:`contact_udfs.core.engine.Engine.run`).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterable, Sequence
from functools import lru_cache

from ..exceptions import StoreError
from ..store.base import Store

__all__ = ["Heartbeat", "new_owner", "owner_is_dead", "take_over_dead"]

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _host() -> str:
    return socket.gethostname().replace(":", "-")


def new_owner() -> str:
    """A fresh owner id for one run: ``host:pid:thread:nonce``."""
    return f"{_host()}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"


def owner_is_dead(owner: str) -> bool:
    """True only when ``owner`` is surely gone: a process of this host that no longer runs.

    Anything uncertain (another host, an id of another shape, a pid that exists,
    a process we may not signal) counts as alive: its claims then lapse by their TTL.
    """
    parts = owner.rsplit(":", 3)
    if len(parts) != 4 or parts[0] != _host() or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OSError):
        return False
    return _zombie(pid)


def _zombie(pid: int) -> bool:
    """A killed process its parent has not reaped yet still answers ``kill(pid, 0)``."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            state = f.read().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state in ("Z", "X")


def take_over_dead(
    store: Store, provider: str, operation: str, keys: Sequence[str], *, owner: str, ttl: float
) -> list[str]:
    """Keys among ``keys`` whose claim belonged to a dead process of this host, now ``owner``'s."""
    if not keys:
        return []
    holders = store.claim_holders(provider, operation, keys)
    dead = {h for h in set(holders.values()) if owner_is_dead(h)}
    if not dead:
        return []
    taken = store.take_over(provider, operation, keys, dead=dead, owner=owner, ttl=ttl)
    if taken:
        log.info("%s: took over %d claims of a process that is gone", provider, len(taken))
    return taken


class Heartbeat:
    """Renews this run's claims on a daemon thread until the ``with`` block ends.

    The interval is a third of the TTL, so two beats can be missed (a slow store,
    a paused machine) before a claim lapses.
    """

    def __init__(
        self, store: Store, provider: str, operation: str, *, owner: str, ttl: float
    ) -> None:
        self.store, self.provider, self.operation = store, provider, operation
        self.owner, self.ttl = owner, ttl
        self._keys: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def hold(self, keys: Iterable[str]) -> None:
        with self._lock:
            self._keys.update(keys)

    def drop(self, keys: Iterable[str]) -> None:
        with self._lock:
            self._keys.difference_update(keys)

    def __enter__(self) -> Heartbeat:
        if self.ttl > 0:
            self._thread = threading.Thread(
                target=self._beat, name=f"claims-{self.provider}", daemon=True
            )
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.ttl)

    def _beat(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            with self._lock:
                keys = list(self._keys)
            if not keys:
                continue
            try:
                self.store.extend(self.provider, self.operation, keys, owner=self.owner,
                                  ttl=self.ttl)  # fmt: skip
            except StoreError as exc:  # the next beat tries again; the run itself goes on
                log.warning("could not renew %d claims: %s", len(keys), exc)
