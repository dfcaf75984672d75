"""Local normalization of names, companies, domains and whole find/enrich records.

A find or enrich record arrives as a row of named cells, spelled however the
sheet spells its columns (``Prénom``, ``first name``, ``Company Domain``...).
This module maps those columns to canonical fields, cleans the names (accents,
particles, ``"DUPONT Jean"``, ``"Last, First"``), turns a URL, address or
domain into an IDNA mail domain, and builds the cache key subject of a person,
so two spellings of one person share one cache entry and one credit. Like
:mod:`contact_udfs.identity.emails`, it is
pure and offline; a bad row is answered with a reason code of
:data:`contact_udfs.identity.ERROR_MESSAGES`.
"""

from __future__ import annotations

import numbers
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import idna

from .cells import EXCEL_ERROR, IPV4, LABEL, TRIM, is_missing
from .emails import normalize_email

__all__ = [
    "NormalizedPerson",
    "clean_name",
    "domain_from",
    "name_token",
    "normalize_contact",
    "normalize_person",
    "split_full_name",
]


# -- names, companies, domains --------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_PARTICLES = _words(
    "de du des del della delle der den di da do dos das van von vom zu le la lo les "
    "mac mc st st. saint sainte bin ibn al el ten ter af av"
)
_TITLES = _words("mr mr. mrs mrs. ms ms. miss dr dr. prof prof. m. mme mlle herr frau sir")
_SUFFIXES = _words("jr jr. sr sr. ii iii iv phd ph.d. md m.d. mba esq esq.")
_LETTERS = str.maketrans({
    "ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ł": "l", "Ł": "l",
    "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "ß": "ss", "þ": "th", "Þ": "th", "ı": "i",
})  # fmt: skip
_HOST = re.compile(rf"(?:{LABEL}\.)+(?:[a-z]{{2,63}}|xn--[a-z0-9-]{{1,59}})")


def _text(value: object) -> str | None:
    """A text cell trimmed with inner whitespace collapsed; None for anything else."""
    if not isinstance(value, str):
        return None
    s = unicodedata.normalize("NFC", " ".join(value.strip(TRIM).split()))
    if not s or (s[0] == "#" and EXCEL_ERROR.match(s)):
        return None
    return s


def clean_name(value: object) -> str | None:
    """A person's name as given (accents, hyphens, apostrophes, case kept), or None.

    Numbers, Excel errors, empty cells and text without a letter are not names;
    nor is an address pasted into a name column.
    """
    s = _text(value)
    if s is None:
        return None
    s = s.strip('"').strip(", ")
    if not s or "@" in s or not any(c.isalpha() for c in s):
        return None
    return s


def name_token(value: str) -> str:
    """A name as it appears in an address: ``"Anne-Sophie"`` -> ``"anne-sophie"``.

    Accents are stripped (NFKD), letters without decomposition mapped
    (``ø``->``o``, ``ß``->``ss``), spaces, apostrophes and dots dropped. Hyphens
    are *kept*, because companies use both ``anne-sophie`` and ``annesophie``;
    :mod:`contact_udfs.identity.patterns` tries both.
    """
    s = unicodedata.normalize("NFKD", str(value).translate(_LETTERS))
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    s = re.sub(r"[^a-z0-9-]+", "", s)
    return re.sub(r"-{2,}", "-", s).strip("-")


