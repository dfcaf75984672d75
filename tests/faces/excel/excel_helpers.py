"""Small helpers shared by the Excel tests (imported as ``excel_helpers``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from contact_udfs.sandbox import Sandbox

UDF_NAMES = ("VERIFY_EMAIL", "FIND_EMAIL", "ENRICH_CONTACT", "CONTACT_CREDITS", "CONTACT_ESTIMATE")


def cells(grid: Any) -> list[Any]:
    """Every cell of a UDF result (a scalar counts as one cell)."""
    if isinstance(grid, list):
        return [c for row in grid for c in (row if isinstance(row, list) else [row])]
    return [grid]


def assert_no_keys(outputs: Iterable[Any], sb: Sandbox, *extra: str) -> None:
    """No API key (the sandbox's or any other given) shows in any cell."""
    secrets = [*sb.keys.values(), *extra]
    for out in outputs:
        for cell in cells(out):
            for secret in secrets:
                assert secret not in str(cell)


def column(values: Iterable[Any]) -> list[list[Any]]:
    """A one-column range as xlwings hands it over with ``ndim=2``."""
    return [[v] for v in values]
