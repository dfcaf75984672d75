"""Small helpers shared by the Excel tests (imported as ``excel_helpers``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

import contact_udfs.api as api
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


def count_store_reads(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count the keys every answer read and claim of the default client asks its store for
    (under the hot layer: what memory did not answer)."""
    counts = {"keys": 0}
    opener = api.open_store

    class Counting:
        def __init__(self, store: Any) -> None:
            self.store, self.location = store, store.location

        def get_many(self, provider: str, operation: str, keys: Any) -> Any:
            counts["keys"] += len(keys)
            return self.store.get_many(provider, operation, keys)

        def claim(self, provider: str, operation: str, keys: Any, **kw: Any) -> Any:
            counts["keys"] += len(keys)
            return self.store.claim(provider, operation, keys, **kw)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.store, name)

    monkeypatch.setattr(api, "open_store", lambda location: Counting(opener(location)))
    return counts
