"""What the engine needs from a provider, and nothing more.

A provider turns normalized :class:`Task` objects into answers. It never
touches the cache, the claims, the budget or pandas: the engine does all of
that the same way for every provider, which is what keeps the credit promise
in one place.

Two shapes fit behind the same two methods:

* synchronous providers (``local``, ColdLead, FullContact single) answer every
  task inside :meth:`Provider.submit` and return no job;
* job providers (Dropcontact, FullContact batch) return a :class:`JobRef`; the
  engine journals it *before* calling :meth:`Provider.poll`, so a crash
  resumes the job instead of paying again.

A paid call whose fate is ambiguous (read timeout, reset after sending, 5xx
other than 503) must not raise: the provider answers those tasks ``unknown``
with ``retryable=True`` and a reason (``connection_lost``/``provider_error``),
and the engine stores them so they are never re-sent automatically.
A call the vendor surely did not act on may raise
:class:`~contact_udfs.exceptions.ProviderUnavailable`; auth and quota problems
raise their own errors and stop the run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol, runtime_checkable

from ..models import Answer, Operation

__all__ = ["Delivery", "JobRef", "Provider", "PushesResults", "Submission", "Task"]


class Task(NamedTuple):
    """One distinct, normalized, locally valid item to ask about.

    ``key`` is the cache key's subject (e.g. the lower-cased, punycoded
    address); answers are returned keyed by it. ``payload`` holds normalized
    input fields: ``{"email": ...}`` for verify; ``first_name``,
    ``last_name``, ``full_name``, ``domain``, ``company``, ``website`` for
    find; any Dropcontact input field for enrich. A named tuple: immutable, and
    a run builds one per distinct item (a frozen dataclass costs several times more).
    """

    key: str
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class JobRef:
    """A provider job to poll; everything needed to resume it after a crash."""

    provider: str
    operation: Operation
    job_id: str
    #: the task keys the job answers
    keys: tuple[str, ...]
    #: provider-specific details (endpoint flavour, key<->position map, ...), JSON-able
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Submission:
    """What a submit produced: answers now, a job for later, or both.

    ``error`` is set when the provider had to stop part-way (quota, auth):
    the engine first saves ``answers`` - they were paid for - then raises it.
    Tasks with no answer and no job were not sent and cost nothing.
    """

    answers: dict[str, Answer] = field(default_factory=dict)
    job: JobRef | None = None
    error: Exception | None = None


@runtime_checkable
class Provider(Protocol):
    """The provider protocol; see the module docstring for the rules."""

    #: registry alias, e.g. ``"dropcontact"``; part of every cache key
    name: str
    #: operations this provider can answer
    operations: frozenset[Operation]
    #: most tasks one :meth:`submit` may receive
    max_batch: int

    def cost(self, operation: Operation) -> int:
        """Credits charged per task (0 for free providers)."""
        ...

    def unsupported(self, operation: Operation, payload: Mapping[str, Any]) -> str | None:
        """Why this provider cannot take ``payload`` (e.g. ``"needs_domain"``), else None.

        The engine asks before estimating, so such items cost nothing and go
        straight to the next provider of the waterfall.
        """
        ...

    def submit(self, operation: Operation, tasks: Sequence[Task]) -> Submission:
        """Send ``tasks`` (at most ``max_batch``); answer now or return a job."""
        ...

    def poll(self, job: JobRef, *, final: bool = False) -> dict[str, Answer] | None:
        """Answers of a finished job keyed by task key, or ``None`` if not ready.

        With ``final=True`` the provider should return whatever is done
        (Dropcontact ``forceResults=true``); keys left out stay pending.
        """
        ...

    def credits(self) -> int | None:
        """Credits left on the account, by a call that costs nothing; None if unknown."""
        ...

    def close(self) -> None:
        """Release sessions and threads."""
        ...


@dataclass(frozen=True)
class Delivery:
    """One job's result as a vendor pushed it (a webhook), not yet matched to the journal."""

    #: the vendor's id of the job (Dropcontact ``request_id``, FullContact ``batchId``)
    job_id: str
    #: the part of the body holding that job's result, as the vendor sent it
    result: Any
    #: other ids the job may be journaled under (a submit acknowledged without an id
    #: is journaled under a reference of ours that the result carries back)
    also: tuple[str, ...] = ()


@runtime_checkable
class PushesResults(Protocol):
    """A job provider that can also push a job's result to a URL of ours.

    Pushed results are read by the same code as polled ones, so a webhook can
    only make an answer arrive sooner, never make it differ.
    """

    name: str

    def split_delivery(self, body: Any) -> list[Delivery]:
        """The job results a received JSON body holds; ``ValueError`` if it is malformed.

        Parts that are not job results (other event types) are left out.
        """
        ...

    def parse_delivery(self, job: JobRef, result: Any) -> dict[str, Answer]:
        """Answers of ``job`` found in one delivered result, keyed by task key."""
        ...
