"""Local normalization and validation of emails; cache keys.

Everything here is pure and offline. It runs before any cache lookup or
provider call, so two spellings of the same contact (``Ada@GMAIL.com `` and
``ada@gmail.com``) share one cache entry and one credit, and a bad cell
(empty, ``#N/A``, a number, two addresses in one cell) is answered locally at
zero cost with a short reason code that :func:`error_message` turns into text.

Names, companies, domains and whole find/enrich records are normalized in
:mod:`contact_udfs.identity.names`; :mod:`contact_udfs.identity` re-exports both,
so it stays the one place to import normalization from.

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

import numbers
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import lru_cache
from typing import Any

from email_validator import EmailNotValidError, validate_email

from .cells import EXCEL_ERROR as _EXCEL_ERROR
from .cells import IPV4 as _IPV4
from .cells import LABEL as _LABEL
from .cells import TRIM as _TRIM
from .cells import ZERO_WIDTH as _ZERO_WIDTH
from .cells import is_missing as _is_missing

__all__ = [
    "ERROR_MESSAGES",
    "NormalizedEmail",
    "cache_key",
    "email_parts",
    "error_message",
    "fast_email_keys",
    "fast_email_parts",
    "normalize_email",
    "parsing_in_bulk",
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
_ATEXT = r"[a-z0-9_!#$%&'*+/=?^`{|}~-]"
#: a dot-atom local part, lower case (what :data:`_FAST` takes before the ``@``)
_FAST_LOCAL = re.compile(rf"{_ATEXT}+(?:\.{_ATEXT}+)*")
# addresses this matches are valid for email-validator too (tests check it), so the
# common case skips the full parser: 1,000,000 rows is a normal workload
_FAST = re.compile(rf"{_FAST_LOCAL.pattern}@(?:{_LABEL}\.)+[a-z]{{2,63}}")
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


def _short(text: str) -> str:
    return text if len(text) <= _MAX_DISPLAY else text[: _MAX_DISPLAY - 1] + "\u2026"


@lru_cache(maxsize=1 << 16)
def _classify_cached(text: str) -> tuple[str, str | None, str | None]:
    return _classify_text(text)


#: set by :func:`parsing_in_bulk`: cells are parsed without the memo
_BULK: ContextVar[bool] = ContextVar("contact_udfs_parsing_in_bulk", default=False)


@contextmanager
def parsing_in_bulk() -> Iterator[None]:
    """In this block (this thread or task), text cells are parsed without the memo.

    Why: a bulk run over far more distinct cells than the memo keeps (a million-row
    frame) would only churn it - every cell new, every entry evicted before it is
    asked again - at about a third of the cost of parsing, and evict what a sheet
    being recalculated had kept. The answers are the same either way.
    """
    token = _BULK.set(True)
    try:
        yield
    finally:
        _BULK.reset(token)


def email_parts(text: str, /) -> tuple[str, str | None, str | None]:
    """``(display, key, error)`` of a text cell: :func:`normalize_email` without the
    result object, for callers that normalize many cells (a recalculated sheet or a
    rerun asks the same cells again, so it is memoized the same way)."""
    if len(text) > 4 * _MAX_INPUT or _BULK.get():
        return _classify_text(text)
    return _classify_cached(text)


def _classify_text(text: str) -> tuple[str, str | None, str | None]:
    """(display, key, error) for a string cell; cheap checks first, the full parser last."""
    s = text.strip(_TRIM)
    display = _short(s)
    if not s:
        return display, None, ("blank" if text else "empty")
    if len(s) <= _MAX_EMAIL and s.isascii():  # the common case, vouched for by one pattern
        low = s.lower()
        if _FAST.fullmatch(low):
            local, _, domain = low.partition("@")
            if len(local) <= 64 and "--" not in domain and not low.endswith(_RESERVED):
                return display, (s if low == s else low), None  # one string, not two
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


#: the characters of :data:`_TRIM` an ASCII cell can hold
_ASCII_TRIM = "".join(c for c in _TRIM if c.isascii())
#: :data:`_FAST` over a whole cell, and the reserved endings the fast path refuses
_FAST_CELL = rf"\A(?:{_FAST.pattern})\z"
_RESERVED_END = r"(?:" + "|".join(re.escape(end) for end in _RESERVED) + r")\z"


def fast_email_parts(cells: Any) -> tuple[list[str | None], list[str | None]]:
    """``(displays, keys)`` of an Arrow text array's cells that :func:`email_parts` takes by
    its fast path (plain ASCII addresses, about every cell of a real sheet), worked out
    column-wise; None in both where a cell needs :func:`email_parts` itself.

    Why: a frame of a million rows would otherwise be parsed one Python call per cell,
    which is most of what a cached rerun costs beyond reading its answers. The checks are
    :func:`_classify_text`'s fast path, one Arrow kernel each (a test holds the two to
    the same answers); a cell they do not vouch for is left to the full parser.
    """
    import pyarrow.compute as pc

    ok, trimmed, low, none = _fast_path(cells)
    return pc.if_else(ok, trimmed, none).to_pylist(), pc.if_else(ok, low, none).to_pylist()


def fast_email_keys(cells: Any) -> Any:
    """The keys of :func:`fast_email_parts`, as an Arrow array (null where a cell needs
    :func:`email_parts` itself): for grouping cells by address without a Python string
    per cell."""
    import pyarrow.compute as pc

    ok, _, low, none = _fast_path(cells)
    return pc.if_else(ok, low, none)


def _fast_path(cells: Any) -> tuple[Any, Any, Any, Any]:
    """(which cells the fast path takes, the cells trimmed, trimmed and lower-cased, a
    null text): :func:`_classify_text`'s fast path, one Arrow kernel per check."""
    import pyarrow as pa
    import pyarrow.compute as pc

    trimmed = pc.utf8_trim(cells, _ASCII_TRIM)
    low = pc.ascii_lower(trimmed)
    ok = pc.and_(pc.string_is_ascii(cells), pc.less_equal(pc.binary_length(trimmed), _MAX_EMAIL))
    ok = pc.and_(ok, pc.match_substring_regex(low, _FAST_CELL))
    ok = pc.and_(ok, pc.less_equal(pc.find_substring(low, "@"), 64))
    # "--" in the domain is refused; one anywhere (rare in a local part) leaves the cell
    # to the full parser, a literal search rather than a regex over every cell
    ok = pc.and_not(ok, pc.match_substring(low, "--"))
    ok = pc.and_not(ok, pc.match_substring_regex(low, _RESERVED_END))
    return pc.fill_null(ok, False), trimmed, low, pa.scalar(None, pa.string())


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
    if len(local) > 64:  # RFC 5321; email-validator checks it only in strict mode
        return None, "too_long"
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
    key = _ascii_local_idn(s)
    if key is not None:
        return key, None
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


