"""What we know about mail domains without asking the network.

The lists live in ``contact_udfs/data/*.txt`` (one entry a line, ``#``
comments) so they can be reviewed and extended without touching code. This
module answers the three offline questions the local provider asks about an
address - is the domain free mail, disposable, a likely typo of a popular
domain - and whether the local part names a role rather than a person.

The typo rule is deliberately conservative, because flagging a real company
domain as a typo is worse than missing a typo: see :func:`suggest_domain`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from disposable_email_domains import blocklist as _DISPOSABLE
from rapidfuzz import process
from rapidfuzz.distance import OSA

__all__ = [
    "FREE_BRANDS",
    "FREE_DOMAINS",
    "POPULAR_DOMAINS",
    "ROLE_LOCAL_PARTS",
    "domain_facts",
    "edit_distance",
    "is_disposable",
    "is_free",
    "is_role",
    "suggest_domain",
]


def _load(name: str) -> tuple[str, ...]:
    text = resources.files("contact_udfs").joinpath("data", name).read_text("utf-8")
    lines = (line.split("#", 1)[0].strip().lower() for line in text.splitlines())
    return tuple(dict.fromkeys(line for line in lines if line))


#: most used first; the order breaks ties between typo candidates
POPULAR_DOMAINS: tuple[str, ...] = _load("popular_domains.txt")
_POPULAR = frozenset(POPULAR_DOMAINS)
_free_lines = _load("free_domains.txt")
FREE_DOMAINS: frozenset[str] = frozenset(d for d in _free_lines if not d.endswith(".*"))
#: free-mail brands under any country or generic suffix ("yahoo" covers yahoo.co.uk)
FREE_BRANDS: frozenset[str] = frozenset(d[:-2] for d in _free_lines if d.endswith(".*"))
ROLE_LOCAL_PARTS: frozenset[str] = frozenset(_load("role_local_parts.txt"))

# a brand's suffix must look like a registry suffix, so that "live.acme.com" is not free
_BRAND_SUFFIX = re.compile(r"(?:com|net|org|(?:co\.|com\.)?[a-z]{2})")

# TLDs that do not exist, and what people meant
_TLD_FIXES = {
    "con": "com", "cmo": "com", "ocm": "com", "comm": "com", "cpm": "com", "vom": "com",
    "xom": "com", "coom": "com", "nt": "net", "nte": "net", "ogr": "org", "frr": "fr",
}  # fmt: skip
# real country TLDs that are also classic slips: fixed only towards a popular domain
_TLD_FIXES_POPULAR_ONLY = {"cm": "com", "co": "com", "om": "com"}

_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_KEY_POS = {
    c: (r, i + (0.0, 0.25, 0.75)[r]) for r, row in enumerate(_ROWS) for i, c in enumerate(row)
}


def is_free(domain: str) -> bool:
    """A consumer mailbox (gmail.com, yahoo.fr, orange.fr...), not a company's."""
    if domain in FREE_DOMAINS:
        return True
    brand, _, suffix = domain.partition(".")
    return brand in FREE_BRANDS and bool(_BRAND_SUFFIX.fullmatch(suffix))


def is_disposable(domain: str) -> bool:
    """The domain, or a parent of it, is a throw-away mail service."""
    labels = domain.split(".")
    return any(".".join(labels[i:]) in _DISPOSABLE for i in range(len(labels) - 1))


