"""The offline provider: free, keyless, always there (the waterfall's safety net).

Verify answers what can be known without a mailbox check: syntax, typos of
popular domains, disposable/free/role addresses, and whether the domain
accepts mail at all (MX, or A/AAAA as implicit MX). A domain with mail servers
is answered ``unknown``/``mx_found`` on purpose: the mailbox itself cannot be
checked offline, and ``unknown`` lets a waterfall ``local,dropcontact``
discard dead addresses for free while still sending the plausible ones to the
paid provider.

A machine without internet may answer NXDOMAIN for *every* name, so a negative
DNS answer is trusted only after a canary lookup (a domain that surely has MX)
succeeds; otherwise every address is ``unknown``/``no_dns``, retryable - never
``undeliverable``. The canary result is cached, so an offline run costs one
failed lookup, not one per address. The lookups themselves, their cache and the
canary live in :mod:`contact_udfs.providers._dns`.

Find proposes addresses from the patterns (``first.last``...) already seen at
the domain, else from a fixed prior order; see :func:`_confidence`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..identity import email_parts, normalize_email, split_full_name
from ..identity.patterns import PATTERNS, candidate_locals, rank_patterns
from ..models import Answer, FoundEmail, Operation, Status, Verification, utcnow
from . import _domains
from ._dns import CANARY_DOMAINS, DnsChecker, DnsVerdict
from ._dns import NO_DNS as NO_DNS
from .base import JobRef, Submission, Task

if TYPE_CHECKING:
    import dns.resolver

    from ..config import Settings
    from ..store.base import Store

__all__ = ["CANARY_DOMAINS", "DnsChecker", "DnsVerdict", "LocalProvider"]

log = logging.getLogger(__name__)


def _confidence(history: Mapping[str, int], pattern: str) -> float:
    """How sure the best guess is.

    0.25 without history. With history: ``0.25 + 0.60 * share * evidence``,
    where ``share`` is the fraction of confirmed addresses at the domain that
    follow the guessed pattern and ``evidence = min(1, confirmed / 5)``, so one
    confirmed address gives 0.37 and 12 of 13 following the pattern give 0.80;
    the ceiling is 0.85, never certainty (no mailbox was checked).
    """
    total = sum(history.values())
    if total <= 0 or not history.get(pattern):
        return 0.25
    share, evidence = history[pattern] / total, min(1.0, total / 5)
    return round(0.25 + 0.60 * share * evidence, 2)


class LocalProvider:
    """Offline verify and find; costs nothing, needs no key (see the module docstring)."""

    name = "local"
    operations = frozenset({Operation.VERIFY, Operation.FIND})
    #: answers per engine chunk: each chunk is one store transaction, written in the
    #: background while the next chunk is answered (:mod:`contact_udfs.core.behind`); the
    #: last chunk's write is waited for, so chunks are small enough for that wait to be
    #: short, and big enough for a chunk's fixed costs (a thread, a commit) not to count
    max_batch = 2_000

    def __init__(
        self,
        *,
        resolver: dns.resolver.Resolver | Any | None = None,
        dns_timeout: float = 2.0,
        check_dns: bool = True,
        patterns: Callable[[str], Mapping[str, int]] | None = None,
        dns_workers: int = 8,
    ) -> None:
        self.check_dns = check_dns
        self.dns = DnsChecker(resolver, timeout=dns_timeout) if check_dns else None
        self._patterns = patterns
        self._workers = dns_workers

    @classmethod
    def from_settings(cls, settings: Settings | None, store: Store | None = None) -> LocalProvider:
        """Built by the registry; with a store, the finder learns from confirmed patterns."""
        options = settings.provider("local").options if settings is not None else {}
        return cls(
            dns_timeout=float(options.get("dns_timeout", 2.0)),
            check_dns=bool(options.get("check_dns", True)),
            patterns=store.domain_patterns if store is not None else None,
        )

    def cost(self, operation: Operation) -> int:
        return 0

    def credits(self) -> int | None:
        return None

    def unsupported(self, operation: Operation, payload: Mapping[str, Any]) -> str | None:
        if operation not in self.operations:
            return "unsupported_operation"
        if operation is Operation.VERIFY:
            return None if payload.get("email") else "needs_email"
        if not payload.get("domain"):
            return "needs_domain"
        if not (payload.get("last_name") or payload.get("full_name")):
            return "needs_name"
        return None

    def submit(self, operation: Operation, tasks: Sequence[Task]) -> Submission:
        if operation is Operation.VERIFY:
            return Submission(answers=self._verify(tasks))
        if operation is Operation.FIND:
            return Submission(answers={t.key: self._find(t) for t in tasks})
        raise ValueError(f"the local provider cannot {operation}")

    def poll(self, job: JobRef, *, final: bool = False) -> dict[str, Answer] | None:
        return {}  # never submits jobs

    def close(self) -> None:
        pass

    # -- verify ---------------------------------------------------------------------------------

    def _verify(self, tasks: Sequence[Task]) -> dict[str, Answer]:
        answers: dict[str, Answer] = {}
        waiting: list[tuple[str, str, dict[str, Any]]] = []
        now = utcnow()
        # typed values only (a Status, a datetime); what every answer of the batch shares
        # is laid out once
        make = Verification.maker(provider=self.name, checked_at=now)
        facts, is_role = _domains.domain_facts, _domains.is_role
        for task in tasks:
            key = task.key
            value = task.payload.get("email") or key
            if type(value) is str:
                _, address, error = email_parts(value)
            else:
                norm = normalize_email(value)
                address, error = norm.key, norm.error
            if address is None:
                answers[key] = make(email=key, address=key, status=Status.INVALID,
                                    reason=error, syntax_valid=False)  # fmt: skip
                continue
            local, _, domain = address.rpartition("@")
            disposable, free, fix = facts(domain)
            role = is_role(local)
            if fix or disposable or self.dns is None:
                if fix:
                    status, reason, suggestion = Status.RISKY, "possible_typo", f"{local}@{fix}"
                elif disposable:
                    status, reason, suggestion = Status.RISKY, "disposable", None
                else:
                    status, reason, suggestion = Status.UNKNOWN, "dns_not_checked", None
                answers[key] = make(
                    email=key, address=key, syntax_valid=True, disposable=disposable, free=free,
                    role=role, status=status, reason=reason, suggestion=suggestion,
                    retryable=status is Status.UNKNOWN,
                )  # fmt: skip
            else:
                common = {"email": key, "address": key, "provider": self.name,
                          "checked_at": now, "syntax_valid": True, "disposable": disposable,
                          "free": free, "role": role}  # fmt: skip
                waiting.append((key, domain, common))
        if waiting and self.dns is not None:
            verdicts = self.dns.check_many((d for _, d, _ in waiting), self._workers)
            for key, domain, common in waiting:
                v = verdicts[domain]
                raw = {"mx": list(v.mx[:5]), "mx_fallback": v.fallback} if v.mx else {}
                answers[key] = Verification(
                    status=v.status, reason=v.reason, retryable=v.retryable, raw=raw, **common
                )
        return answers

    # -- find -----------------------------------------------------------------------------------

    def _history(self, domain: str) -> dict[str, int]:
        if self._patterns is None:
            return {}
        try:
            seen = self._patterns(domain) or {}
            return {str(p): int(n) for p, n in seen.items() if p in PATTERNS and int(n) > 0}
        except Exception as exc:  # a store hiccup must not fail an offline guess
            log.warning("pattern history for %s unavailable: %s", domain, exc)
            return {}

    def _find(self, task: Task) -> FoundEmail:
        p = task.payload
        first, last = str(p.get("first_name") or ""), str(p.get("last_name") or "")
        if not last and p.get("full_name"):
            split_first, last = split_full_name(str(p["full_name"]))
            first = first or split_first
        domain = str(p.get("domain") or "").lower() or None
        common: dict[str, Any] = {
            "provider": self.name, "checked_at": utcnow(), "first_name": first or None,
            "last_name": last or None, "domain": domain, "company": p.get("company"),
        }  # fmt: skip
        if domain is None:
            return FoundEmail(status=Status.UNKNOWN, reason="needs_domain", **common)
        history = self._history(domain)
        guesses = candidate_locals(first, last, rank_patterns(history))
        if not guesses:
            return FoundEmail(status=Status.UNKNOWN, reason="no_ascii_name", **common)
        pattern = guesses[0][1]
        return FoundEmail(
            email=f"{guesses[0][0]}@{domain}",
            candidates=[f"{local}@{domain}" for local, _ in guesses],
            confidence=_confidence(history, pattern),
            status=Status.UNKNOWN,
            reason="pattern_known" if history.get(pattern) else "pattern_guess",
            raw={"pattern": pattern, "patterns": history},
            **common,
        )
