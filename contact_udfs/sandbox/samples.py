"""Realistic address lists drawn from a world, for tests, notebooks and benchmarks.

A sample mixes every verdict kind in roughly the proportions of a real prospect sheet, so
code under test meets existing people, role boxes, dead mailboxes, free-mail, disposable,
catch-all, unknown domains and a few typos without anyone writing them by hand.
"""

from __future__ import annotations

import random
from typing import Any, Protocol

from . import names
from .emailaddr import DISPOSABLE_DOMAINS, FREE_DOMAINS, slug


class Population(Protocol):
    """What a sample is drawn from (a :class:`~contact_udfs.sandbox.world.World`).

    Named as a protocol so this module needs nothing of ``world``, which
    imports it.
    """

    seed: int

    def companies(self) -> list[dict[str, Any]]: ...

    def people(self) -> list[dict[str, Any]]: ...

    def verdict(self, email: str) -> Any: ...


ROLES_IN_SAMPLES = ["contact", "info", "sales", "support", "admin"]
EXTERNAL_WORDS = ["northstar", "bluepeak", "quantum", "silverline", "redwood", "brightpath",
                  "example-company", "ironclad", "sunrise", "evergreen"]
TYPO_DOMAINS = ["gmial.com", "hotmial.com", "yaho.com"]
#: the top-level-domain slip of seed 003's own example ("fullcontact.ocm")
TLD_TYPO = "ocm"
# kind -> weight (percent)
MIX = {"person": 35, "role": 10, "unknown": 15, "free": 12, "disposable": 5, "catch_all": 8,
       "external": 12, "typo": 3}


def ocm_typo(email: str) -> str:
    """``ada@acme.com`` -> ``ada@acme.ocm``: what FullContact auto-corrects back."""
    head, _, _tld = email.rpartition(".")
    return f"{head}.{TLD_TYPO}"


def typo_emails(world: Population, n: int) -> list[str]:
    """``n`` world employees' ``.com`` addresses with the ``.ocm`` slip, in world order."""
    coms = [p["email"] for p in world.people() if p["email"].endswith(".com")]
    return [ocm_typo(e) for e in coms[:n]]


def spamtrap_emails(world: Population, n: int, seed: int = 0) -> list[str]:
    """``n`` distinct addresses the world's ground truth calls spamtraps."""
    out: list[str] = []
    i = 0
    while len(out) < n:
        email = f"trap{seed}-{i}@mailbox-{i % 23}.net"
        if world.verdict(email).spamtrap:
            out.append(email)
        i += 1
    return out


def sample_emails(world: Population, n: int, seed: int = 0) -> list[str]:
    """``n`` distinct addresses; the same (world seed, seed, n) always gives the same list."""
    rng = random.Random(f"samples-{world.seed}-{seed}")
    companies = world.companies()
    normal = [c["domain"] for c in companies if not c["catch_all"] and not c["greylisted"]]
    catch_all = [c["domain"] for c in companies if c["catch_all"]]
    people = [p["email"] for p in world.people()]
    free, disposable = sorted(FREE_DOMAINS), sorted(DISPOSABLE_DOMAINS)
    kinds = [k for k, weight in MIX.items() for _ in range(weight)]
    out: list[str] = []
    seen: set[str] = set()
    attempts = 0
    while len(out) < n and attempts < n * 50:
        attempts += 1
        kind = rng.choice(kinds)
        first = slug(rng.choice(names.FIRST_NAMES)[0])
        last = slug(rng.choice(names.LAST_NAMES))
        num = rng.randrange(1, 10_000)
        if kind == "person":
            addr = rng.choice(people)
        elif kind == "role":
            addr = f"{rng.choice(ROLES_IN_SAMPLES)}@{rng.choice(normal)}"
        elif kind == "unknown":  # digits: never collides with a real employee
            addr = f"{first}.{last}{num}@{rng.choice(normal)}"
        elif kind == "free":
            addr = f"{first}.{last}{num % 100}@{rng.choice(free)}"
        elif kind == "disposable":
            addr = f"{first}{num}@{rng.choice(disposable)}"
        elif kind == "catch_all":
            addr = f"{first}{num % 100}@{rng.choice(catch_all)}"
        elif kind == "external":
            addr = f"user{num}@{rng.choice(EXTERNAL_WORDS)}-{num % 97}.com"
        else:  # half are real .com employees with a mistyped TLD (no extra draw)
            addr = f"{first}.{last}@{rng.choice(TYPO_DOMAINS)}"
            person = people[num % len(people)]
            if num % 2 == 0 and person.endswith(".com"):
                addr = ocm_typo(person)
        if addr not in seen:
            seen.add(addr)
            out.append(addr)
    return out
