"""Markdown pieces shared by the benchmarks' report sections: numbers, ratios, tables."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any


def num(value: float | None, digits: int = 0) -> str:
    """A number with thousands separators (or "-" when missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


def x(value: float | None) -> str:
    """A ratio as "12.3x" (or "-" when undefined)."""
    if value is None:
        return "-"
    return f"{value:,.1f}x" if value < 100 else f"{value:,.0f}x"


def table(header: Sequence[str], rows: Iterable[Sequence[Any]], align: str = "") -> list[str]:
    """A Markdown table; ``align`` is one letter per column (l/r), right by default."""
    marks = [":--" if (align[i : i + 1] or "r") == "l" else "--:" for i in range(len(header))]
    out = ["| " + " | ".join(header) + " |", "| " + " | ".join(marks) + " |"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out + [""]


def ratio(a: float, b: float) -> float | None:
    """``a / b``, or None when ``b`` is zero (shown as "-" in the report)."""
    return a / b if b else None


def times(a: float, b: float) -> str:
    """``a / b`` as "12.3x": how many times more the first contender spends."""
    return x(ratio(a, b))
