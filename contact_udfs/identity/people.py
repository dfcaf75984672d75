"""Which person a record names, across spellings of the organisation.

A person key is ``first|last|organisation`` (see :mod:`.names`): names folded
(case, accents, ``"DUPONT Jean"``, a split ``full_name``), and the organisation
is a mail domain whenever one can be read from the row (a domain, a website
URL, a ``www.`` prefix, an address). A row that names its company only by name
(``"Acme Robotics"``) gets ``company:<name>`` instead, which is a different key.

What joins the two is learned, never guessed: a paid answer that gives both a
company name and its website (Dropcontact does, for each person) teaches the
alias ``acme robotics -> acme-robotics.com``. :func:`company_alias` is the form
those names are compared in, and :func:`with_domain` rewrites a company-name
key to the domain key once the alias is known, so
``("Ada", "Lovelace", "Acme Robotics")`` reads the answer bought for
``("Ada", "Lovelace", "acme-robotics.com")``.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["COMPANY_MARK", "company_alias", "company_of_key", "with_domain"]

#: what marks the organisation part of a key as a company name rather than a domain
COMPANY_MARK = "company:"

#: legal forms that do not change which company is meant ("Acme Robotics Inc." = "Acme Robotics")
_LEGAL_FORMS = (
    "inc incorporated llc llp ltd limited plc corp corporation co company gmbh ag kg sa sas "
    "sasu sarl eurl sci snc bv nv srl spa sl oy ab as aps pty pte kk"
)
_LEGAL = frozenset(_LEGAL_FORMS.split())


def company_alias(name: object) -> str | None:
    """The form a company name is compared in: folded, punctuation and legal form dropped.

    ``"ACME Robotics, Inc."``, ``"Acme Robotics"`` and ``"acme-robotics"`` all give
    ``"acme robotics"``. None for text that leaves nothing to compare (``"Inc."``).
    """
    if not isinstance(name, str):
        return None
    s = unicodedata.normalize("NFKD", name.casefold())
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = s.replace("&", " and ")
    words = re.sub(r"[^\w]+", " ", s).split()
    while len(words) > 1 and words[-1] in _LEGAL:
        words.pop()
    text = " ".join(words)
    return text if text and not all(w in _LEGAL for w in words) else None


def company_of_key(key: str) -> str | None:
    """The company-name part of a person key, or None when the key already has a domain."""
    names, sep, organisation = key.rpartition("|")
    if not sep or not organisation.startswith(COMPANY_MARK):
        return None
    return organisation[len(COMPANY_MARK) :]


def with_domain(key: str, domain: str) -> str:
    """``key`` with its organisation replaced by ``domain`` (a learned alias)."""
    names, sep, _ = key.rpartition("|")
    return f"{names}{sep}{domain}" if sep else key
