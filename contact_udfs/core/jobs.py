"""Journaled provider jobs: written before the first poll, resumed after a crash.

A submitted job is paid for. If the process dies while polling (Excel closed,
kernel restarted, SIGKILL), the next run that claims any of the job's keys
finds it in the journal and polls it instead of submitting again - so the
answers cost nothing more.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence

from ..config import Settings
from ..exceptions import AuthenticationError, ProviderError, QuotaExceededError
from ..http import free_call_deadline
from ..models import RESULT_TYPES, Answer, Operation, Verification
from ..providers.base import JobRef, Provider
from ..store.base import JobRecord, Store
from .behind import WritesBehind
from .items import emails_in
from .reuse import address_keys, learn_identities

__all__ = ["JOB_MAX_AGE", "POLL_CAP", "JobPoller", "save_answers"]

log = logging.getLogger(__name__)

#: longest wait between two polls of one job
POLL_CAP = 30.0
#: a journaled job still not ready after this long is given up (answers ``job_lost``,
#: retryable): vendors keep results for about 30 days, but an id that never gets
#: ready must not keep contacts pending forever
JOB_MAX_AGE = 2 * 86400.0

Saver = Callable[[dict[str, Answer]], None]


def save_answers(
    store: Store,
    settings: Settings,
    provider: str,
    operation: Operation,
    answers: Mapping[str, Answer],
    *,
    owner: str | None = None,
    behind: WritesBehind | None = None,
) -> None:
    """Store answers the one way every path stores them (a run, a resumed job, a webhook).

    The addresses each answer mentions go with it (as listed and as cache keys), so
    ``forget`` finds find/enrich answers too and a verify can read them
    (:mod:`contact_udfs.core.reuse`); what an answer teaches of its company is kept
    (:func:`~contact_udfs.core.reuse.learn_identities`); ``owner``'s claims on the
    keys are dropped in the same write. With ``behind`` (answers nobody claimed: no
    ``owner``), a store that can write later (``put_many_later``) writes in its background
    thread, and the caller waits for it (:mod:`contact_udfs.core.behind`).
    """
    if not answers:
        return
    rows = {k: a.to_stored() for k, a in answers.items()}
    emails = {k: _mentioned(k, a) for k, a in answers.items()}
    later = getattr(store, "put_many_later", None) if not owner else None
    if behind is not None and later is not None:
        behind.submit(later(provider, operation.value, rows, ttl=settings.ttl_seconds,
                            emails=emails))  # fmt: skip
    else:
        store.put_many(provider, operation.value, rows, ttl=settings.ttl_seconds,
                       emails=emails, owner=owner)  # fmt: skip
    learn_identities(store, provider, operation, answers, rows, emails, ttl=settings.ttl_seconds)


def _mentioned(key: str, answer: Answer) -> Collection[str]:
    """The addresses ``answer`` mentions and their cache keys (what
    :func:`~contact_udfs.core.reuse.address_keys` of
    :func:`~contact_udfs.core.items.emails_in` gives), ``(key,)`` at once for the common
    verdict that mentions only its own address, already a key: what nearly every verify
    saves, and what the store writes no link for."""
    state = answer.__dict__
    if (
        type(answer) is Verification
        and state["email"] == key
        and state["address"] == key
        and not state["suggestion"]
        and "@" in key
        and key.isascii()
        and key == key.strip().lower()
    ):
        return (key,)
    return address_keys(emails_in(answer))


class JobPoller:
    """Polls the jobs of one provider for one run, with backoff and a deadline."""

    def __init__(
        self,
        provider: Provider,
        store: Store,
        settings: Settings,
        *,
        owner: str,
        save: Saver,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.provider = provider
        self.store = store
        self.settings = settings
        self.owner = owner
        self._save = save
        self._sleep = sleep
        self._clock = clock
        self.jobs: list[tuple[JobRef, float]] = []

    def resume(self, operation: Operation, keys: Sequence[str]) -> list[str]:
        """Adopt journaled jobs covering ``keys``; return the keys no job covers."""
        wanted = set(keys)
        covered: set[str] = set()
        for rec in self.store.journal_open(self.provider.name, operation.value):
            overlap = wanted.intersection(rec.keys)
            if not overlap:
                continue
            log.info(
                "%s: resuming journaled job %s (%d items)", rec.provider, rec.job_id, len(rec.keys)
            )
            job = JobRef(self.provider.name, operation, rec.job_id, tuple(rec.keys), rec.meta)
            self.jobs.append((job, rec.created_at or time.time()))
            covered |= overlap
        return [k for k in keys if k not in covered]

    def add(self, job: JobRef) -> None:
        """Journal a new job - durably, before it is ever polled."""
        now = time.time()
        self.store.journal_add(
            JobRecord(
                provider=job.provider, operation=job.operation.value, job_id=job.job_id,
                keys=list(job.keys), meta=dict(job.meta), owner=self.owner, created_at=now,
            )
        )  # fmt: skip
        self.jobs.append((job, now))

    def wait(self, poll_timeout: float | None = None) -> list[str]:
        """Poll until every job is answered or the deadline passes; return pending keys."""
        timeout = self.settings.poll_timeout if poll_timeout is None else poll_timeout
        if not self.jobs:
            return []
        # a failing poll must not outlive the caller's deadline with its own retries
        with free_call_deadline(timeout):
            return self._wait(timeout)

    def _wait(self, timeout: float) -> list[str]:
        deadline = self._clock() + timeout
        interval = max(self.settings.poll_interval, 0.0)
        open_jobs = list(self.jobs)
        pending: list[str] = []
        last_extend = self._clock()
        while open_jobs:
            # jobs are never ready at once: wait before every poll, the first one too
            self._sleep(max(0.0, min(interval, deadline - self._clock())))
            interval = min(max(interval * 1.5, 0.01), POLL_CAP)
            still = []
            for job, created in open_jobs:
                answers = self._poll(job, final=False)
                if answers is None:
                    still.append((job, created))
                else:
                    self._finish(job, answers, complete=True)
            open_jobs = still
            if open_jobs and self._clock() >= deadline:
                for job, created in open_jobs:
                    pending += self._give_up(job, created)
                break
            if open_jobs and self._clock() - last_extend > self.settings.claim_ttl / 4:
                # claims must outlive the wait, or another run would resume the same job
                keys = [k for job, _ in open_jobs for k in job.keys]
                self.store.extend(
                    self.provider.name, open_jobs[0][0].operation.value, keys,
                    owner=self.owner, ttl=self.settings.claim_ttl,
                )  # fmt: skip
                last_extend = self._clock()
        return pending

    def settle(self, job: JobRef, answers: dict[str, Answer]) -> list[str]:
        """Save answers that reached us without a poll (a webhook) exactly as polled ones.

        Keys the answers leave out stay journaled, so the next poll still collects them:
        a push is only ever a shortcut. Returns those keys.
        """
        return self._finish(job, answers, complete=False)

    # -- internals ------------------------------------------------------------
    def _poll(self, job: JobRef, *, final: bool) -> dict[str, Answer] | None:
        try:
            answers = self.provider.poll(job, final=final)
        except (AuthenticationError, QuotaExceededError):
            raise
        except ProviderError as exc:
            # polls are free and already retried by the HTTP layer; try again later
            log.warning("%s: polling job %s failed: %s", job.provider, job.job_id, exc)
            answers = None
        return answers if answers is not None else self._pushed(job)

    def _pushed(self, job: JobRef) -> dict[str, Answer] | None:
        """The job's answers if a push (a webhook) already closed it in the journal.

        A job acknowledged without an id can only be answered by a push; without this
        look, the run that submitted it would wait out its deadline for nothing.
        """
        op = job.operation.value
        if any(r.job_id == job.job_id for r in self.store.journal_open(job.provider, op)):
            return None
        stored = self.store.get_many(job.provider, op, list(job.keys))
        cls = RESULT_TYPES[job.operation]
        return {k: cls.from_dict(v) for k, v in stored.items()}

    def _finish(self, job: JobRef, answers: dict[str, Answer], *, complete: bool) -> list[str]:
        """Save what came back; return the job's keys still unanswered."""
        missing = [k for k in job.keys if k not in answers]
        if complete and missing:
            # the job is over but these were not returned: they were paid for,
            # so store them as retryable unknowns rather than asking again blindly
            cls = RESULT_TYPES[job.operation]
            for key in missing:
                answers[key] = cls(reason="not_returned", provider=job.provider, retryable=True)
            missing = []
        if answers:
            self._save(answers)
        self.store.journal_update(job.provider, job.job_id, remaining=missing)
        return missing

    def _give_up(self, job: JobRef, created: float) -> list[str]:
        """Deadline reached: save partial results, keep the job journaled for later."""
        answers = self._poll(job, final=True) or {}
        if time.time() - created > JOB_MAX_AGE:
            log.warning("%s: job %s never became ready; giving up", job.provider, job.job_id)
            cls = RESULT_TYPES[job.operation]
            for key in job.keys:
                answers.setdefault(
                    key, cls(reason="job_lost", provider=job.provider, retryable=True)
                )
        return self._finish(job, answers, complete=False)
