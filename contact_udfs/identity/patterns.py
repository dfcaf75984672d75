"""Address patterns (``first.last``, ``flast``...): guessing and learning them.

A company uses one or two patterns for all its staff, so the best offline
guess of Ada Lovelace's address at acme.com follows the patterns already
confirmed at acme.com. The engine records the pattern of every address a paid
provider confirms (:func:`pattern_of`); the local finder ranks its guesses by
those counts (:func:`candidate_locals`).

Names become tokens with :func:`contact_udfs.identity.name_token` (accents
stripped, lower case, hyphens kept). Because companies write compound names
both ways, each pattern is tried with hyphens kept (``anne-sophie.martin``)
and dropped (``annesophie.martin``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from .names import name_token

__all__ = [
    "DEFAULT_ORDER",
    "PATTERNS",
    "apply_pattern",
    "candidate_locals",
    "pattern_of",
    "rank_patterns",
]

_TEMPLATES: dict[str, str] = {
    "first.last": "{first}.{last}",
    "flast": "{f}{last}",
    "first": "{first}",
    "firstlast": "{first}{last}",
    "f.last": "{f}.{last}",
    "first_last": "{first}_{last}",
    "lastf": "{last}{f}",
    "last": "{last}",
    "last.first": "{last}.{first}",
    "first-last": "{first}-{last}",
    "firstl": "{first}{l}",
    "first.l": "{first}.{l}",
    "lastfirst": "{last}{first}",
    "last_first": "{last}_{first}",
    "f_last": "{f}_{last}",
}

#: every pattern we can recognize, most common first
PATTERNS: tuple[str, ...] = tuple(_TEMPLATES)
#: what the finder proposes when a domain has no history, in this order
DEFAULT_ORDER: tuple[str, ...] = PATTERNS[:8]

_LOCAL = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")


def apply_pattern(pattern: str, first: str, last: str, *, hyphens: bool = True) -> str | None:
    """The local part ``pattern`` gives for this person, or None if it cannot be built.

    None when the pattern is unknown, needs a name part that is missing, or the
    name has no Latin letters left once accents are stripped.
    """
    template = _TEMPLATES.get(pattern)
    if template is None:
        return None
    f_token, l_token = name_token(first or ""), name_token(last or "")
    if not hyphens:
        f_token, l_token = f_token.replace("-", ""), l_token.replace("-", "")
    if (not f_token and "{f" in template) or (not l_token and "{l" in template):
        return None
    local = template.format(first=f_token, last=l_token, f=f_token[:1], l=l_token[:1])
    return local if _LOCAL.fullmatch(local) else None


def _fold(local: str) -> str:
    text = unicodedata.normalize("NFKD", local.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def pattern_of(email: str, first_name: str, last_name: str) -> str | None:
    """Which pattern a confirmed address follows (``+tags`` ignored), or None."""
    local = _fold(str(email).rpartition("@")[0].split("+", 1)[0])
    if not local:
        return None
    for pattern in PATTERNS:
        for hyphens in (True, False):
            if apply_pattern(pattern, first_name, last_name, hyphens=hyphens) == local:
                return pattern
    return None


def rank_patterns(history: Mapping[str, int] | None = None) -> list[str]:
    """Patterns seen at the domain (most seen first), then the default order."""
    seen = sorted(
        (p for p, n in (history or {}).items() if p in _TEMPLATES and n > 0),
        key=lambda p: (-(history or {})[p], PATTERNS.index(p)),
    )
    return list(dict.fromkeys([*seen, *DEFAULT_ORDER]))


def candidate_locals(first: str, last: str, patterns: Iterable[str]) -> list[tuple[str, str]]:
    """(local part, pattern) for each pattern in order, both hyphen variants, deduplicated."""
    out: dict[str, str] = {}
    for pattern in patterns:
        for hyphens in (True, False):
            local = apply_pattern(pattern, first, last, hyphens=hyphens)
            if local and local not in out:
                out[local] = pattern
    return list(out.items())
