"""Fault names, endpoint names and the plan deciding which request gets which fault.

Faults are what make the sandbox useful for the credit-economy tests: a retry policy is
only proven safe if the simulator can fail *after* billing (``lost_response``) as well as
before it (``drop``, 5xx), deterministically.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Fault(str, Enum):
    """What an injected fault does to one request."""

    HTTP_500 = "500"
    HTTP_502 = "502"
    HTTP_503 = "503"
    HTTP_504 = "504"
    HTTP_524 = "524"
    HTTP_429 = "429"
    DROP = "drop"                      # close without answering; nothing processed
    LOST_RESPONSE = "lost_response"    # processed and billed, then closed without answering
    MALFORMED_JSON = "malformed_json"  # processed, 200 with a truncated JSON body
    SLOW = "slow"                      # sleep ``delay`` seconds, then process normally
    NEVER_READY = "never_ready"        # submit endpoints: the job never becomes ready

    def __str__(self) -> str:
        return self.value


STATUS_FAULTS = {Fault.HTTP_500, Fault.HTTP_502, Fault.HTTP_503, Fault.HTTP_504, Fault.HTTP_524}
PRE_FAULTS = STATUS_FAULTS | {Fault.HTTP_429, Fault.DROP}

ENDPOINTS: tuple[str, ...] = (
    "dropcontact.submit", "dropcontact.credits", "dropcontact.poll",
    "dropcontact.legacy_submit", "dropcontact.legacy_poll", "dropcontact.webhooks",
    "fullcontact.single", "fullcontact.submit", "fullcontact.poll",
    "coldlead.verify", "coldlead.finder", "coldlead.account",
)
SUBMIT_ENDPOINTS = frozenset({"dropcontact.submit", "dropcontact.legacy_submit",
                              "fullcontact.submit"})
PROVIDERS: tuple[str, ...] = ("dropcontact", "fullcontact", "coldlead")
MAX_SLOW_DELAY = 30.0


def parse_fault(fault: Fault | str) -> Fault:
    """Accept the enum or its value (``"lost_response"``, ``"503"``, also ``503``)."""
    try:
        return Fault(str(fault.value if isinstance(fault, Fault) else fault))
    except ValueError:
        valid = ", ".join(f.value for f in Fault)
        raise ValueError(f"unknown fault {fault!r}; expected one of: {valid}") from None


def endpoints_matching(pattern: str) -> list[str]:
    """``"coldlead.verify"``, ``"coldlead.*"`` or ``"*"``; a typo raises instead of no-op."""
    if pattern == "*":
        return list(ENDPOINTS)
    if pattern.endswith(".*") and pattern[:-2] in PROVIDERS:
        return [e for e in ENDPOINTS if e.startswith(pattern[:-1])]
    if pattern in ENDPOINTS:
        return [pattern]
    raise ValueError(f"unknown endpoint {pattern!r}; expected one of: {', '.join(ENDPOINTS)}")


@dataclass(frozen=True)
class PlannedFault:
    """A fault chosen for one request, with its parameters (retry_after, html, delay)."""

    fault: Fault
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def retry_after(self) -> int:
        return max(0, int(self.params.get("retry_after", 1)))

    @property
    def html(self) -> bool:
        return bool(self.params.get("html", False))

    @property
    def delay(self) -> float:
        return min(max(0.0, float(self.params.get("delay", 2.0))), MAX_SLOW_DELAY)


class FaultPlan:
    """Queued one-shot faults per endpoint, then seeded random rates. Not thread-safe:
    the owning ``State`` serializes access under its lock."""

    def __init__(self) -> None:
        self._queued: dict[str, deque[PlannedFault]] = {}
        self._rates: dict[str, tuple[list[tuple[Fault, float]], random.Random]] = {}

    def inject(self, endpoint: str, fault: Fault | str, times: int, params: dict[str, Any]) -> None:
        f = parse_fault(fault)
        targets = endpoints_matching(endpoint)
        if f is Fault.NEVER_READY:
            bad = [e for e in targets if e not in SUBMIT_ENDPOINTS]
            if endpoint != "*" and not endpoint.endswith(".*") and bad:
                raise ValueError("never_ready only applies to submit endpoints")
            targets = [e for e in targets if e in SUBMIT_ENDPOINTS]
        if times < 1:
            raise ValueError("times must be >= 1")
        for target in targets:
            queue = self._queued.setdefault(target, deque())
            queue.extend(PlannedFault(f, dict(params)) for _ in range(times))

    def set_rates(self, endpoint: str, rates: dict[str, float], seed: int) -> None:
        parsed = [(parse_fault(k), float(v)) for k, v in rates.items()]
        if any(p < 0 for _, p in parsed) or sum(p for _, p in parsed) > 1.0 + 1e-9:
            raise ValueError("fault rates must be >= 0 and sum to at most 1")
        for i, target in enumerate(endpoints_matching(endpoint)):
            usable = [(f, p) for f, p in parsed
                      if f is not Fault.NEVER_READY or target in SUBMIT_ENDPOINTS]
            self._rates[target] = (usable, random.Random(f"{seed}-{i}-{target}"))

    def clear(self) -> None:
        self._queued.clear()
        self._rates.clear()

    def pending(self) -> dict[str, list[str]]:
        return {e: [p.fault.value for p in q] for e, q in self._queued.items() if q}

    def next_for(self, endpoint: str) -> PlannedFault | None:
        """The fault for the next request to ``endpoint`` (queued first, then rates)."""
        queue = self._queued.get(endpoint)
        if queue:
            return queue.popleft()
        entry = self._rates.get(endpoint)
        if entry is None:
            return None
        rates, rng = entry
        draw, acc = rng.random(), 0.0
        for fault, p in rates:
            acc += p
            if draw < acc:
                return PlannedFault(fault)
        return None
