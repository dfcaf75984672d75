"""A scripted in-process provider for engine tests: it counts what it is asked."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from contact_udfs.exceptions import QuotaExceededError
from contact_udfs.models import RESULT_TYPES, Answer, FoundEmail, Operation, Status, Verification
from contact_udfs.providers.base import JobRef, Submission, Task

Verdict = Callable[[str, Mapping[str, Any]], Answer | None]


def default_verdict(key: str, payload: Mapping[str, Any]) -> Answer:
    if key.startswith("unknown"):
        return Verification(email=key, address=key, status=Status.UNKNOWN, reason="timeout")
    if key.startswith("retry"):
        return Verification(email=key, address=key, reason="connection_lost", retryable=True)
    return Verification(email=key, address=key, status=Status.DELIVERABLE, reason="accepted_email")


class FakeProvider:
    """Answers synchronously, or as jobs when ``jobs=True``; counts per-key charges."""

    def __init__(
        self,
        name: str = "fake",
        *,
        operations: Sequence[Operation] = (Operation.VERIFY, Operation.FIND),
        max_batch: int = 10,
        cost: int = 1,
        jobs: bool = False,
        polls_before_ready: int = 0,
        verdict: Verdict = default_verdict,
        quota: int | None = None,
    ) -> None:
        self.name = name
        self.operations = frozenset(operations)
        self.max_batch = max_batch
        self._cost = cost
        self.jobs = jobs
        self.polls_before_ready = polls_before_ready
        self.verdict = verdict
        self.quota = quota
        self.submits: list[list[str]] = []
        self.polls: list[str] = []
        self.charges: Counter[str] = Counter()
        self.on_poll: Callable[[JobRef], None] | None = None
        self._jobs: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def cost(self, operation: Operation) -> int:
        return self._cost

    def unsupported(self, operation: Operation, payload: Mapping[str, Any]) -> str | None:
        if operation is Operation.FIND and not payload.get("domain"):
            return "needs_domain"
        return None

    def _answer(self, operation: Operation, task: Task) -> Answer:
        got = self.verdict(task.key, task.payload)
        if got is not None:
            return got.replace(provider=self.name)
        return RESULT_TYPES[operation](provider=self.name, reason="not_found")

    def submit(self, operation: Operation, tasks: Sequence[Task]) -> Submission:
        assert len(tasks) <= self.max_batch
        with self._lock:
            self.submits.append([t.key for t in tasks])
            answers: dict[str, Answer] = {}
            for task in tasks:
                if self.quota is not None and sum(self.charges.values()) >= self.quota:
                    return Submission(
                        answers=answers,
                        error=QuotaExceededError(self.name, "out of credits", status_code=402),
                    )
                self.charges[task.key] += self._cost
                answers[task.key] = self._answer(operation, task)
            if not self.jobs:
                return Submission(answers=answers)
            job_id = f"job-{len(self._jobs) + 1}"
            self._jobs[job_id] = {"answers": answers, "polls": 0}
            return Submission(job=JobRef(self.name, operation, job_id, tuple(answers)))

    def poll(self, job: JobRef, *, final: bool = False) -> dict[str, Answer] | None:
        if self.on_poll is not None:
            self.on_poll(job)
        with self._lock:
            self.polls.append(job.job_id)
            state = self._jobs.get(job.job_id)
            if state is None:
                return None
            state["polls"] += 1
            if state["polls"] <= self.polls_before_ready:
                if final:
                    half = list(state["answers"])[: len(state["answers"]) // 2]
                    return {k: state["answers"][k] for k in half}
                return None
            return dict(state["answers"])

    def credits(self) -> int | None:
        return None if self.quota is None else self.quota - sum(self.charges.values())

    def close(self) -> None:
        pass


def found(email: str | None, status: Status = Status.DELIVERABLE) -> FoundEmail:
    return FoundEmail(email=email, status=status if email else Status.UNKNOWN, confidence=0.9)
