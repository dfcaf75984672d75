"""Everything the sandbox remembers: balances, counters, jobs, knobs, rate windows.

One lock guards it all. Handler threads run concurrently (that is the point: the client
under test is exercised with real parallel requests), and credit accounting must be
exact even then, because the tests assert "charged exactly once".
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .faults import PROVIDERS, FaultPlan, PlannedFault
from .readings import Readings

DEFAULT_BALANCE = 10_000


@dataclass
class RateDecision:
    """Outcome of counting one request against a fixed window (for headers and 429s)."""

    allowed: bool
    limit: int
    remaining: int
    reset_epoch: int
    retry_after: int


@dataclass
class RateWindow:
    """A fixed window: the first request opens it, it closes ``window_s`` later."""

    limit: int
    window_s: float
    start: float = -math.inf
    count: int = 0

    def hit(self, now: float) -> RateDecision:
        if now >= self.start + self.window_s:
            self.start, self.count = now, 0
        left = self.start + self.window_s - now
        reset = math.ceil(time.time() + left)
        retry = max(1, math.ceil(left))
        if self.count >= self.limit:
            return RateDecision(False, self.limit, 0, reset, retry)
        self.count += 1
        return RateDecision(True, self.limit, self.limit - self.count, reset, retry)


@dataclass
class Job:
    """A submitted batch. Results are computed at submit so billing and answers agree."""

    id: str
    kind: str  # "dropcontact" | "dropcontact_legacy" | "fullcontact"
    inputs: list[Any]
    results: Any
    created: float
    never_ready: bool = False
    polls: int = 0
    completed: bool = False
    meta: dict[str, Any] = field(default_factory=dict)


class State:
    """Thread-safe store behind both the HTTP handlers and the ``Sandbox`` facade."""

    def __init__(
        self,
        balances: dict[str, int] | None = None,
        job_polls_before_ready: int = 1,
        rates: dict[str, tuple[int, float] | None] | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.stop_event = threading.Event()
        self.balances = {p: DEFAULT_BALANCE for p in PROVIDERS}
        self.balances.update(balances or {})
        self.job_polls_before_ready = job_polls_before_ready
        self.job_delay = 0.0
        self.windows: dict[str, RateWindow | None] = {p: None for p in PROVIDERS}
        for provider, rate in (rates or {}).items():
            self.set_rate(provider, rate)
        self.faults = FaultPlan()
        #: readings of what seeds 003/004 leave unsaid (see :mod:`.readings`)
        self.readings = Readings()
        self.jobs: dict[str, Job] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self._deliveries: list[dict[str, Any]] = []
        self._delivered = threading.Condition(self.lock)
        self.reset_counters()

    # ----- counters -----------------------------------------------------------------
    def reset_counters(self) -> None:
        with self.lock:
            self.requests: Counter[str] = Counter()
            self.spent: Counter[str] = Counter()
            self.charges: dict[str, Counter[str]] = {p: Counter() for p in PROVIDERS}
            self.http_429: Counter[str] = Counter()
            self.rate_limited: Counter[str] = Counter()
            self.faults_fired: dict[str, Counter[str]] = {}
            self._deliveries.clear()

    def count_request(self, endpoint: str) -> None:
        with self.lock:
            self.requests[endpoint] += 1

    def count_429(self, provider: str) -> None:
        with self.lock:
            self.http_429[provider] += 1

    def count_rate_limited(self, provider: str) -> None:
        with self.lock:
            self.rate_limited[provider] += 1

    def next_fault(self, endpoint: str) -> PlannedFault | None:
        with self.lock:
            planned = self.faults.next_for(endpoint)
            if planned is not None:
                self.faults_fired.setdefault(endpoint, Counter())[planned.fault.value] += 1
            return planned

    # ----- credits ------------------------------------------------------------------
    def charge(self, provider: str, keys: list[str]) -> int | None:
        """Charge one credit per key atomically; ``None`` (nothing charged) if short."""
        with self.lock:
            if self.balances[provider] < len(keys):
                return None
            self.balances[provider] -= len(keys)
            self.spent[provider] += len(keys)
            self.charges[provider].update(keys)
            return self.balances[provider]

    def balance(self, provider: str) -> int:
        with self.lock:
            return self.balances[provider]

    def set_balance(self, provider: str, n: int) -> None:
        with self.lock:
            self.balances[provider] = int(n)

    # ----- rate windows -------------------------------------------------------------
    def set_rate(self, provider: str, rate: tuple[int, float] | None) -> None:
        with self.lock:
            if rate is None or rate[0] is None:
                self.windows[provider] = None
            else:
                limit, window_s = rate
                if int(limit) < 1 or float(window_s) <= 0:
                    raise ValueError("rate limit needs limit >= 1 and window_s > 0")
                self.windows[provider] = RateWindow(int(limit), float(window_s))

    def rate_hit(self, provider: str) -> RateDecision | None:
        with self.lock:
            window = self.windows[provider]
            return window.hit(time.monotonic()) if window else None

    def rate_peek(self, provider: str) -> RateDecision | None:
        """Current window state without counting (for headers on injected 429s)."""
        with self.lock:
            w = self.windows[provider]
            if w is None:
                return None
            now = time.monotonic()
            left = max(0.0, w.start + w.window_s - now)
            used = w.count if left > 0 else 0
            return RateDecision(used < w.limit, w.limit, max(0, w.limit - used),
                                math.ceil(time.time() + left), max(1, math.ceil(left)))

    # ----- jobs ---------------------------------------------------------------------
    def add_job(self, job: Job) -> None:
        with self.lock:
            self.jobs[job.id] = job

    def get_job(self, job_id: str) -> Job | None:
        with self.lock:
            return self.jobs.get(job_id)

    def poll_job(self, job_id: str) -> tuple[Job | None, bool]:
        """Answer one poll: each "not ready" answer moves the job one step closer."""
        with self.lock:
            job = self.jobs.get(job_id)
            if job is None:
                return None, False
            if job.never_ready:
                job.polls += 1
                return job, False
            ready = job.completed or (
                job.polls >= self.job_polls_before_ready
                and time.monotonic() - job.created >= self.job_delay
            )
            if ready:
                job.completed = True
            else:
                job.polls += 1
            return job, ready

    def complete_job(self, job_id: str) -> Job | None:
        with self.lock:
            job = self.jobs.get(job_id)
            if job is not None and not job.never_ready:
                job.completed = True
            return job

    # ----- webhooks -----------------------------------------------------------------
    def record_delivery(self, record: dict[str, Any]) -> None:
        with self._delivered:
            self._deliveries.append(record)
            self._delivered.notify_all()

    def deliveries(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(d) for d in self._deliveries]

    def wait_deliveries(self, n: int, timeout: float) -> bool:
        with self._delivered:
            return self._delivered.wait_for(lambda: len(self._deliveries) >= n, timeout)

    # ----- snapshot -----------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": dict(self.requests),
                "credits": {p: self.spent[p] for p in PROVIDERS},
                "http_429": {p: self.http_429[p] for p in PROVIDERS},
                "rate_limited": {p: self.rate_limited[p] for p in PROVIDERS},
                "faults": {e: dict(c) for e, c in self.faults_fired.items()},
                "balances": dict(self.balances),
                "jobs": len(self.jobs),
                "webhook_deliveries": len(self._deliveries),
            }