def _ascii_local_idn(s: str) -> str | None:
    """The key of a plain ASCII local part at an internationalized domain, the domain
    worked out once per domain; None when email-validator must read the whole address.

    Why: email-validator's IDNA conversion costs about a hundred times the rest of a
    check, and a sheet names one domain in many rows. A dot-atom ASCII local part is
    what :data:`_FAST` vouches for (valid, and its own normal form), and the rest of
    what email-validator checks is the domain and three lengths, all known from the
    domain's two forms: the result is the one the full check gives (a test holds it).
    """
    local, _, domain = s.partition("@")
    low = local.lower()
    if not (local.isascii() and _FAST_LOCAL.fullmatch(low)):
        return None
    forms = _domain_forms(domain)
    if forms is None:
        return None
    unicode_domain, ascii_domain = forms
    longest = max(len(s.encode()), len(low) + 1 + len(unicode_domain.encode()),
                  len(low) + 1 + len(ascii_domain))  # fmt: skip
    return f"{low}@{ascii_domain.lower()}" if longest <= _MAX_EMAIL else None


@lru_cache(maxsize=1 << 12)
def _domain_forms(domain: str) -> tuple[str, str] | None:
    """(normalized domain, its IDNA ASCII form) as email-validator gives them; None when
    it refuses the domain."""
    try:
        result = validate_email(f"a@{domain}", check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError:
        return None
    return result.domain, result.ascii_domain


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


# -- cache keys -----------------------------------------------------------------------------------


def cache_key(provider: str, operation: str, subject: str) -> str:
    """The stable cache key ``"provider:operation:subject"``."""
    op = getattr(operation, "value", operation)
    return f"{str(provider).strip().lower()}:{op}:{subject}"
