"""MX lookups for the local provider: a thread-safe TTL cache and a cached canary.

Kept apart from :mod:`contact_udfs.providers.local` so the provider reads as
policy (what to answer) and this module as mechanism (how DNS is asked, and
when its answer can be trusted). It asks the least it can: one lookup per
domain for as long as the answer is fresh, however many addresses share it.

A machine without internet may answer NXDOMAIN for *every* name, so before a
negative answer is believed, a canary domain that surely has MX
(:data:`CANARY_DOMAINS`) must resolve; while it does not, every domain gets
:data:`NO_DNS` (``unknown``, retryable) and the canary's failure is cached, so
an offline run costs one failed lookup, not one per address.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..models import Status

if TYPE_CHECKING:
    import dns.resolver

__all__ = ["CANARY_DOMAINS", "NO_DNS", "DnsChecker", "DnsVerdict"]

# the local provider's logger: these are its messages, and users filter them under its name
log = logging.getLogger("contact_udfs.providers.local")

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