def is_role(local_part: str) -> bool:
    """``info@``, ``sales+eu@``...: a team's address, often read by nobody in particular."""
    return local_part.split("+", 1)[0].lower() in ROLE_LOCAL_PARTS


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, capped at ``limit + 1``.

    The cap keeps comparing one domain against the popular list cheap; rapidfuzz works
    it out in C++ (a sheet's every new domain is compared with each popular one).
    """
    return int(OSA.distance(a, b, score_cutoff=limit))


def _adjacent_keys(a: str, b: str) -> bool:
    pa, pb = _KEY_POS.get(a), _KEY_POS.get(b)
    if pa is None or pb is None:
        return False
    return abs(pa[0] - pb[0]) <= 1 and abs(pa[1] - pb[1]) <= 1.0


def _plausible_slip(typed: str, meant: str) -> bool:
    """For short names: one slip, same first letter, a substitution only by a neighbour key.

    ``lime.com``/``live.com`` or ``cloud.com``/``icloud.com`` are real, different
    domains; ``gnail.com``, ``gmial.com`` or ``gmai.com`` are slips.
    """
    if typed[:1] != meant[:1] or edit_distance(typed, meant, 1) != 1:
        return False
    if len(typed) != len(meant):
        return True  # one letter added or dropped
    diff = [i for i, (x, y) in enumerate(zip(typed, meant, strict=True)) if x != y]
    if len(diff) == 2:
        return True  # two neighbours swapped
    return _adjacent_keys(typed[diff[0]], meant[diff[0]])


def _closest_popular(domain: str) -> str | None:
    if domain in _POPULAR or is_free(domain):
        return None
    name = domain.split(".", 1)[0]
    # a disposable service is a real, registered domain: only a one-letter slip counts
    max_distance = 1 if is_disposable(domain) else 2
    best: tuple[int, int, str] | None = None
    # every rule below needs a distance of 2 or less: the popular domains that close are
    # found in one call (rapidfuzz, in C++), in their order, and only they are looked at
    near = process.extract(domain, POPULAR_DOMAINS, scorer=OSA.distance, score_cutoff=2, limit=None)
    for popular, _, rank in sorted(near, key=lambda hit: hit[2]):
        popular_name = popular.split(".", 1)[0]
        shortest = min(len(name), len(popular_name))
        if len(popular_name) <= 4:
            continue  # aol, msn, live, free...: too many real neighbours
        if shortest <= 6:
            if not _plausible_slip(domain, popular):
                continue
            distance = 1
        else:
            distance = edit_distance(domain, popular, max_distance)
            if distance > max_distance or (distance == 2 and domain[0] != popular[0]):
                continue
        if best is None or (distance, rank) < best[:2]:
            best = (distance, rank, popular)
    return best[2] if best else None


def _fix_tld(domain: str) -> str:
    head, _, tld = domain.rpartition(".")
    if not head:
        return domain
    if tld in _TLD_FIXES:
        return f"{head}.{_TLD_FIXES[tld]}"
    fixed = f"{head}.{_TLD_FIXES_POPULAR_ONLY.get(tld, tld)}"
    return fixed if fixed in _POPULAR else domain


@lru_cache(maxsize=8192)
def domain_facts(domain: str) -> tuple[bool, bool, str | None]:
    """``(disposable, free, suggestion)`` of a lower-case domain, worked out once per
    domain: a sheet has far fewer domains than addresses."""
    return is_disposable(domain), is_free(domain), suggest_domain(domain)


@lru_cache(maxsize=8192)
def suggest_domain(domain: str) -> str | None:
    """The domain the user probably meant, or None when ``domain`` looks intended.

    * a TLD that does not exist (``.con``, ``.cmo``, ``.ogr``...) is always a slip;
      ``.co``/``.cm``/``.om`` are real TLDs, fixed only when that lands on a
      popular domain (``gmail.co`` -> ``gmail.com``, never ``acme.co``);
    * otherwise a domain that is itself popular or free mail is never a typo
      (``mail.com``, ``gmx.com``, ``ymail.com``, ``hotmail.fr`` are real);
    * popular names of 4 letters or fewer (aol, msn, live...) are never matched
      by distance; names of 5-6 letters allow one slip (:func:`_plausible_slip`);
      longer names allow Damerau-Levenshtein distance 1, or 2 with the same first
      letter (``yopmail.com`` is not ``hotmail.com``); a disposable domain, being
      registered on purpose, only distance 1.
    """
    domain = domain.lower()
    fixed = _fix_tld(domain)
    if fixed != domain:
        return _closest_popular(fixed) or fixed
    return _closest_popular(domain)
