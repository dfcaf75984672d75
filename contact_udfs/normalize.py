"""Local normalization and validation of emails, names and domains; cache keys.

Everything here is pure and offline. It runs before any cache lookup or
provider call, so two spellings of the same contact (``Ada@GMAIL.com `` and
``ada@gmail.com``) share one cache entry and one credit, and a bad cell
(empty, ``#N/A``, a number, two addresses in one cell) is answered locally at
zero cost with a short reason code that :func:`error_message` turns into text.

Decisions worth knowing:

* the email key is the whole address lower-cased (local part too: nearly every
  mail system treats it case-insensitively, and one key per mailbox is what
  saves credits), with the domain in IDNA ASCII (punycode);
* a cell that is exactly ``Name <addr>`` (or ``<addr>``) is accepted and the
  address extracted; a ``mailto:`` prefix (and its ``?subject=`` tail) is dropped;
* IP-literal domains (``a@[1.2.3.4]``) and quoted local parts are rejected:
  no provider verifies them and in a contact sheet they are mistakes.
"""

from __future__ import annotations

import math
import numbers
import re
import sys
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from functools import lru_cache

import idna
from email_validator import EmailNotValidError, validate_email

__all__ = [
    "ERROR_MESSAGES",
    "NormalizedEmail",
    "NormalizedPerson",
    "cache_key",
    "clean_name",
    "domain_from",
    "error_message",
    "name_token",
    "normalize_contact",
    "normalize_email",
    "normalize_person",
    "split_full_name",
]

#: reason code -> the short text shown in a cell as ``#ERROR: <text>``
ERROR_MESSAGES: dict[str, str] = {
    "empty": "empty cell",
    "blank": "blank cell (only spaces)",
    "missing": "missing value (NaN)",
    "number": "a number, not an email address",
    "boolean": "TRUE/FALSE, not an email address",
    "date": "a date, not an email address",
    "bytes": "binary data, not text",
    "not_text": "not a text value",
    "excel_error": "Excel error value",
    "formula": "a formula, not an email address",
    "too_long": "too long for an email address (over 254 characters)",
    "control_char": "contains a line break, tab or control character",
    "invisible_char": "contains an invisible character",
    "no_at": "not an email address (no @)",
    "multiple_at": "more than one @",
    "several_addresses": "several addresses in one cell",
    "no_local": "nothing before the @",
    "no_domain": "nothing after the @",
    "spaces": "contains spaces",
    "ip_domain": "IP address instead of a domain",
    "quoted_local": "quoted local part not supported",
    "no_dot": "domain has no dot",
    "reserved_domain": "reserved domain (.test, .local, localhost...)",
    "bad_domain": "invalid domain",
    "bad_local": "invalid characters before the @",
    "syntax": "invalid email syntax",
    "not_a_record": "not a record (expected named fields)",
    "empty_row": "empty row",
    "missing_name": "missing name",
    "missing_first_name": "missing first name",
    "missing_last_name": "missing last name",
    "missing_company": "missing company or domain",
}


def error_message(code: str, detail: str | None = None) -> str:
    """Short human text for a reason code; ``detail`` (e.g. ``#N/A``) is appended."""
    text = ERROR_MESSAGES.get(code) or code.replace("_", " ")
    return f"{text} {detail}" if detail else text


# -- emails ---------------------------------------------------------------------------------------

