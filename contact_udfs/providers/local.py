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
failed lookup, not one per address.

Find proposes addresses from the patterns (``first.last``...) already seen at
the domain, else from a fixed prior order; see :func:`_confidence`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..models import Answer, FoundEmail, Operation, Status, Verification, utcnow
from ..normalize import normalize_email, split_full_name
from ..patterns import PATTERNS, candidate_locals, rank_patterns
from . import _domains
from .base import JobRef, Submission, Task

if TYPE_CHECKING:
    import dns.resolver

    from ..config import Settings
    from ..store.base import Store

__all__ = ["CANARY_DOMAINS", "DnsChecker", "DnsVerdict", "LocalProvider"]

log = logging.getLogger(__name__)

#: domains that surely have MX records: if they do not resolve, DNS is broken here
CANARY_DOMAINS: tuple[str, ...] = ("gmail.com", "outlook.com")


@dataclass(frozen=True)
class DnsVerdict:
    """What DNS says about one domain, already in the answer vocabulary."""

    status: Status
    reason: str
    retryable: bool = False
    #: mail hosts by preference (or the domain itself for an implicit MX)
    mx: tuple[str, ...] = ()
    #: ``"A"``/``"AAAA"`` when there is no MX and the address record stands in
    fallback: str | None = None


NO_DNS = DnsVerdict(Status.UNKNOWN, "no_dns", retryable=True)
_NEGATIVE = {
    "nxdomain": DnsVerdict(Status.UNDELIVERABLE, "invalid_domain"),
    "no_mx": DnsVerdict(Status.UNDELIVERABLE, "no_mx"),
    "null_mx": DnsVerdict(Status.UNDELIVERABLE, "no_mx"),
    "timeout": DnsVerdict(Status.UNKNOWN, "dns_timeout", retryable=True),
    "error": DnsVerdict(Status.UNKNOWN, "dns_error", retryable=True),
}


