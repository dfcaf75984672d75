"""The pay-once flow, the same for every provider and every face.

validate -> dedupe -> store lookup -> claim -> budget check -> chunk by
``max_batch`` -> submit -> journal -> poll -> save per contact -> waterfall ->
answers in input order. The engine knows nothing provider-specific; the
credit promise (DESIGN §5) lives here and only here:

* an answer in the store is never asked again (unless the caller says
  ``retry_unknown=True`` for answers marked retryable) - nor is one that a
  purchase for another operation already holds (:mod:`.reuse`), nor a person
  named by a company whose domain a paid answer taught (:mod:`.people`);
* a key is sent only by the run that claimed it; the others wait for it, except
  that a dead owner's claims are taken over and a journaled job is polled by
  whoever needs it (:mod:`.claims`); a free provider's keys (the offline
  ``local``) are not claimed: there is no credit to guard;
* a job id is journaled before it is polled, and a later run resumes it;
* paid answers are saved before any error is raised.

The run's bookkeeping and the final answer per row are :mod:`.runstate`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from functools import partial
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
from ..models import RESULT_TYPES, Answer, Operation, Verification
from ..providers.base import Provider, Task
from ..store.base import Store
from .bulk import paused_gc, streaming
from .claims import Heartbeat, new_owner, take_over_dead
from .items import Item, cached_answers, normalize_item
from .jobs import JobPoller, save_answers
from .people import resolve_companies
from .reports import Estimate, ProviderEstimate, Run, RunReport
from .reuse import reused_answers
from .runstate import Progress, RunState, assemble

__all__ = ["Engine", "Progress"]

log = logging.getLogger(__name__)

#: how long to wait between store checks for a contact another run is asking
WAIT_START, WAIT_CAP = 0.05, 1.0


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
        with paused_gc():  # a run's objects live until it ends: nothing to collect meanwhile
            return self._run(operation, items, retry_unknown, budget, progress, poll_timeout)

    def _run(
        self, operation: Operation, items: Iterable[object], retry_unknown: bool,
        budget: float | None, progress: Progress | None, poll_timeout: float | None,
    ) -> Run[Answer]:  # fmt: skip
        rows = self._rows(operation, items)
        report = RunReport(operation=operation.value, rows=len(rows))
        payloads: dict[str, dict[str, Any]] = {}
        for item in rows:
            if item.key is None:
                report.invalid += 1
            elif item.key not in payloads:
                payloads[item.key] = item.payload
        report.distinct = len(payloads)
        state = RunState(
            operation=operation, owner=new_owner(), payloads=payloads, report=report,
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
        try:
            # more contacts than the hot layer holds: holding each only to evict it for the
            # next would be all cost (a frame's slices are told so for the whole frame)
            with streaming(self.store, len(payloads)):
                for provider in self.chain(operation):
                    if not remaining:
                        break
                    self._step(state, provider, remaining, poll_timeout)
                    remaining = [k for k in remaining if k not in state.settled_keys]
        except BaseException:
            state.behind.settle()  # what was answered is still stored; this error escapes
            raise
        state.behind.wait()
        return Run(assemble(state, rows), report)

    def estimate(
        self, operation: Operation, items: Iterable[object], *, retry_unknown: bool = False
    ) -> Estimate:
        """Credits per provider a run would spend now; sends nothing.

        Answers another operation's purchase holds count as cached, as they are in a run.
        """
        rows = self._rows(operation, items)
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
            cached, _ = self._cached(provider, operation, usable, retry_unknown)
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
    def _rows(self, operation: Operation, items: Iterable[object]) -> list[Item]:
        """Each item validated locally, then re-keyed by the company aliases paid answers taught."""
        rows = [normalize_item(operation, value) for value in items]
        return resolve_companies(self.store, operation, rows)

    def _step(
        self, state: RunState, provider: Provider, keys: list[str], poll_timeout: float | None
    ) -> None:
        op = state.operation
        # asked in one pass (a slice holds ten thousand keys), looped over only if refused
        whys = list(map(partial(provider.unsupported, op), map(state.payloads.__getitem__, keys)))
        usable = keys
        if any(whys):
            usable = []
            for key, why in zip(keys, whys, strict=True):
                if why:
                    state.add(key, RESULT_TYPES[op](reason=why, provider=provider.name))
                else:
                    usable.append(key)
        cached, reused = self._cached(provider, op, usable, state.retry_unknown)
        state.reused.update(reused)
        state.tick(state.add_many(cached))
        # (what was found is among the keys asked: as many found means nothing to send)
        misses = [] if len(cached) == len(usable) else [k for k in usable if k not in cached]
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
        self, state: RunState, provider: Provider, keys: list[str], poll_timeout: float | None
    ) -> None:
        op, ttl = state.operation, self.settings.claim_ttl
        if not provider.cost(op):
            # claims keep two runs from paying for one contact; a free answer has nothing
            # to guard, and claiming would be most of an offline run's cost
            self._answer_claimed(state, provider, keys, poll_timeout, claimed=False)
            return
        todo = keys
        wait = WAIT_START
        if poll_timeout is not None:  # the caller bounds how long it may wait (Excel: seconds)
            deadline = self._clock() + poll_timeout
        else:
            deadline = self._clock() + ttl + self.settings.poll_timeout
        journal_checked = False
        while todo:
            claim = self.store.claim(
                provider.name, op.value, todo, owner=state.owner, ttl=ttl,
                skip_retryable=state.retry_unknown,
            )  # fmt: skip
            stored = RESULT_TYPES[op].from_stored_many(claim.cached.values())
            state.add_many(dict(zip(claim.cached, stored, strict=True)))
            state.tick(len(claim.cached))
            # a process of this host that is gone keeps nobody waiting
            taken = take_over_dead(self.store, provider.name, op.value, claim.elsewhere,
                                   owner=state.owner, ttl=ttl)  # fmt: skip
            mine, handed = claim.mine + taken, set(taken)
            todo = [k for k in claim.elsewhere if k not in handed]
            if mine:
                self._answer_claimed(state, provider, mine, poll_timeout)
            if todo and not journal_checked:
                # polls are free: a job another run submitted is collected here, not awaited
                journal_checked = True
                todo = self._collect_journaled(state, provider, todo, poll_timeout)
            if todo:
                if self._clock() >= deadline:
                    for key in todo:
                        state.mark_pending(provider.name, key)
                    return
                state.report.claim_waits += 1
                self._sleep(wait)
                wait = min(wait * 2, WAIT_CAP)

    def _poller(self, state: RunState, provider: Provider) -> JobPoller:
        return JobPoller(
            provider, self.store, self.settings, owner=state.owner,
            save=lambda answers, fresh=True: self._save(state, provider, answers, fresh),
            sleep=self._sleep, clock=self._clock,
        )  # fmt: skip

    def _collect_journaled(
        self, state: RunState, provider: Provider, keys: list[str], poll_timeout: float | None
    ) -> list[str]:
        """Poll the journaled jobs covering ``keys`` without their claims; the keys left over."""
        poller = self._poller(state, provider)
        uncovered = poller.resume(state.operation, keys)
        if not poller.jobs:
            return keys
        for key in poller.wait(poll_timeout):
            if key in state.payloads and not state.answered_by(key, provider.name):
                state.mark_pending(provider.name, key)
        return uncovered

    def _answer_claimed(
        self, state: RunState, provider: Provider, keys: list[str], poll_timeout: float | None,
        *, claimed: bool = True,
    ) -> None:  # fmt: skip
        """Send what this run claimed (or, ``claimed=False``, free keys nobody claims);
        everything paid is saved before any error escapes."""
        op = state.operation
        if not claimed:
            self._send_and_wait(state, provider, keys, poll_timeout)
            return
        beat = Heartbeat(self.store, provider.name, op.value, owner=state.owner,
                         ttl=self.settings.claim_ttl)  # fmt: skip
        beat.hold(keys)
        try:
            with beat:
                self._send_and_wait(state, provider, keys, poll_timeout)
        finally:
            # whatever this run claimed and did not answer goes back to the pool
            unanswered = [k for k in keys if not state.answered_by(k, provider.name)]
            if unanswered:
                self.store.release(provider.name, op.value, unanswered, owner=state.owner)

    def _send_and_wait(
        self, state: RunState, provider: Provider, keys: list[str], poll_timeout: float | None
    ) -> None:
        """Send ``keys`` (or resume the journaled jobs covering them), then poll the jobs;
        what is still out when the wait ends is pending."""
        poller = self._poller(state, provider)
        self._send(state, provider, poller, poller.resume(state.operation, keys))
        state.behind.wait()  # the free answers' last write, before anything else is asked
        for key in poller.wait(poll_timeout):
            if key in state.payloads:
                state.mark_pending(provider.name, key)

    def _send(self, state: RunState, provider: Provider, poller: JobPoller,
              todo: list[str]) -> None:  # fmt: skip
        """Submit ``todo`` in the provider's batches; jobs go to ``poller`` (journaled)."""
        op = state.operation
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

    # -- helpers ------------------------------------------------------------
    def _cached(
        self, provider: Provider, op: Operation, keys: list[str], retry_unknown: bool
    ) -> tuple[dict[str, Answer], set[str]]:
        """Stored answers for ``keys``, then those another operation's purchase holds.

        Returns the answers and the keys of the second kind; a cached rerun never
        reaches the second lookup (everything is found by the first).
        """
        found = cached_answers(self.store, provider.name, op, keys, retry_unknown)
        if len(found) == len(keys):  # (found among ``keys``, which hold no repeats)
            return found, set()
        misses = [k for k in keys if k not in found]
        reused = reused_answers(self.store, provider, op, misses, retry_unknown)
        return {**found, **reused}, set(reused)

    def _save(
        self, state: RunState, provider: Provider, answers: dict[str, Answer], fresh: bool = True
    ) -> None:
        # every paid answer is stored, even for keys another run asked about (a resumed job)
        if not answers:
            return
        # free answers: never claimed, and written while the next batch is answered
        paid = bool(provider.cost(state.operation))
        save_answers(self.store, self.settings, provider.name, state.operation, answers,
                     owner=state.owner if paid else None,
                     behind=None if paid else state.behind)  # fmt: skip
        answers = {k: a for k, a in answers.items() if k in state.payloads}
        state.add_many(answers)
        state.pending.difference_update(answers)
        state.fresh.update(answers)
        if fresh:
            for key, answer in answers.items():
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

    def _skip(
        self, state: RunState, provider: Provider, keys: list[str], exc: ProviderError
    ) -> None:
        """Keys a failing provider did not take: free, left to the next provider."""
        if not keys:
            return
        log.warning("%s; %d items not sent to %s", exc, len(keys), provider.name)
        for key in keys:
            state.add(key, self._unavailable(state.operation, provider, exc))
        self.store.release(provider.name, state.operation.value, keys, owner=state.owner)

    @staticmethod
    def _unavailable(op: Operation, provider: Provider, exc: ProviderError) -> Answer:
        reason = "provider_unavailable"
        return RESULT_TYPES[op](
            reason=reason, provider=provider.name, retryable=True,
            raw={"error": str(exc)},
        )  # fmt: skip
