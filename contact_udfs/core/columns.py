"""Answers as flat columns: one definition for the CLI, pandas and Excel's ``"all"``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ..models import ENRICHMENT_FIELDS, Answer, Operation

__all__ = ["COLUMNS", "DEFAULT_PREFIX", "flatten", "output_columns"]

#: the fields each operation adds, in display order
COLUMNS: dict[Operation, tuple[str, ...]] = {
    Operation.VERIFY: (
        "status", "reason", "catch_all", "disposable", "role", "free", "suggestion",
        "provider", "from_cache", "checked_at",
    ),
    Operation.FIND: (
        "email", "confidence", "status", "reason", "candidates", "provider", "from_cache",
        "checked_at",
    ),
    Operation.ENRICH: (
        *ENRICHMENT_FIELDS, "status", "reason", "provider", "from_cache", "checked_at",
    ),
}  # fmt: skip

DEFAULT_PREFIX: dict[Operation, str] = {
    Operation.VERIFY: "email_",
    Operation.FIND: "found_",
    Operation.ENRICH: "enriched_",
}


def output_columns(operation: Operation, prefix: str | None = None) -> list[str]:
    """Column names as written to files / DataFrames, e.g. ``email_status``."""
    pre = DEFAULT_PREFIX[operation] if prefix is None else prefix
    return [pre + name for name in COLUMNS[operation]]


def cell(value: Any) -> Any:
    """A value fit for a cell: enums as text, lists joined, times ISO."""
    if value is None:
        return None
    if hasattr(value, "value") and not isinstance(value, (int, float, str, bool)):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}={v}" for k, v in value.items())
    return value


def flatten(
    answer: Answer, operation: Operation, fields: Sequence[str] | None = None
) -> dict[str, Any]:
    """``{field: cell value}`` for the operation's columns (or ``fields``)."""
    names = COLUMNS[operation] if fields is None else fields
    return {name: cell(getattr(answer, name, None)) for name in names}