class DnsChecker:
    """MX lookups with a per-domain TTL cache and a cached canary; thread-safe.

    10,000 addresses at one domain cost one lookup; concurrent lookups of the
    same domain wait for each other instead of repeating it.
    """

    def __init__(
        self,
        resolver: dns.resolver.Resolver | Any | None = None,
        *,
        timeout: float = 2.0,
        ttl: float = 3600.0,
        negative_ttl: float = 900.0,
        error_ttl: float = 60.0,
        canary_ttl: float = 60.0,
        canaries: Sequence[str] = CANARY_DOMAINS,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.timeout = timeout
        self._resolver = resolver
        self._resolver_ready = resolver is not None
        self._ttl = {"mx": ttl, "nxdomain": negative_ttl, "no_mx": negative_ttl,
                     "null_mx": negative_ttl, "timeout": error_ttl, "error": error_ttl}  # fmt: skip
        self.canary_ttl = canary_ttl
        self.canaries = tuple(canaries)
        self.max_entries = max_entries
        self.clock = clock
        self._cache: dict[str, tuple[float, DnsVerdict]] = {}
        self._lock = threading.Lock()
        self._stripes = [threading.Lock() for _ in range(64)]
        self._canary_lock = threading.Lock()
        self._canary: tuple[float, bool] | None = None

    # -- public ---------------------------------------------------------------------------------

    def check(self, domain: str) -> DnsVerdict:
        """The verdict for ``domain``: cached, or looked up within ``timeout`` seconds."""
        hit = self._cached(domain)
        if hit is not None:
            return hit
        if self._known_offline():
            return NO_DNS
        with self._stripes[hash(domain) % len(self._stripes)]:
            hit = self._cached(domain)
            if hit is not None:
                return hit
            kind, mx, fallback = self._lookup(domain)
            if kind == "mx":
                verdict = DnsVerdict(Status.UNKNOWN, "mx_found", False, mx, fallback)
            elif not self.online():
                return NO_DNS  # not cached: it says nothing about the domain
            else:
                verdict = _NEGATIVE[kind]
            self._put(domain, verdict, self._ttl[kind])
            return verdict

    def check_many(self, domains: Iterable[str], workers: int = 8) -> dict[str, DnsVerdict]:
        """Verdicts for distinct domains; the first alone, so offline is known before the rest."""
        todo = list(dict.fromkeys(domains))
        out = {d: v for d in todo if (v := self._cached(d)) is not None}
        todo = [d for d in todo if d not in out]
        if todo:
            out[todo[0]] = self.check(todo[0])
            rest = todo[1:]
            if self._known_offline():
                out.update(dict.fromkeys(rest, NO_DNS))
            elif len(rest) <= 1 or workers <= 1:
                out.update((d, self.check(d)) for d in rest)
            else:
                with ThreadPoolExecutor(min(workers, len(rest)), "contact-udfs-dns") as pool:
                    out.update(zip(rest, pool.map(self.check, rest), strict=True))
        return out

    def online(self) -> bool:
        """Whether DNS works here: a canary lookup, cached for ``canary_ttl`` seconds."""
        with self._canary_lock:
            if self._canary is not None and self.clock() - self._canary[0] < self.canary_ttl:
                return self._canary[1]
            ok = self._probe()
            self._canary = (self.clock(), ok)
            if not ok:
                log.info("DNS looks unreachable; domains are not checked for now")
            return ok

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()
        with self._canary_lock:
            self._canary = None

    # -- internals ------------------------------------------------------------------------------

    def _cached(self, domain: str) -> DnsVerdict | None:
        with self._lock:
            entry = self._cache.get(domain)
        if entry is None or entry[0] < self.clock():
            return None
        return entry[1]

    def _put(self, domain: str, verdict: DnsVerdict, ttl: float) -> None:
        now = self.clock()
        with self._lock:
            if len(self._cache) >= self.max_entries:
                live = {k: v for k, v in self._cache.items() if v[0] >= now}
                self._cache = dict(list(live.items())[len(live) // 2 :])
            self._cache[domain] = (now + ttl, verdict)

    def _known_offline(self) -> bool:
        canary = self._canary
        return canary is not None and not canary[1] and self.clock() - canary[0] < self.canary_ttl

    def _get_resolver(self) -> Any | None:
        with self._lock:
            if not self._resolver_ready:
                self._resolver_ready = True
                try:
                    import dns.resolver

                    self._resolver = dns.resolver.Resolver()
                    self._resolver.lifetime = self.timeout
                except Exception as exc:  # no resolv.conf, no nameserver...
                    log.info("no DNS resolver available: %s", exc)
                    self._resolver = None
            return self._resolver

    def _probe(self) -> bool:
        import dns.exception

        resolver = self._get_resolver()
        if resolver is None:
            return False
        for name in self.canaries:
            try:
                if any(_mx_hosts(resolver.resolve(name, "MX", lifetime=self.timeout))):
                    return True
            except dns.exception.Timeout:
                return False  # a second canary would only double the wait
            except Exception:  # NXDOMAIN, NoNameservers, blocked sockets...: try the next
                continue
        return False

    def _lookup(self, domain: str) -> tuple[str, tuple[str, ...], str | None]:
        """(kind, mail hosts, fallback): MX first, then A/AAAA, all within ``timeout``."""
        import dns.exception
        import dns.resolver

        resolver = self._get_resolver()
        if resolver is None:
            return "error", (), None
        deadline = self.clock() + self.timeout
        for rdtype in ("MX", "A", "AAAA"):
            remaining = deadline - self.clock()
            if remaining <= 0:
                return "timeout", (), None
            try:
                answer = list(resolver.resolve(domain, rdtype, lifetime=remaining))
            except dns.resolver.NXDOMAIN:
                return "nxdomain", (), None
            except dns.resolver.NoAnswer:
                continue
            except dns.exception.Timeout:
                return "timeout", (), None
            except Exception as exc:  # NoNameservers, SERVFAIL, socket errors...
                log.debug("DNS %s %s failed: %r", domain, rdtype, exc)
                return "error", (), None
            if not answer:
                continue
            if rdtype != "MX":
                return "mx", (domain,), rdtype
            hosts = tuple(h for h in _mx_hosts(answer) if h)
            return ("mx", hosts, None) if hosts else ("null_mx", (), None)
        return "no_mx", (), None


def _mx_hosts(answer: Iterable[Any]) -> list[str]:
    """Exchange names by preference; ``""`` for a null MX (``0 .``, RFC 7505)."""
    records = sorted(answer, key=lambda r: getattr(r, "preference", 0))
    return [str(getattr(r, "exchange", r)).rstrip(".").lower() for r in records]


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
    max_batch = 1000

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
        now = utcnow()
        answers: dict[str, Answer] = {}
        waiting: list[tuple[str, str, dict[str, Any]]] = []
        for task in tasks:
            norm = normalize_email(task.payload.get("email") or task.key)
            common: dict[str, Any] = {"email": task.key, "address": task.key,
                                      "provider": self.name, "checked_at": now}  # fmt: skip
            if norm.key is None:
                answers[task.key] = Verification(
                    status=Status.INVALID, reason=norm.error, syntax_valid=False, **common
                )
                continue
            local, _, domain = norm.key.rpartition("@")
            common.update(
                syntax_valid=True, disposable=_domains.is_disposable(domain),
                free=_domains.is_free(domain), role=_domains.is_role(local),
            )  # fmt: skip
            if fix := _domains.suggest_domain(domain):
                answers[task.key] = Verification(
                    status=Status.RISKY, reason="possible_typo", suggestion=f"{local}@{fix}",
                    **common,
                )  # fmt: skip
            elif common["disposable"]:
                answers[task.key] = Verification(status=Status.RISKY, reason="disposable", **common)
            elif self.dns is None:
                answers[task.key] = Verification(
                    status=Status.UNKNOWN, reason="dns_not_checked", retryable=True, **common
                )
            else:
                waiting.append((task.key, domain, common))
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
