"""Job results a vendor pushes (webhooks), saved exactly like polled ones.

Dropcontact (``custom_callback_url``, webhook subscriptions) and FullContact
(``webhookUrl``) can push a finished job to a URL of ours. That only ever saves
time and polls: a push is read by the provider's own result parser, matched to
the job in the journal by the vendor's job id (or, for a Dropcontact submit
acknowledged without one, by the batch reference of ours its contacts carry in
``custom_fields``), stored with
:func:`~contact_udfs.core.jobs.save_answers` and closed with
:meth:`~contact_udfs.core.jobs.JobPoller.settle` - the same steps a poll takes.
So a later run (or Excel's next recalculation) finds the answers in the store
and sends nothing, and a push that never comes costs nothing: the journaled
job is still polled.

What a body is trusted with: the job id names a job we submitted (ids are the
vendor's long random strings, known only to it and to our journal), and the
answers are read only for that job's keys. A job we do not know - another
tool's job on the same Dropcontact subscription, one already answered, a
made-up id - is acknowledged and ignored. A body that is not what the seeds
document is refused as a whole before anything is stored.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..config import Settings
from ..models import Operation
from ..providers.base import JobRef, Provider, PushesResults
from ..store.base import JobRecord, Store
from .jobs import JobPoller, save_answers

__all__ = ["GRACE", "MalformedDelivery", "Receipt", "receive"]

log = logging.getLogger(__name__)

#: how long a push for an id not (yet) journaled waits for it: a fast vendor may push
#: before the submitting run has written the job down
GRACE = 2.0
_GRACE_STEP = 0.05


class MalformedDelivery(ValueError):
    """The body is not a delivery as the vendor documents it; nothing was stored."""


@dataclass
class Receipt:
    """What one received body did."""

    #: job ids whose answers were saved
    settled: list[str] = field(default_factory=list)
    #: job ids not in the journal (unknown, or already answered): nothing stored
    ignored: list[str] = field(default_factory=list)
    #: answers stored
    saved: int = 0
    #: keys of settled jobs the push left out; they stay journaled for the next poll
    remaining: int = 0


def receive(
    provider: Provider,
    store: Store,
    settings: Settings,
    body: Any,
    *,
    grace: float = GRACE,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Receipt:
    """Save the job results in one parsed JSON ``body`` pushed by ``provider``.

    Raises :class:`MalformedDelivery` (storing nothing) when the body is not a
    delivery of that vendor.
    """
    if not isinstance(provider, PushesResults):
        raise TypeError(f"{provider.name} does not push job results")
    try:
        parts = provider.split_delivery(body)
    except ValueError as exc:
        raise MalformedDelivery(f"{provider.name}: {exc}") from None
    receipt = Receipt()
    for part in parts:
        found = _journaled(provider, store, (part.job_id, *part.also), grace, sleep, clock)
        if found is None:
            log.info(
                "%s: pushed result for job %r ignored: no such job is waiting in the journal",
                provider.name, _shown(part.job_id),
            )  # fmt: skip
            receipt.ignored.append(part.job_id)
            continue
        operation, rec = found
        job = JobRef(provider.name, operation, rec.job_id, tuple(rec.keys), rec.meta)
        answers = provider.parse_delivery(job, part.result)
        poller = JobPoller(
            provider, store, settings, owner="",
            save=lambda got, op=operation: save_answers(store, settings, provider.name, op, got),
        )  # fmt: skip
        left = poller.settle(job, answers)
        receipt.settled.append(rec.job_id)
        receipt.saved += len(answers)
        receipt.remaining += len(left)
        log.info(
            "%s: pushed result for job %s: %d answers saved, %d contacts left to polling",
            provider.name, rec.job_id, len(answers), len(left),
        )  # fmt: skip
    return receipt


def _journaled(
    provider: Provider,
    store: Store,
    job_ids: tuple[str, ...],
    grace: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> tuple[Operation, JobRecord] | None:
    """The open journaled job of ``provider`` under one of ``job_ids`` (the vendor's id,
    then references of ours the result carries), waiting up to ``grace`` for it."""
    operations = sorted(provider.operations, key=lambda op: op.value)
    deadline = clock() + max(grace, 0.0)
    while True:
        for operation in operations:
            for rec in store.journal_open(provider.name, operation.value):
                if rec.job_id in job_ids:
                    return operation, rec
        if clock() >= deadline:
            return None
        sleep(_GRACE_STEP)


def _shown(text: str) -> str:
    """An id from an untrusted body, short enough for one log line."""
    return text if len(text) <= 80 else text[:77] + "..."
