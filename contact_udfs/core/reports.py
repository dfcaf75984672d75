"""What a run did and what a run would cost: plain data for the faces to show."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from ..models import Answer

__all__ = ["Estimate", "ProviderEstimate", "Run", "RunReport"]

A = TypeVar("A", bound=Answer)


@dataclass
class ProviderEstimate:
    """One waterfall step of an estimate."""

    provider: str
    #: distinct items this provider has already answered (free)
    cached: int = 0
    #: distinct items that would be sent to it
    to_send: int = 0
    #: credits those would cost
    credits: int = 0
    #: True for steps after the first: they depend on earlier answers, so this is a ceiling
    upper_bound: bool = False


@dataclass
class Estimate:
    """What a call would cost now, taking the cache into account; nothing is spent."""

    operation: str
    rows: int = 0
    invalid: int = 0
    distinct: int = 0
    steps: list[ProviderEstimate] = field(default_factory=list)

    @property
    def credits(self) -> dict[str, int]:
        """Provider -> credits (ceilings for later waterfall steps)."""
        return {s.provider: s.credits for s in self.steps}

    @property
    def total(self) -> int:
        return sum(s.credits for s in self.steps)

    @property
    def first_step_credits(self) -> int:
        """The part of the estimate that is certain to be spent."""
        return next((s.credits for s in self.steps if s.credits), 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "rows": self.rows,
            "invalid": self.invalid,
            "distinct": self.distinct,
            "total_credits": self.total,
            "providers": {
                s.provider: {
                    "cached": s.cached,
                    "to_send": s.to_send,
                    "credits": s.credits,
                    "upper_bound": s.upper_bound,
                }
                for s in self.steps
            },
        }

    def __str__(self) -> str:
        parts = [
            f"{s.provider}: {s.to_send} to send ({'up to ' if s.upper_bound else ''}"
            f"{s.credits} credits), {s.cached} cached"
            for s in self.steps
        ]
        return (
            f"{self.operation}: {self.rows} rows, {self.distinct} distinct, "
            f"{self.invalid} invalid; " + "; ".join(parts)
        )


@dataclass
class RunReport:
    """Counts for the summary line of the CLI and the panel."""

    operation: str
    rows: int = 0
    invalid: int = 0
    distinct: int = 0
    #: distinct items answered from the store without any HTTP call
    from_cache: int = 0
    #: of those, items answered by a purchase made for another operation (a find read
    #: by a verify, an enrichment read by a find...)
    reused: int = 0
    #: items sent per provider
    sent: dict[str, int] = field(default_factory=dict)
    #: credits spent per provider (as charged per item by the provider)
    credits: dict[str, int] = field(default_factory=dict)
    #: items whose provider job is still running (answer on a later call)
    pending: int = 0
    #: items answered ``unknown`` + retryable (ask again with retry_unknown=True)
    retryable: int = 0
    #: times the run paused for another live run's claims (a dead one's are taken over)
    claim_waits: int = 0

    def add(self, mapping: dict[str, int], provider: str, n: int) -> None:
        if n:
            mapping[provider] = mapping.get(provider, 0) + n

    def merge(self, part: RunReport) -> None:
        """Add the counts of ``part``, a run over another slice or batch of the same call."""
        for name in ("rows", "invalid", "distinct", "from_cache", "reused", "pending",
                     "retryable", "claim_waits"):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(part, name))
        for provider, n in part.sent.items():
            self.add(self.sent, provider, n)
        for provider, n in part.credits.items():
            self.add(self.credits, provider, n)

    def summary(self) -> str:
        spent = ", ".join(f"{p} {n}" for p, n in self.credits.items()) or "none"
        text = (
            f"{self.rows} rows, {self.distinct} distinct, {self.invalid} invalid, "
            f"{self.from_cache} from cache; credits spent: {spent}"
        )
        if self.reused:
            text += f"; {self.reused} answered by another operation's purchase"
        if self.pending:
            text += f"; {self.pending} pending (run again to collect)"
        if self.retryable:
            text += (
                f"; {self.retryable} unknown-retryable"
                " (ask again with retry_unknown=True / --retry-unknown)"
            )
        return text


@dataclass
class Run(Generic[A]):
    """Answers in input order plus the report."""

    results: list[A]
    report: RunReport
