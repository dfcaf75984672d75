"""One group of distinct contacts, asked on one worker: big batches, one job-wide budget.

The graph (:mod:`contact_udfs.faces.dask.graph`) gathers the distinct contacts of
all partitions into a few groups, so the engine sees thousands at a time and fills
Dropcontact's and FullContact's POSTs (250 / 300) however small the partitions are.
A group is sent in slices whose size is a multiple of both batch sizes.

The budget is the job's, not the group's: before a slice is sent, what it would
cost (the engine's estimate, cache counted) is reserved on a counter in the shared
store (:meth:`~contact_udfs.store.base.Store.budget_add`); what the slice did not
spend is given back afterwards. When the counter cannot cover a slice, the part
that fits is sent, and the job stops with :class:`~.errors.BudgetSpentError` - in
every group, since they all draw on the same counter.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...api import Client
from ...models import Answer, Operation
from .errors import BudgetSpentError
from .progress import Publisher
from .spec import WorkerSpec, worker_client

__all__ = ["SLICE", "Job", "ask_group", "estimate_group", "job_name"]

#: distinct contacts per engine call: 65 FullContact POSTs, 78 Dropcontact POSTs
SLICE = 19_500
#: how long an idle job counter lives in the store (seconds)
COUNTER_TTL = 7 * 86400.0


@dataclass(frozen=True)
class Job:
    """What every group task of one computation shares (no secret in it)."""

    spec: WorkerSpec
    operation: Operation
    retry_unknown: bool
    #: most credits the whole job may spend; None: no limit
    budget: float | None
    #: the job's counter in the store, and its progress topic
    name: str
    progress: bool


def job_name(operation: Operation) -> str:
    """A fresh name for one computation: its budget counter and its progress topic."""
    return f"dask-{operation.value}-{uuid.uuid4().hex}"


def ask_group(job: Job, group: int, *pieces: Sequence[tuple[str, Any]]) -> dict[str, Answer]:
    """Answers by key for the contacts of one group (``pieces``: (key, input) per partition)."""
    inputs: dict[str, Any] = {}
    for piece in pieces:
        for key, value in piece:
            inputs.setdefault(key, value)
    keys, values = list(inputs), list(inputs.values())
    publish = Publisher(job.name if job.progress else None, group, len(keys))
    answers: dict[str, Answer] = {}
    client = worker_client(job.spec)
    try:
        publish(0)
        for start in range(0, len(keys), SLICE):
            chunk = values[start : start + SLICE]
            results, stop = _ask_slice(client, job, chunk, publish, start)
            answers.update(zip(keys[start : start + len(results)], results))
            if stop:
                spent = client.store.budget_add(job.name, 0, limit=job.budget or 0)[1]
                raise BudgetSpentError(job.budget or 0, spent, len(keys) - len(answers))
    finally:
        publish(len(answers), final=True)
    return answers


def estimate_group(job: Job, *pieces: Sequence[tuple[str, Any]]) -> Any:
    """What asking this group would cost now (an :class:`~contact_udfs.Estimate`)."""
    inputs: dict[str, Any] = {}
    for piece in pieces:
        for key, value in piece:
            inputs.setdefault(key, value)
    client = worker_client(job.spec)
    return client.estimate(
        list(inputs.values()), job.operation, retry_unknown=job.retry_unknown
    )  # fmt: skip


def _ask_slice(
    client: Client, job: Job, values: list[Any], publish: Publisher, offset: int
) -> tuple[list[Answer], bool]:
    """Answers for ``values`` (or for the part the budget covers) and whether to stop."""
    progress = lambda done, total: publish(offset + done)  # noqa: E731
    if job.budget is None:
        run = client.run(job.operation, values, retry_unknown=job.retry_unknown,
                         progress=progress)  # fmt: skip
        return list(run.results), False
    need = _cost(client, job, values)
    store = client.store
    granted = store.budget_add(job.name, need, limit=job.budget, ttl=COUNTER_TTL)[0] if need else 0
    stop = granted < need
    if stop:  # send only what the rest of the budget covers
        values = values[: _fitting(client, job, values, granted)]
    spent = 0.0
    try:
        if not values:
            return [], stop
        run = client.run(job.operation, values, retry_unknown=job.retry_unknown, budget=granted,
                         progress=progress)  # fmt: skip
        spent = float(sum(run.report.credits.values()))
        return list(run.results), stop
    finally:
        if granted > spent:  # reserved and not spent: back to the job's other groups
            store.budget_add(job.name, spent - granted, limit=job.budget, ttl=COUNTER_TTL)


def _cost(client: Client, job: Job, values: list[Any]) -> float:
    est = client.estimate(values, job.operation, retry_unknown=job.retry_unknown)  # fmt: skip
    return float(est.total)


def _fitting(client: Client, job: Job, values: list[Any], credits: float) -> int:
    """The longest prefix of ``values`` whose estimate fits in ``credits`` (binary search)."""
    low, high = 0, len(values)
    while low < high:
        mid = (low + high + 1) // 2
        if _cost(client, job, values[:mid]) <= credits:
            low = mid
        else:
            high = mid - 1
    return low
