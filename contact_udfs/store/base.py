"""The Store protocol: per-contact answers, claims and the job journal.

The store is the real cache of the package (HTTP-level caches cannot key a
batch POST per contact). Every backend (SQLite on one machine, Redis for a
team) offers the same small set of operations, so the engine never knows
which one it talks to.

Keys are ``(provider, operation, key)`` where ``key`` is the normalized input
(e.g. a lower-cased, punycoded address). Answers are stored as JSON dicts
(``Answer.to_dict()``), never pickles.

Claims are how many processes asking for the same contact at once spend one
credit: :meth:`Store.claim` atomically splits keys into already answered,
claimed by me, and in flight elsewhere. A claim carries a short expiry that
its live owner keeps renewing (a heartbeat), so the claim of a process that died
lapses soon; one whose owner is known dead (a process of this host, see
:mod:`contact_udfs.core.claims`) is handed over at once with :meth:`Store.take_over`.

One purchase can answer several operations (a Dropcontact enrichment holds the
email a find asks for and the qualification a verify asks for): answers are
also found by an address they list (:meth:`Store.get_mentioning`), and company
names learned from paid answers map to domains (:meth:`Store.aliases`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = ["ClaimResult", "JobRecord", "Store"]


@dataclass
class ClaimResult:
    """How :meth:`Store.claim` split the keys it was given."""

    #: key -> stored answer dict, answered in the meantime
    cached: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: keys now claimed by the caller: it must answer or release them
    mine: list[str] = field(default_factory=list)
    #: keys claimed by a live owner elsewhere: wait for its answer
    elsewhere: list[str] = field(default_factory=list)


@dataclass
class JobRecord:
    """A journaled provider job (written before the first poll)."""

    provider: str
    operation: str
    job_id: str
    keys: list[str]
    meta: dict[str, Any] = field(default_factory=dict)
    #: ``open`` while answers are expected, ``done`` once saved
    state: str = "open"
    owner: str = ""
    created_at: float = 0.0


@runtime_checkable
class Store(Protocol):
    """Operations every backend implements; see the module docstring."""

    #: where the data lives, for messages (a path or a URL without password)
    location: str

    def get_many(
        self, provider: str, operation: str, keys: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        """Unexpired stored answers for ``keys`` (missing keys are left out)."""
        ...

    def put_many(
        self,
        provider: str,
        operation: str,
        answers: Mapping[str, dict[str, Any]],
        *,
        ttl: float | None,
        emails: Mapping[str, Collection[str]] | None = None,
        owner: str | None = None,
    ) -> None:
        """Save answers (``ttl`` seconds, None = forever) and drop ``owner``'s claims on them.

        ``emails`` lists, per key, every address an answer mentions, so that
        :meth:`forget` can erase find/enrich answers about an address too.
        """
        ...

    def claim(
        self,
        provider: str,
        operation: str,
        keys: Sequence[str],
        *,
        owner: str,
        ttl: float,
        skip_retryable: bool = False,
    ) -> ClaimResult:
        """Atomically split ``keys`` into cached / mine / elsewhere.

        With ``skip_retryable`` a stored ``retryable`` answer does not count as
        cached (the caller asked ``retry_unknown=True``).
        """
        ...

    def extend(
        self, provider: str, operation: str, keys: Sequence[str], *, owner: str, ttl: float
    ) -> None:
        """Push back the expiry of ``owner``'s claims (long polls)."""
        ...

    def release(self, provider: str, operation: str, keys: Sequence[str], *, owner: str) -> None:
        """Drop ``owner``'s claims without answering."""
        ...

    def claim_holders(self, provider: str, operation: str, keys: Sequence[str]) -> dict[str, str]:
        """Key -> owner of its unexpired claim (keys nobody claims are left out)."""
        ...

    def take_over(
        self,
        provider: str,
        operation: str,
        keys: Sequence[str],
        *,
        dead: Collection[str],
        owner: str,
        ttl: float,
    ) -> list[str]:
        """Atomically give ``owner`` the claims on ``keys`` still held by an owner in ``dead``.

        Returns the keys taken; the caller must answer or release them like claimed ones.
        """
        ...

    def get_mentioning(
        self, provider: str, operation: str, emails: Sequence[str]
    ) -> dict[str, dict[str, dict[str, Any]]]:
        """Address -> {key: answer} of the unexpired answers that list the address.

        The addresses are those given to :meth:`put_many` as ``emails``.
        """
        ...

    def add_aliases(
        self, provider: str, operation: str, learned: Mapping[str, Mapping[str, str]]
    ) -> None:
        """Remember company name -> domain pairs taught by the answer stored at each key.

        :meth:`forget` erases them together with that answer.
        """
        ...

    def aliases(self, names: Collection[str]) -> dict[str, str]:
        """Company name -> domain for the names learned with exactly one domain."""
        ...

    def journal_add(self, job: JobRecord) -> None:
        """Record a submitted job; must be durable when it returns."""
        ...

    def journal_open(self, provider: str, operation: str) -> list[JobRecord]:
        """Jobs still expecting answers, oldest first."""
        ...

    def journal_update(self, provider: str, job_id: str, *, remaining: Sequence[str]) -> None:
        """Shrink a job to the keys still unanswered; ``done`` when none remain."""
        ...

    def record_pattern(self, domain: str, pattern: str) -> None:
        """Count one confirmed address pattern (``first.last``...) at a domain."""
        ...

    def domain_patterns(self, domain: str) -> dict[str, int]:
        """Pattern -> how many confirmed addresses at ``domain`` follow it."""
        ...

    def forget(self, email: str) -> int:
        """Erase every answer, claim, learned alias and journal mention of ``email``.

        Returns the number of answers removed.
        """
        ...

    def clear(self) -> None:
        """Erase everything (answers, claims, journal, patterns, aliases)."""
        ...

    def stats(self) -> dict[str, Any]:
        """Counts for ``contact-udfs cache stats``."""
        ...

    def close(self) -> None: ...

    # -- a shared budget counter (one job, many processes) ----------------------------
    def budget_add(
        self, name: str, amount: float, *, limit: float, ttl: float | None = None
    ) -> tuple[float, float]:
        """Atomically add up to ``amount`` credits to the counter ``name``; (added, used).

        The counter never passes ``limit`` (what does not fit is not added) nor
        drops below zero (a negative amount gives back credits reserved and not
        spent). A counter unused for ``ttl`` seconds starts again from zero; an
        amount of 0 reads it.
        """
        ...
