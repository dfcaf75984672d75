"""The pay-once flow, the same for every provider and every face.

validate -> dedupe -> store lookup -> claim -> budget check -> chunk by
``max_batch`` -> submit -> journal -> poll -> save per contact -> waterfall ->
answers in input order. The engine knows nothing provider-specific; the
credit promise (DESIGN §5) lives here and only here:

* an answer in the store is never asked again (unless the caller says
  ``retry_unknown=True`` for answers marked retryable);
* a key is sent only by the run that claimed it; the others wait for it;
* a job id is journaled before it is polled, and a later run resumes it;
* paid answers are saved before any error is raised.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..config import Settings
from ..exceptions import (
    AuthenticationError,
    BudgetExceededError,
    ConfigurationError,
    ProviderError,
    QuotaExceededError,
)
from ..identity.patterns import pattern_of
from ..models import (
    RESULT_TYPES,
    Answer,
    Operation,
    Verification,
    best_answer,
)
from ..providers.base import Provider, Task
from ..store.base import Store
from .items import Item, cached_answers, invalid_answer, normalize_item
from .jobs import JobPoller, save_answers
from .reports import Estimate, ProviderEstimate, Run, RunReport

__all__ = ["Engine", "Progress"]

log = logging.getLogger(__name__)

#: called as ``progress(done, total)`` in distinct items
Progress = Callable[[int, int], None]

#: how long to wait between store checks for a contact another run is asking
WAIT_START, WAIT_CAP = 0.05, 1.0


@dataclass
class _State:
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
    spent: int = 0
    done: int = 0

    def tick(self, n: int) -> None:
        if n and self.progress is not None:
            self.done += n
            self.progress(min(self.done, len(self.payloads)), len(self.payloads))


def _new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"


class Engine:
    """Runs one operation over many items through a waterfall of providers."""

    def __init__(
        self,
        providers: Sequence[Provider],
        store: Store,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.providers = list(providers)
        self.store = store
        self.settings = settings
        self._sleep = sleep
        self._clock = clock

    # -- public -----------------------------------------------------------
    def chain(self, operation: Operation) -> list[Provider]:
        """Providers able to answer ``operation``, in waterfall order."""
        return [p for p in self.providers if operation in p.operations]

    def run(
        self,
        operation: Operation,
        items: Iterable[object],
        *,
        retry_unknown: bool = False,
        budget: float | None = None,
        progress: Progress | None = None,
        poll_timeout: float | None = None,
    ) -> Run[Answer]:
        """Answer every item; one answer per item, in input order."""
        rows = [normalize_item(operation, value) for value in items]
        report = RunReport(operation=operation.value, rows=len(rows))
        payloads: dict[str, dict[str, Any]] = {}
        for item in rows:
            if item.key is None:
                report.invalid += 1
            elif item.key not in payloads:
                payloads[item.key] = item.payload
        report.distinct = len(payloads)
        state = _State(
            operation=operation, owner=_new_owner(), payloads=payloads, report=report,
            retry_unknown=retry_unknown,
            budget=self.settings.budget if budget is None else budget, progress=progress,
        )  # fmt: skip
        if progress is not None:
            progress(0, len(payloads))
        remaining = list(payloads)
        if remaining and not self.chain(operation):
            names = ", ".join(p.name for p in self.providers) or "none"
            raise ConfigurationError(
                f"no provider in the waterfall ({names}) can {operation.value}; "
                + (
                    "enrichment needs dropcontact: set DROPCONTACT_API_KEY"
                    if operation is Operation.ENRICH
                    else "add a provider that can"
                )
            )
        for provider in self.chain(operation):
            if not remaining:
                break
            self._step(state, provider, remaining, poll_timeout)
            remaining = [k for k in remaining if not self._settled(state, k)]
        return Run(self._assemble(state, rows), report)

    def estimate(
        self, operation: Operation, items: Iterable[object], *, retry_unknown: bool = False
    ) -> Estimate:
        """Credits per provider a run would spend now; sends nothing."""
        rows = [normalize_item(operation, value) for value in items]
        payloads: dict[str, dict[str, Any]] = {}
        invalid = 0
        for item in rows:
            if item.key is None:
                invalid += 1
            else:
                payloads.setdefault(item.key, item.payload)
        est = Estimate(operation.value, rows=len(rows), invalid=invalid, distinct=len(payloads))
        remaining = list(payloads)
        asked_before = False
        for provider in self.chain(operation):
            if not remaining:
                break
            usable = [k for k in remaining if not provider.unsupported(operation, payloads[k])]
            cached = self._lookup(provider, operation, usable, retry_unknown)
            misses = [k for k in usable if k not in cached]
            cost = provider.cost(operation)
            est.steps.append(
                ProviderEstimate(
                    provider=provider.name, cached=len(cached), to_send=len(misses),
                    credits=len(misses) * cost, upper_bound=asked_before,
                )
            )  # fmt: skip
            # a step that asks anything may settle items: later steps are ceilings
            asked_before = asked_before or bool(misses)
            remaining = [k for k in remaining if not (k in cached and cached[k].settled)]
        return est

    # -- one waterfall step -------------------------------------------------
    def _step(
        self, state: _State, provider: Provider, keys: list[str], poll_timeout: float | None
    ) -> None:
        op = state.operation
        usable = []
        for key in keys:
            why = provider.unsupported(op, state.payloads[key])
            if why:
                self._add(state, key, RESULT_TYPES[op](reason=why, provider=provider.name))
            else:
                usable.append(key)
        cached = self._lookup(provider, op, usable, state.retry_unknown)
        for key, answer in cached.items():
            self._add(state, key, answer)
        state.tick(sum(1 for a in cached.values() if a.settled))
        misses = [k for k in usable if k not in cached]
        if not misses:
            return
        cost = provider.cost(op) * len(misses)
        if cost and state.budget is not None and state.spent + cost > state.budget:
            if state.spent == 0:
                raise BudgetExceededError({provider.name: cost}, state.budget)
            log.warning(
                "budget of %s credits reached: %d items not sent to %s",
                state.budget, len(misses), provider.name,
            )  # fmt: skip
            return
        self._claim_and_answer(state, provider, misses, poll_timeout)

    def _claim_and_answer(
        self, state: _State, provider: Provider, keys: list[str], poll_timeout: float | None
    ) -> None:
        op, ttl = state.operation, self.settings.claim_ttl
        todo = keys
        wait = WAIT_START
        if poll_timeout is not None:  # the caller bounds how long it may wait (Excel: seconds)
            deadline = self._clock() + poll_timeout
        else:
            deadline = self._clock() + ttl + self.settings.poll_timeout
        while todo:
            claim = self.store.claim(
                provider.name, op.value, todo, owner=state.owner, ttl=ttl,
                skip_retryable=state.retry_unknown,
            )  # fmt: skip
            for key, data in claim.cached.items():
                self._add(state, key, RESULT_TYPES[op].from_dict({**data, "from_cache": True}))
            state.tick(len(claim.cached))
            if claim.mine:
                self._answer_claimed(state, provider, claim.mine, poll_timeout)
            todo = claim.elsewhere
            if todo:
                if self._clock() >= deadline:
                    for key in todo:
                        self._mark_pending(state, provider, key)
                    return
                self._sleep(wait)
                wait = min(wait * 2, WAIT_CAP)

    def _answer_claimed(
        self, state: _State, provider: Provider, keys: list[str], poll_timeout: float | None
    ) -> None:
        """Send what this run claimed; everything paid is saved before any error escapes."""
        op = state.operation
        poller = JobPoller(
            provider, self.store, self.settings, owner=state.owner,
            save=lambda answers, fresh=True: self._save(state, provider, answers, fresh),
            sleep=self._sleep, clock=self._clock,
        )  # fmt: skip
        try:
            todo = poller.resume(op, keys)
            last_extend = self._clock()
            down: ProviderError | None = None
            for start in range(0, len(todo), provider.max_batch):
                chunk = todo[start : start + provider.max_batch]
                if down is not None:  # the provider is down: don't knock again for each chunk
                    self._skip(state, provider, chunk, down)
                    continue
                tasks = [Task(key, state.payloads[key]) for key in chunk]
                try:
                    sub = provider.submit(op, tasks)
                except ProviderError as exc:
                    if isinstance(exc, (AuthenticationError, QuotaExceededError)):
                        raise
                    # surely not acted on (the provider would have answered retryable otherwise)
                    down = exc
                    self._skip(state, provider, chunk, exc)
                    continue
                sent = (
                    len(chunk)
                    if sub.error is None
                    else len(sub.answers) + (len(sub.job.keys) if sub.job else 0)
                )
                state.report.add(state.report.sent, provider.name, sent)
                state.report.add(state.report.credits, provider.name, sent * provider.cost(op))
                state.spent += sent * provider.cost(op)
                if sub.answers:
                    self._save(state, provider, sub.answers)
                if sub.job is not None:
                    poller.add(sub.job)
                if sub.error is not None:
                    if not isinstance(sub.error, ProviderError) or isinstance(
                        sub.error, (AuthenticationError, QuotaExceededError)
                    ):
                        raise sub.error
                    down = sub.error
                    answered = set(sub.answers) | set(sub.job.keys if sub.job else ())
                    self._skip(state, provider, [k for k in chunk if k not in answered], down)
                # keep the claims of what is still to send alive, without rewriting
                # every claim after every chunk (that would be quadratic in the run size)
                if self._clock() - last_extend > self.settings.claim_ttl / 4:
                    self.store.extend(
                        provider.name, op.value, todo[start:], owner=state.owner,
                        ttl=self.settings.claim_ttl,
                    )  # fmt: skip
                    last_extend = self._clock()
            for key in poller.wait(poll_timeout):
                if key in state.payloads:
                    self._mark_pending(state, provider, key)
        finally:
            # whatever this run claimed and did not answer goes back to the pool
            unanswered = [k for k in keys if not self._answered_by(state, k, provider)]
            if unanswered:
                self.store.release(provider.name, op.value, unanswered, owner=state.owner)

    # -- helpers ------------------------------------------------------------
    def _lookup(
        self, provider: Provider, op: Operation, keys: list[str], retry_unknown: bool
    ) -> dict[str, Answer]:
        return cached_answers(self.store, provider.name, op, keys, retry_unknown)

    def _save(
        self, state: _State, provider: Provider, answers: dict[str, Answer], fresh: bool = True
    ) -> None:
        # every paid answer is stored, even for keys another run asked about (a resumed job)
        if not answers:
            return
        save_answers(
            self.store, self.settings, provider.name, state.operation, answers, owner=state.owner
        )
        answers = {k: a for k, a in answers.items() if k in state.payloads}
        for key, answer in answers.items():
            self._add(state, key, answer)
            state.pending.discard(key)
            state.fresh.add(key)
            if fresh:
                self._learn_pattern(state.payloads[key], answer)
        state.tick(len(answers))

    def _learn_pattern(self, payload: dict[str, Any], answer: Answer) -> None:
        """Confirmed addresses teach the offline finder each domain's pattern."""
        email = getattr(answer, "email", None)
        if answer.provider == "local" or not email or not answer.settled:
            return
        first, last = payload.get("first_name"), payload.get("last_name")
        if not (first and last) or isinstance(answer, Verification):
            return
        pattern = pattern_of(email, first, last)
        if pattern:
            self.store.record_pattern(email.rsplit("@", 1)[1].lower(), pattern)

    def _add(self, state: _State, key: str, answer: Answer) -> None:
        state.answers.setdefault(key, []).append(answer)

    def _settled(self, state: _State, key: str) -> bool:
        return any(a.settled for a in state.answers.get(key, ()))

    def _answered_by(self, state: _State, key: str, provider: Provider) -> bool:
        return key not in state.pending and any(
            a.provider == provider.name for a in state.answers.get(key, ())
        )

    def _mark_pending(self, state: _State, provider: Provider, key: str) -> None:
        state.pending.add(key)
        self._add(
            state, key,
            RESULT_TYPES[state.operation](reason="pending", provider=provider.name, retryable=True),
        )  # fmt: skip

    def _skip(self, state: _State, provider: Provider, keys: list[str], exc: ProviderError) -> None:
        """Keys a failing provider did not take: free, left to the next provider."""
        if not keys:
            return
        log.warning("%s; %d items not sent to %s", exc, len(keys), provider.name)
        for key in keys:
            self._add(state, key, self._unavailable(state.operation, provider, exc))
        self.store.release(provider.name, state.operation.value, keys, owner=state.owner)

    @staticmethod
    def _unavailable(op: Operation, provider: Provider, exc: ProviderError) -> Answer:
        reason = "provider_unavailable"
        return RESULT_TYPES[op](
            reason=reason, provider=provider.name, retryable=True,
            raw={"error": str(exc)},
        )  # fmt: skip

    def _assemble(self, state: _State, rows: list[Item]) -> list[Answer]:
        state.report.pending = len(state.pending)
        state.report.from_cache = sum(
            1 for key, got in state.answers.items()
            if key not in state.fresh and key not in state.pending
            and any(a.from_cache for a in got)
        )  # fmt: skip
        final: dict[str, Answer] = {}
        for key in state.payloads:
            got = state.answers.get(key)
            if not got:
                final[key] = RESULT_TYPES[state.operation](reason="no_provider")
                continue
            best = best_answer(got)
            if key in state.pending and not best.settled:
                best = next(a for a in got if a.reason == "pending")
            final[key] = best
        state.report.retryable = sum(
            1 for k, a in final.items() if a.retryable and k not in state.pending
        )
        out: list[Answer] = []
        for item in rows:
            if item.key is None:
                out.append(invalid_answer(state.operation, item))
                continue
            answer = final[item.key]
            # rebuilding a frozen answer per row is the main cost of a cached run: only when needed
            if isinstance(answer, Verification) and (
                answer.email != item.display or answer.address is None
            ):
                answer = answer.replace(email=item.display, address=answer.address or item.key)
            out.append(answer)
        return out
