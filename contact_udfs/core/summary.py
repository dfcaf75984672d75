"""What a run came to, in the few numbers people look at rather than read.

One function, :func:`summarize`, counts them for every face: the Jupyter panel
draws them as bars, ``df.contacts.summary()`` returns them as a DataFrame and
the command line prints them after a run, so the three never disagree.

* **statuses**: rows per verdict (``deliverable`` ... ``invalid``), per provider;
* **answers**: distinct contacts whose answer came from each provider of the
  waterfall, and how many of those came from the cache;
* **credits spent**: what the providers charged in this run (the run's
  :class:`~contact_udfs.core.reports.RunReport` when there is one, which also
  counts earlier waterfall steps that could not settle a contact);
* **credits saved by the cache**: what the contacts answered from the cache
  would have cost if they had been asked again - every waterfall step each one
  goes through (the steps up to the one that settles it, or all of them when
  none does), at that step's price, nothing where a provider cannot take it.

Without a report, credits spent are counted the same way over the contacts a
provider answered in this run; that is exact unless a contact got its answer
fresh from a later step after a cached answer from an earlier one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..models import Operation, Status
from ..providers.base import Provider
from .items import normalize_item
from .reports import RunReport

__all__ = ["NOT_REACHED", "STATUSES", "Answered", "ProviderSummary", "RunSummary", "summarize"]

#: the verdicts, in the order they are shown
STATUSES: tuple[str, ...] = tuple(s.value for s in Status)
#: rows a cancelled run never reached (no answer at all)
NOT_REACHED = "not reached"


class Answered(Protocol):
    """What the summary needs of an answer; every :class:`~contact_udfs.models.Answer` has it."""

    status: Any
    provider: str
    from_cache: bool

    @property
    def settled(self) -> bool: ...


@dataclass
class ProviderSummary:
    """The counts of one provider (or of ``validation``, the local check of bad cells)."""

    provider: str
    #: rows per status answered by this provider
    statuses: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    #: distinct contacts whose answer is this provider's (for validation: the bad cells)
    answered: int = 0
    #: of those, answered from the cache
    from_cache: int = 0
    #: contacts sent to it in this run
    asked: int = 0
    credits_spent: int = 0
    credits_saved: int = 0

    @property
    def rows(self) -> int:
        return sum(self.statuses.values())


@dataclass
class RunSummary:
    """The counts of one run; see the module docstring for what each one means."""

    operation: str
    rows: int = 0
    #: distinct contacts (bad cells are not contacts)
    distinct: int = 0
    #: waterfall providers first, in order, then ``validation`` and any other
    providers: list[ProviderSummary] = field(default_factory=list)
    #: rows without an answer (a cancelled run)
    not_reached: int = 0

    @property
    def statuses(self) -> dict[str, int]:
        """Rows per status over every provider."""
        out = dict.fromkeys(STATUSES, 0)
        for p in self.providers:
            for status, n in p.statuses.items():
                out[status] += n
        return out

    @property
    def answers(self) -> dict[str, int]:
        """Provider -> distinct contacts it answered."""
        return {p.provider: p.answered for p in self.providers}

    @property
    def credits_spent(self) -> int:
        return sum(p.credits_spent for p in self.providers)

    @property
    def credits_saved(self) -> int:
        return sum(p.credits_saved for p in self.providers)

    def provider(self, name: str) -> ProviderSummary:
        """The counts of ``name`` (zeros if it played no part)."""
        return next((p for p in self.providers if p.provider == name), ProviderSummary(name))

    def lines(self) -> list[str]:
        """The compact text the command line prints after a run."""
        statuses = ", ".join(f"{n} {s}" for s, n in self.statuses.items())
        if self.not_reached:
            statuses += f", {self.not_reached} {NOT_REACHED}"
        answers = ", ".join(
            f"{p.provider} {p.answered}"
            if p.provider == "validation"
            else f"{p.provider} {p.answered} ({p.from_cache} from cache, {p.asked} asked)"
            for p in self.providers
        )
        paid = [p for p in self.providers if p.credits_spent]
        spent = f"{self.credits_spent} spent" + (
            " (" + ", ".join(f"{p.provider} {p.credits_spent}" for p in paid) + ")" if paid else ""
        )
        saved = [p for p in self.providers if p.credits_saved]
        kept = f"{self.credits_saved} saved by the cache" + (
            " (" + ", ".join(f"{p.provider} {p.credits_saved}" for p in saved) + ")"
            if saved else ""
        )  # fmt: skip
        return [
            f"statuses: {statuses}",
            f"answers: {answers or 'none'}",
            f"credits: {spent}, {kept}",
        ]


def summarize(
    operation: Operation | str,
    items: Sequence[object],
    answers: Sequence[Answered | None],
    chain: Sequence[Provider],
    *,
    report: RunReport | None = None,
    weights: Sequence[int] | None = None,
) -> RunSummary:
    """Count a run: ``answers[i]`` is what ``items[i]`` got (None: not reached).

    ``chain`` is the waterfall the run went through (``Engine.chain(op)``), which
    prices every step. ``weights[i]`` is how many rows ``items[i]`` stands for
    (the pandas face passes distinct values); default one each.
    """
    op = Operation(operation)
    if len(items) != len(answers) or (weights is not None and len(weights) != len(items)):
        raise ValueError("items, answers and weights must be as long as each other")
    order = [p.name for p in chain]
    found: dict[str, ProviderSummary] = {name: ProviderSummary(name) for name in order}
    fresh = {name: [0, 0] for name in order}  # name -> [contacts asked, credits] this run
    summary = RunSummary(op.value)
    seen: set[str] = set()
    for i, (item, answer) in enumerate(zip(items, answers, strict=True)):
        rows = 1 if weights is None else int(weights[i])
        summary.rows += rows
        if answer is None:
            summary.not_reached += rows
            continue
        name = answer.provider or "(none)"
        counts = found.setdefault(name, ProviderSummary(name))
        counts.statuses[Status(answer.status).value] += rows
        normalized = normalize_item(op, item)
        key = normalized.key
        if key is None:  # a bad cell, answered locally: each one is its own answer
            counts.answered += rows
            continue
        if key in seen:
            continue
        seen.add(key)
        counts.answered += 1
        cached = bool(answer.from_cache)
        counts.from_cache += cached
        for provider in _steps(chain, order, answer):
            if provider.unsupported(op, normalized.payload):
                continue
            price = provider.cost(op)
            if cached:
                found[provider.name].credits_saved += price
            else:
                fresh[provider.name][0] += 1
                fresh[provider.name][1] += price
    summary.distinct = len(seen)
    for name, counts in found.items():
        if report is not None:
            counts.asked = report.sent.get(name, 0)
            counts.credits_spent = report.credits.get(name, 0)
        elif name in fresh:
            counts.asked, counts.credits_spent = fresh[name]
    summary.providers = list(found.values())
    return summary


def _steps(chain: Sequence[Provider], order: list[str], answer: Answered) -> Sequence[Provider]:
    """The waterfall steps a contact goes through: up to the one that settled it, else all."""
    if answer.settled and answer.provider in order:
        return chain[: order.index(answer.provider) + 1]
    return chain