def split_full_name(full_name: str) -> tuple[str, str]:
    """(first, last) from a full name, keeping case and accents.

    Handles ``"Last, First"``, titles and suffixes (``Dr``, ``Jr``), family-name
    particles (``"Anne-Sophie de La Tour"`` -> ``("Anne-Sophie", "de La Tour")``)
    and the upper-case family-name convention (``"DUPONT Jean"``). Otherwise the
    last word is the family name.
    """
    text = clean_name(full_name)
    if not text:
        return "", ""
    if "," in text:
        before, after = (p.strip() for p in text.split(",", 1))
        if after and after.lower() not in _SUFFIXES and before:
            return after, before
        text = before or after
    tokens = text.split()
    titled = len(tokens) > 1 and tokens[0].lower() in _TITLES
    if titled:
        tokens = tokens[1:]
    while len(tokens) > 2 and tokens[-1].lower() in _SUFFIXES:
        tokens.pop()
    if len(tokens) == 1:
        return ("", tokens[0]) if titled else (tokens[0], "")
    caps = [t.isupper() and sum(c.isalpha() for c in t) > 1 for t in tokens]
    if any(caps) and not all(caps):
        n = len(tokens)
        if caps[0]:
            cut = caps.index(False)
            return " ".join(tokens[cut:]), " ".join(tokens[:cut])
        cut = n - caps[::-1].index(False)
        while cut > 1 and tokens[cut - 1].lower() in _PARTICLES:
            cut -= 1
        if 0 < cut < n:
            return " ".join(tokens[:cut]), " ".join(tokens[cut:])
    for i in range(1, len(tokens) - 1):
        if tokens[i].lower() in _PARTICLES:
            return " ".join(tokens[:i]), " ".join(tokens[i:])
    return " ".join(tokens[:-1]), tokens[-1]


def domain_from(value: object) -> str | None:
    """The mail domain in a domain, URL or address, in IDNA ASCII; None for a company name.

    ``"https://www.Acme.com/about"`` and ``"ada@acme.com"`` give ``"acme.com"``,
    ``"Bücher.de"`` gives ``"xn--bcher-kva.de"``; ``"Acme Corp"`` (no dot, or
    a space) is a name, not a domain.
    """
    s = _text(value)
    return _domain_cached(s.lower()) if s and len(s) <= 2048 else None


@lru_cache(maxsize=1 << 14)
def _domain_cached(s: str) -> str | None:
    s = re.sub(r"^(?:mailto:|[a-z][a-z0-9+.-]*://|//)", "", s)
    host = re.split(r"[/?#\\]", s, maxsplit=1)[0].rpartition("@")[2]
    host = re.sub(r":\d*$", "", host).strip(".")
    host = re.sub(r"^www\d?\.", "", host)
    if not host or " " in host or "." not in host or IPV4.fullmatch(host):
        return None
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            return None
    return host if len(host) <= 253 and _HOST.fullmatch(host) else None


def _key_token(value: str | None) -> str:
    """Accent- and case-insensitive form of a name for subject keys."""
    if not value:
        return ""
    s = unicodedata.normalize("NFKD", value.translate(_LETTERS).casefold())
    s = "".join(c for c in s if not unicodedata.combining(c)).replace("|", " ")
    return " ".join(s.split())


# -- records --------------------------------------------------------------------------------------

_ALIASES: dict[str, str] = {
    alias: canonical
    for canonical, aliases in {
        "first_name": "first_name firstname first prenom given_name givenname forename",
        "last_name": "last_name lastname last nom surname family_name familyname nom_de_famille",
        "full_name": "full_name fullname name nom_complet",
        "domain": "domain domaine email_domain company_domain domain_name",
        "website": "website url site web site_web siteweb company_website homepage",
        "company": "company company_name companyname organization organisation org societe "
        "entreprise employer account_name",
        "email": "email e_mail mail email_address courriel adresse_email",
        "phone": "phone telephone tel phone_number mobile",
        "num_siren": "num_siren siren",
        "siret": "siret",
        "linkedin": "linkedin linkedin_url",
        "company_linkedin": "company_linkedin",
        "country": "country pays",
        "job": "job title job_title poste fonction position",
    }.items()
    for alias in aliases.split()
}


@dataclass(frozen=True)
class NormalizedPerson:
    """A find or enrich record after local validation."""

    original: object
    #: the cache key subject: ``first|last|domain`` or ``first|last|company:name``
    key: str | None
    #: normalized fields for providers (only those present)
    payload: dict[str, str] = field(default_factory=dict)
    error: str | None = None

    @property
    def valid(self) -> bool:
        return self.key is not None


def _fold_key(name: object) -> str:
    s = unicodedata.normalize("NFKD", str(name).casefold())
    s = "".join(c for c in s if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "_", s).strip("_")


def _fields(record: Mapping[str, object]) -> dict[str, object]:
    """Canonical field -> first non-empty value, whatever the column spelling."""
    out: dict[str, object] = {}
    for name, value in record.items():
        canonical = _ALIASES.get(_fold_key(name))
        if canonical and canonical not in out and not _is_blank(value):
            out[canonical] = value
    return out


