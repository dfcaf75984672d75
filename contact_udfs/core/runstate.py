"""What one run accumulates along the waterfall, and how it becomes one answer per row.

Kept apart from :mod:`contact_udfs.core.engine` so the engine reads as the flow
(lookup, claim, send, poll) while this module owns the bookkeeping: the answers
gathered per key, which came fresh, which are pending, which were read from
another operation's purchase, and the final pick per row in input order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from ..models import RESULT_TYPES, Answer, Enrichment, Operation, Verification, best_answer
from .behind import WritesBehind
from .items import Item, invalid_answer
from .reports import RunReport

__all__ = ["Progress", "RunState", "assemble"]

#: called as ``progress(done, total)`` in distinct items
Progress = Callable[[int, int], None]


@dataclass
class RunState:
    """Everything one run accumulates; lives only for that run."""

    operation: Operation
    owner: str
    payloads: dict[str, dict[str, Any]]
    report: RunReport
    retry_unknown: bool
    budget: float | None
    progress: Progress | None
    #: key -> answers gathered along the waterfall
    answers: dict[str, list[Answer]] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)
    #: keys a provider answered during this run (not from the store)
    fresh: set[str] = field(default_factory=set)
    #: keys answered from a purchase made for another operation
    reused: set[str] = field(default_factory=set)
    #: keys holding a settled answer: the waterfall asks nobody more about them
    settled_keys: set[str] = field(default_factory=set)
    spent: int = 0
    done: int = 0
    #: the free answers' store writes, run beside the next batch (waited for by the engine)
    behind: WritesBehind = field(default_factory=WritesBehind)

    def tick(self, n: int) -> None:
        if n and self.progress is not None:
            self.done += n
            self.progress(min(self.done, len(self.payloads)), len(self.payloads))

    def add(self, key: str, answer: Answer) -> bool:
        """Gather ``answer`` for ``key``; True when it settles the key."""
        return self.add_many({key: answer}) == 1

    def add_many(self, answers: dict[str, Answer]) -> int:
        """Gather each ``key: answer`` (a batch read from the cache or just saved); how many
        keys it settles."""
        gathered = self.answers
        for key, answer in answers.items():
            got = gathered.get(key)
            if got is None:
                gathered[key] = [answer]
            else:
                got.append(answer)
        settled = [key for key, answer in answers.items() if answer.settled]
        self.settled_keys.update(settled)
        return len(settled)

    def answered_by(self, key: str, provider: str) -> bool:
        return key not in self.pending and any(
            a.provider == provider for a in self.answers.get(key, ())
        )

    def mark_pending(self, provider: str, key: str) -> None:
        self.pending.add(key)
        self.add(key, RESULT_TYPES[self.operation](reason="pending", provider=provider,
                                                   retryable=True))  # fmt: skip


def assemble(state: RunState, rows: list[Item]) -> list[Answer]:
    """One answer per row, in input order; fills the report's final counts."""
    report = state.report
    report.pending = len(state.pending)
    report.reused = len(state.reused - state.fresh - state.pending)
    return _per_row(state.operation, rows, _per_key(state))


def _per_key(state: RunState) -> dict[str, Answer]:
    """The answer of each distinct key; counts the report's ``from_cache`` (keys not
    answered afresh nor pending whose answers include a cached one) and ``retryable``."""
    report = state.report
    gathered, pending, fresh = state.answers, state.pending, state.fresh
    if not pending:
        # the usual run (a cached slice, a first run): one answer per key, each its key's
        final = {key: got[0] for key, got in gathered.items() if len(got) == 1}
        if len(final) == len(gathered) == len(state.payloads):  # (gathered: payload keys)
            report.retryable = sum(map(_RETRYABLE, final.values()))
            report.from_cache = sum(
                1 for key, answer in final.items() if answer.from_cache and key not in fresh
            ) if fresh else sum(map(_FROM_CACHE, final.values()))  # fmt: skip
            return final
    report.from_cache = sum(
        1 for key, got in gathered.items()
        if key not in fresh and key not in pending
        and (got[0].from_cache or any(a.from_cache for a in got))
    )  # fmt: skip
    final = {}
    retryable = 0
    for key in state.payloads:
        got = gathered.get(key)
        if not got:
            best = RESULT_TYPES[state.operation](reason="no_provider")
        elif key in pending:
            best = best_answer(got)
            if not best.settled:
                best = next(a for a in got if a.reason == "pending")
        else:
            best = got[0] if len(got) == 1 else best_answer(got)
            retryable += best.retryable
        final[key] = best
    report.retryable = retryable
    return final


def _per_row(operation: Operation, rows: list[Item], final: dict[str, Answer]) -> list[Answer]:
    """Each row's answer: its key's, as it is unless the row must see it otherwise."""
    out: list[Answer] = []
    add = out.append
    get = final.get
    for item in rows:
        answer = get(item.key)  # type: ignore[arg-type]
        if answer is None:  # no key: rejected locally
            add(invalid_answer(operation, item))
        elif answer.__class__ is Verification and answer.email == item.display \
                and answer.address is not None:  # fmt: skip
            add(answer)  # the usual verdict, shown as it is
        else:
            add(_for_row(answer, item))
    return out


def _for_row(answer: Answer, item: Item) -> Answer:
    """``answer`` as ``item``'s row shows it. Rebuilding a frozen answer per row is the main
    cost of a cached run: only when needed."""
    if isinstance(answer, Verification) and (
        answer.email != item.display or answer.address is None
    ):
        return answer.replace(email=item.display, address=answer.address or item.key)
    if isinstance(answer, Enrichment) and answer.custom_fields != (
        mine := item.payload.get("custom_fields", {})
    ):  # each row gets back its own custom_fields, whoever paid for the answer
        return answer.replace(custom_fields=dict(mine))
    return answer


_RETRYABLE, _FROM_CACHE = attrgetter("retryable"), attrgetter("from_cache")
