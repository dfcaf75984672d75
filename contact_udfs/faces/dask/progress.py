"""Progress for the whole computation: contacts answered across every worker, on the driver.

The tasks that ask the providers (one per group of contacts) run on the
workers; the bar (or callback) lives on the driver. Each task publishes its
``(done, total)`` as a Dask event on a topic of its job (``worker.log_event``);
the driver subscribes to the topic and shows the sum over all groups - one bar
for the job, in contacts, like ``df.contacts`` shows one for a frame. Without a
distributed cluster the tasks run in the driver's own process (Dask's local
schedulers) and reach the bar directly. Events carry counts only.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["Follower", "Publisher"]

#: at most this many events per second per task
RATE = 4.0

_local: dict[str, Callable[[dict[str, Any]], None]] = {}
_local_lock = threading.Lock()


class Publisher:
    """A task's side: throttled ``(done, total)`` for its group, the last one always sent."""

    def __init__(self, topic: str | None, group: int, total: int) -> None:
        self.topic, self.group, self.total = topic, group, total
        self._last = 0.0
        self._send = _sender(topic) if topic else None

    def __call__(self, done: int, *, final: bool = False) -> None:
        if self._send is None:
            return
        now = time.monotonic()
        if final or now - self._last >= 1 / RATE:
            self._last = now
            self._send({"group": self.group, "done": int(done), "total": self.total,
                        "final": final})  # fmt: skip


def _sender(topic: str) -> Callable[[dict[str, Any]], None] | None:
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):  # a local scheduler: the driver's own process
        with _local_lock:
            return _local.get(topic)
    return lambda msg: worker.log_event(topic, msg)


class Follower:
    """The driver's side: sums the groups' events into one bar or ``callback(done, total)``."""

    def __init__(self, topic: str, groups: int, progress: Any, desc: str) -> None:
        self.topic, self.groups, self.desc = topic, groups, desc
        self._callback = progress if callable(progress) else None
        self._bar: Any = None
        self._seen: dict[int, tuple[int, int, bool]] = {}
        self._lock = threading.Lock()
        self._client = _distributed_client()
        with _local_lock:
            _local[topic] = self.update
        if self._client is not None:
            self._client.subscribe_topic(topic, lambda event: self.update(event[1]))

    def update(self, msg: dict[str, Any]) -> None:
        with self._lock:
            self._seen[int(msg["group"])] = (int(msg["done"]), int(msg["total"]),
                                             bool(msg["final"]))  # fmt: skip
            done = sum(d for d, _, _ in self._seen.values())
            total = sum(t for _, t, _ in self._seen.values())
            finished = len(self._seen) == self.groups and all(f for *_, f in self._seen.values())
            if self._callback is not None:
                self._callback(done, total)
            else:
                self._draw(done, total, finished)
            if finished:
                self._seen.clear()  # a recompute starts again from zero

    def _draw(self, done: int, total: int, finished: bool) -> None:
        if self._bar is None and total:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=self.desc, unit="contact", leave=False)
        if self._bar is None:
            return
        self._bar.total = total
        self._bar.n = done
        self._bar.refresh()
        if finished:
            self._bar.close()
            self._bar = None


def _distributed_client() -> Any:
    try:
        from distributed import default_client

        return default_client()
    except (ImportError, ValueError):
        return None