def _is_blank(value: object) -> bool:
    if isinstance(value, str):
        return not value.strip(TRIM)
    return value is None or is_missing(value)


def _person(fields: Mapping[str, object]) -> dict[str, str]:
    first, last = clean_name(fields.get("first_name")), clean_name(fields.get("last_name"))
    full = clean_name(fields.get("full_name"))
    if full and not (first and last):
        split_first, split_last = split_full_name(full)
        first, last = first or split_first or None, last or split_last or None
    if not full and first and last:
        full = f"{first} {last}"
    website, company = _text(fields.get("website")), _text(fields.get("company"))
    domain = domain_from(fields.get("domain")) or domain_from(website)
    if not domain and company and " " not in company:
        domain = domain_from(company)
    values = {"first_name": first, "last_name": last, "full_name": full, "domain": domain,
              "company": company, "website": website}  # fmt: skip
    return {k: v for k, v in values.items() if v}


def _subject(payload: Mapping[str, str]) -> str:
    names = f"{_key_token(payload.get('first_name'))}|{_key_token(payload.get('last_name'))}"
    if payload.get("domain"):
        return f"{names}|{payload['domain']}"
    return f"{names}|company:{_key_token(payload.get('company'))}"


def _person_error(payload: Mapping[str, str], *, need_first: bool) -> str | None:
    if not payload:
        return "empty_row"
    if not (payload.get("first_name") or payload.get("last_name")):
        return "missing_name"
    if not payload.get("last_name"):
        return "missing_last_name"
    if need_first and not payload.get("first_name"):
        return "missing_first_name"
    if not (payload.get("domain") or payload.get("company")):
        return "missing_company"
    return None


def normalize_person(record: Mapping[str, object], /) -> NormalizedPerson:
    """A find record: first and last name (or a full name) plus a domain or company."""
    if not isinstance(record, Mapping):
        return NormalizedPerson(record, None, {}, "not_a_record")
    payload = _person(_fields(record))
    error = _person_error(payload, need_first=True)
    return NormalizedPerson(record, None if error else _subject(payload), payload, error)


def _identifier(value: object) -> str | None:
    """Phone, SIREN, SIRET: Excel often stores them as numbers; keep the digits."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _text(value)


def _custom_fields(value: object) -> dict[str, object]:
    """The user's own ``custom_fields``: text keys, plain JSON values, as given.

    They travel to the vendor and back untouched but are no part of who the person
    is, so they never enter the cache key; anything else in the cell is dropped.
    """
    if not isinstance(value, Mapping):
        return {}
    plain = (str, int, float, bool, type(None))
    return {str(k): v for k, v in value.items() if isinstance(v, plain)}


def normalize_contact(record: Mapping[str, object], /) -> NormalizedPerson:
    """An enrich record (Dropcontact input fields).

    A valid email is the key; a bad email cell is dropped, and the record still
    goes if it has a name and a company (or website). Otherwise the error is the
    email's reason code when an email was given, else a ``missing_*`` code.
    """
    if not isinstance(record, Mapping):
        return NormalizedPerson(record, None, {}, "not_a_record")
    fields = _fields(record)
    person = _person(fields)
    payload = {k: v for k, v in person.items() if k != "domain"}
    if person.get("domain") and "website" not in payload:
        payload["website"] = person["domain"]
    for name in ("phone", "num_siren", "siret"):
        if value := _identifier(fields.get(name)):
            payload[name] = value
    for name in ("linkedin", "company_linkedin", "country", "job"):
        if value := _text(fields.get(name)):
            payload[name] = value
    if custom := _custom_fields(record.get("custom_fields")):
        payload["custom_fields"] = custom
    email_error = None
    if "email" in fields:
        email = normalize_email(fields["email"])
        if email.key:
            payload["email"] = email.key
            return NormalizedPerson(record, email.key, payload, None)
        email_error = email.error
    error = _person_error(person, need_first=False)
    if error:
        return NormalizedPerson(record, None, payload, email_error or error)
    return NormalizedPerson(record, _subject(person), payload, None)
