"""docs/providers.md shows the mapping tables the code reads, and every silent place.

The tables are rendered here from the providers' own data (FullContact's ``RULES``,
ColdLead's statuses and ``ITEM_ERRORS``) and must appear in the page line for line, so
the page cannot drift from the code.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from contact_udfs.providers import coldlead, fullcontact
from contact_udfs.sandbox.readings import READINGS

DOC = Path(__file__).resolve().parents[2] / "docs" / "providers.md"


def fullcontact_table() -> list[str]:
    lines = ["| # | when the answer has | status | reason |", "|---|---|---|---|"]
    for i, rule in enumerate(fullcontact.RULES, 1):
        when = ", ".join(f"`{k}: {str(v).lower()}`" for k, v in rule.when.items())
        lines.append(f"| {i} | {when} | {rule.status.value} | `{rule.reason}` |")
    status, reason = fullcontact.FALLBACK
    lines.append(f"| – | none of the above | {status.value} | `{reason}` |")
    return lines


def coldlead_tables() -> list[list[str]]:
    statuses = ["| ColdLead `status` | status |", "|---|---|"]
    statuses += [f"| `{label}` | {status.value} |" for label, status in
                 coldlead._STATUSES.items()]
    statuses += [f"| any, with `reason: {reason}` | {status.value} |" for reason, status in
                 coldlead._REASON_STATUS.items()]
    items = ["| operation | HTTP | status | reason | retryable |", "|---|---|---|---|---|"]
    for (op, code), (status, reason, retry) in coldlead.ITEM_ERRORS.items():
        items.append(f"| {op.value} | {code} | {status.value} | `{reason}` | "
                     f"{'yes' if retry else 'no'} |")
    transient = ", ".join(f"`{r}`" for r in sorted(coldlead._TRANSIENT))
    return [statuses, items, [f"Retryable `unknown` reasons: {transient}."]]


@pytest.mark.parametrize("table", [fullcontact_table(), *coldlead_tables()],
                         ids=["fullcontact", "coldlead-status", "coldlead-items",
                              "coldlead-transient"])
def test_the_page_shows_the_table_the_code_reads(table: list[str]) -> None:
    assert "\n".join(table) in DOC.read_text(encoding="utf-8"), "\n".join(table)


@pytest.mark.parametrize("knob", sorted(READINGS))
def test_every_silent_place_is_listed_with_its_readings(knob: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    row = next((line for line in text.splitlines() if f"`{knob}`" in line), None)
    assert row is not None, knob
    for value in READINGS[knob]:
        assert f"`{value!s}`".lower() in row.lower() or f"`{value!r}`" in row, (knob, value)


def test_the_recipe_for_a_new_provider_is_there() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert "## Adding a provider" in text and "provider_contract.py" in text
