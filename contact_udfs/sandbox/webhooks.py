"""Outgoing webhook deliveries (Dropcontact results, FullContact batches).

Deliveries are restricted to loopback URLs: the sandbox must never be a way to make a
test suite talk to the internet. Every attempt, refused or not, is recorded so tests can
assert what was sent.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from .state import State

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
DELIVERY_TIMEOUT = 5.0

# No proxies: an HTTP_PROXY in the environment must not reroute loopback deliveries.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def is_local_url(url: str) -> bool:
    try:
        parts = urlsplit(str(url))
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and (parts.hostname or "") in LOCAL_HOSTS


def post_json(url: str, payload: Any) -> tuple[int | None, str | None]:
    """POST once; returns (status, error). Non-2xx answers are a status, not an error."""
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json",
                                          "User-Agent": "contact-udfs-sandbox-webhooks"})
    try:
        with _OPENER.open(req, timeout=DELIVERY_TIMEOUT) as resp:
            return resp.status, None
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except (OSError, ValueError) as exc:
        return None, f"{type(exc).__name__}: {exc}"


def deliver(state: State, provider: str, request_id: str, targets: list[str],
            build: Callable[[], Any]) -> None:
    """Send the payload to each target and record the outcome (runs in its own thread)."""
    for url in targets:
        payload = build()
        record: dict[str, Any] = {"url": url, "provider": provider, "request_id": request_id,
                                  "status": None, "error": None, "payload": payload,
                                  "at": time.time()}
        if is_local_url(url):
            record["status"], record["error"] = post_json(url, payload)
        else:
            record["error"] = "refused: the sandbox only delivers to 127.0.0.1/localhost"
        state.record_delivery(record)


def schedule(state: State, provider: str, job_id: str, targets: list[str],
             build: Callable[[], Any]) -> Callable[[], None]:
    """An ``after`` callback: once ``job_delay`` has passed, complete the job and deliver.

    Jobs with webhooks complete on their own (a real vendor finishes without being
    polled); the poll-count knob only governs what polling answers before that.
    """

    def run() -> None:
        job = state.get_job(job_id)
        if job is None:
            return
        wait = state.job_delay - (time.monotonic() - job.created)
        if wait > 0 and state.stop_event.wait(wait):
            return
        if state.complete_job(job_id) is None or job.never_ready:
            return
        deliver(state, provider, job_id, targets, build)

    def start() -> None:
        threading.Thread(target=run, name=f"sandbox-webhook-{job_id}", daemon=True).start()

    return start