_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_TRIM = "".join(chr(c) for c in range(0x3000 + 1) if chr(c).isspace()) + _ZERO_WIDTH + "\x00"
_EXCEL_ERROR = re.compile(
    r"#(?:N/A|NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|GETTING_DATA|SPILL!|CALC!|FIELD!|BLOCKED!"
    r"|CONNECT!|BUSY!|UNKNOWN!|EXTERNAL!|PYTHON!|ERROR\b)",
    re.IGNORECASE,
)
#: COM error numbers Excel hands to Python on Windows (xlwings without err_to_str)
_COM_ERRORS = {
    -2146826281: "#DIV/0!", -2146826246: "#N/A", -2146826259: "#NAME?", -2146826288: "#NULL!",
    -2146826252: "#NUM!", -2146826265: "#REF!", -2146826273: "#VALUE!",
}  # fmt: skip
_DATE_TYPES = ("datetime64", "timedelta64", "Timestamp", "Timedelta", "Period")
_MAX_INPUT = 320  # longer than any "Name <address>" worth parsing: rejected unread
_MAX_EMAIL = 254
_MAX_DISPLAY = 1000
_ANGLE = re.compile(r'(?:"[^"<>]*"|[^"<>]*?)\s*<([^<>]*)>')
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_INVISIBLE = re.compile(f"[{_ZERO_WIDTH}\u200e\u200f]")
_SPACE = re.compile(r"\s")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_ATEXT = r"[a-z0-9_!#$%&'*+/=?^`{|}~-]"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
# addresses this matches are valid for email-validator too (tests check it), so the
# common case skips the full parser: 1,000,000 rows is a normal workload
_FAST = re.compile(rf"{_ATEXT}+(?:\.{_ATEXT}+)*@(?:{_LABEL}\.)+[a-z]{{2,63}}")
_RESERVED = (".arpa", ".invalid", ".local", ".localhost", ".onion", ".test")
_DOTS = ".\u3002\uff0e\uff61"


@dataclass(frozen=True)
class NormalizedEmail:
    """One input cell after local validation."""

    #: exactly what the caller gave
    original: object
    #: the cell as text, trimmed, for showing back ("" for empty)
    display: str
    #: the cache key subject; None when invalid
    key: str | None
    #: a reason code of :data:`ERROR_MESSAGES` when invalid
    error: str | None

    @property
    def valid(self) -> bool:
        return self.key is not None

    @property
    def message(self) -> str | None:
        """The error as text, naming the Excel error value when there is one."""
        if self.error is None:
            return None
        detail = self.display if self.error == "excel_error" else None
        return error_message(self.error, detail)


def normalize_email(value: object, /) -> NormalizedEmail:
    """Validate and normalize one cell; never raises, whatever ``value`` is."""
    if isinstance(value, str):
        if len(value) > 4 * _MAX_INPUT:  # not worth a cache slot
            display, key, error = _classify_text(value)
        else:
            display, key, error = _classify_cached(str(value))
        return NormalizedEmail(value, display, key, error)
    error, display = _classify_other(value)
    return NormalizedEmail(value, display, None, error)


