"""What every cell reader agrees on: blank space, Excel error values, missing values, hosts.

Emails (:mod:`contact_udfs.identity.emails`) and names, companies and domains
(:mod:`contact_udfs.identity.names`) read the same kind of cells, so they must trim the
same characters and recognise the same ``#N/A``; keeping that here, in a module
that imports nothing of the package, lets both depend on it without depending
on each other.
"""

from __future__ import annotations

import math
import re
import sys

__all__ = ["EXCEL_ERROR", "IPV4", "LABEL", "TRIM", "ZERO_WIDTH", "is_missing"]

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
#: what a cell is trimmed of: every whitespace character, zero-width characters, NUL
TRIM = "".join(chr(c) for c in range(0x3000 + 1) if chr(c).isspace()) + ZERO_WIDTH + "\x00"
EXCEL_ERROR = re.compile(
    r"#(?:N/A|NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|GETTING_DATA|SPILL!|CALC!|FIELD!|BLOCKED!"
    r"|CONNECT!|BUSY!|UNKNOWN!|EXTERNAL!|PYTHON!|ERROR\b)",
    re.IGNORECASE,
)
IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
#: one DNS label, lower case
LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"


def is_missing(value: object) -> bool:
    """Whether ``value`` is a missing scalar (NaN, and pandas' NA/NaT when pandas is in use)."""
    if isinstance(value, float):
        return math.isnan(value)
    pandas = sys.modules.get("pandas")  # only if the caller already uses pandas
    if pandas is not None and not isinstance(value, (list, dict, tuple, set)):
        try:
            return bool(pandas.isna(value))
        except Exception:  # arrays, signalling Decimal NaN...: not a missing scalar
            return False
    return False
