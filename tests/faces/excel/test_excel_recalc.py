"""A recalculation is answered from the process's memory: no store read, no request,
and each cell normalized once per call (counted, not timed)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from excel_helpers import column, count_store_reads

import contact_udfs.identity.emails as emails_module
from contact_udfs.faces.excel import udfs as excel
from contact_udfs.sandbox import Sandbox, get_world


def _count_normalize(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count every parse of a text cell, whichever path asks for it."""
    counts = {"calls": 0}
    original = emails_module._classify_text

    def counting(value: str) -> Any:
        counts["calls"] += 1
        return original(value)

    monkeypatch.setattr(emails_module, "_classify_text", counting)
    return counts


def test_a_recalculation_reads_nothing_from_the_store(
    excel_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = count_store_reads(monkeypatch)
    emails = get_world(0).sample_emails(600, 7)
    cells = emails + [f"  {e.upper()} " for e in emails[:300]] + [None, "", "not an email"]
    first = excel.VERIFY_EMAIL(column(cells))
    assert reads["keys"] > 0
    requests = excel_env.requests("*")
    reads["keys"] = 0
    again = excel.VERIFY_EMAIL(column(cells))
    assert again == first
    assert reads["keys"] == 0  # every answer came from memory
    assert excel_env.requests("*") == requests


def test_each_cell_is_normalized_once_per_call(
    excel_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    cells = [f"user{i}@example.com" for i in range(10_000)]
    monkeypatch.setenv("CONTACT_UDFS_PROVIDERS", "local")
    with open(os.environ["CONTACT_UDFS_CONFIG"], "w", encoding="utf-8") as fh:
        fh.write("[local]\ncheck_dns = false\n")  # offline: no DNS lookups
    excel.VERIFY_EMAIL(column(cells))  # the first run fills the cache
    emails_module._classify_cached.cache_clear()  # forget the memo: count a cold parse
    calls = _count_normalize(monkeypatch)
    out = excel.VERIFY_EMAIL(column(cells))
    assert len(out) == 10_000 and not any(str(r[0]).startswith("#") for r in out)
    assert calls["calls"] == 10_000  # was 30,000: screening, keys and the engine each
    calls["calls"] = 0
    excel.VERIFY_EMAIL(column(cells))
    assert calls["calls"] == 0  # the same cells again: remembered