def _classify_other(value: object) -> tuple[str, str]:
    """Reason code and display text for a non-string cell."""
    if value is None:
        return "empty", ""
    if _is_missing(value):
        return "missing", ""
    if isinstance(value, bool) or type(value).__name__ in ("bool", "bool_"):
        return "boolean", str(value).upper()
    if isinstance(value, int) and value in _COM_ERRORS:
        return "excel_error", _COM_ERRORS[value]
    if isinstance(value, (date, time, timedelta)) or type(value).__name__ in _DATE_TYPES:
        return "date", _short(str(value))
    if isinstance(value, numbers.Number):
        return "number", _short(str(value))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "bytes", _short(repr(bytes(value[:_MAX_DISPLAY])))
    try:
        text = str(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    return "not_text", _short(text.strip(_TRIM))


def _is_missing(value: object) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    pandas = sys.modules.get("pandas")  # only if the caller already uses pandas
    if pandas is not None and not isinstance(value, (list, dict, tuple, set)):
        try:
            return bool(pandas.isna(value))
        except Exception:  # arrays, signalling Decimal NaN...: not a missing scalar
            return False
    return False


def _short(text: str) -> str:
    return text if len(text) <= _MAX_DISPLAY else text[: _MAX_DISPLAY - 1] + "\u2026"


@lru_cache(maxsize=1 << 16)
def _classify_cached(text: str) -> tuple[str, str | None, str | None]:
    return _classify_text(text)


def _classify_text(text: str) -> tuple[str, str | None, str | None]:
    """(display, key, error) for a string cell; cheap checks first, the full parser last."""
    s = text.strip(_TRIM)
    display = _short(s)
    if not s:
        return display, None, ("blank" if text else "empty")
    if s[0] == "#" and _EXCEL_ERROR.match(s):
        return display, None, "excel_error"
    if len(s) > _MAX_INPUT:
        return display, None, "too_long"
    if s[:7].lower() == "mailto:":
        s = s[7:].strip(_TRIM)
        if "?" in s.partition("@")[2]:
            s = s[: s.index("?", s.index("@"))]
    if s.endswith(">") and (match := _ANGLE.fullmatch(s)):
        s = match.group(1).strip(_TRIM)
    key, error = _check_address(s)
    return display, key, error


def _check_address(s: str) -> tuple[str | None, str | None]:
    if not s:
        return None, "empty"
    if len(s) > _MAX_EMAIL:
        return None, "too_long"
    if _CONTROL.search(s):
        return None, "control_char"
    ats = s.count("@")
    if ats == 0:
        return None, ("formula" if s[0] == "=" and "(" in s else "no_at")
    if ats > 1:
        return None, ("several_addresses" if re.search(r"[,;\s]", s) else "multiple_at")
    local, _, domain = s.partition("@")
    if not local:
        return None, "no_local"
    if not domain:
        return None, "no_domain"
    if local[0] == '"':
        return None, "quoted_local"
    if _SPACE.search(s):
        return None, "spaces"
    if _INVISIBLE.search(s):
        return None, "invisible_char"
    if domain[0] == "[" or _IPV4.fullmatch(domain):
        return None, "ip_domain"
    if s.isascii():
        low = s.lower()
        if _FAST.fullmatch(low) and "--" not in domain and not low.endswith(_RESERVED):
            return low, None
    if not any(dot in domain for dot in _DOTS):
        return None, "no_dot"
    return _validate_slow(s)


def _validate_slow(s: str) -> tuple[str | None, str | None]:
    """email-validator for everything the fast path does not vouch for (IDN, rare syntax).

    A key must be a fixed point (normalizing it gives itself back). The
    validator's local part is already NFC, but lower-casing some Unicode letters
    changes their normal form, so such a key is re-validated until it is stable.
    """
    for _ in range(3):
        try:
            result = validate_email(s, check_deliverability=False, allow_smtputf8=True)
        except EmailNotValidError as exc:
            return None, _reason(str(exc))
        local = result.local_part
        lowered = unicodedata.normalize("NFC", local.lower())
        key = f"{lowered}@{result.ascii_domain.lower()}"
        if lowered == local or key == s or key.isascii():
            return key, None
        s = key
    return None, "syntax"


def _reason(message: str) -> str:
    text = message.lower()
    for needle, code in (
        ("too long", "too_long"), ("special-use", "reserved_domain"), ("quot", "quoted_local"),
        ("angle bracket", "syntax"), ("bracket", "ip_domain"), ("display name", "syntax"),
        ("unsafe", "invisible_char"),
        ("should have a period", "no_dot"), ("after the @-sign", "bad_domain"),
        ("top-level domain", "bad_domain"), ("before the @-sign", "bad_local"),
    ):  # fmt: skip
        if needle in text:
            return code
    return "syntax"


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
_HOST = re.compile(rf"(?:{_LABEL}\.)+(?:[a-z]{{2,63}}|xn--[a-z0-9-]{{1,59}})")


def _text(value: object) -> str | None:
    """A text cell trimmed with inner whitespace collapsed; None for anything else."""
    if not isinstance(value, str):
        return None
    s = unicodedata.normalize("NFC", " ".join(value.strip(_TRIM).split()))
    if not s or (s[0] == "#" and _EXCEL_ERROR.match(s)):
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
    :mod:`contact_udfs.patterns` tries both.
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
    if not host or " " in host or "." not in host or _IPV4.fullmatch(host):
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


def cache_key(provider: str, operation: str, subject: str) -> str:
    """The stable cache key ``"provider:operation:subject"``."""
    op = getattr(operation, "value", operation)
    return f"{str(provider).strip().lower()}:{op}:{subject}"


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
        return not value.strip(_TRIM)
    return value is None or _is_missing(value)


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
