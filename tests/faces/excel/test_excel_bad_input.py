"""Whatever Excel hands over, every cell gets its own answer, at no cost, and nothing raises."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from bad_cells import BAD_CELLS
from excel_helpers import assert_no_keys, cells, column

from contact_udfs.faces.excel import udfs as excel
from contact_udfs.sandbox import Sandbox

#: what Excel (through xlwings) really passes for odd cells
EXCEL_CELLS = [
    None, "", "   ", 0.0, 42.0, -1.5, 3e20, True, False, dt.datetime(2024, 1, 31),
    dt.datetime(2024, 1, 31, 9, 30), "#N/A", "#VALUE!", "#DIV/0!", -2146826246,
    "ada.lovelace", "ada@", "@acme.com", "a@b@c.com", "ada lovelace@acme.com",
]  # fmt: skip
EMPTY = ("none", "empty", "space", "whitespace-mix", "zero-width-only", "nan", "float-nan-neg")


def _spent_nothing(sb: Sandbox) -> None:
    assert sb.requests("*") == 0
    assert sb.credits_spent("dropcontact") == 0


def test_every_bad_cell_in_a_range_gets_its_own_answer(excel_env: Sandbox) -> None:
    values = [value for _, value in BAD_CELLS]
    out = excel.VERIFY_EMAIL(column(values))
    assert len(out) == len(values) and all(len(row) == 1 for row in out)
    for (name, _), (answer,) in zip(BAD_CELLS, out, strict=True):
        if name in EMPTY:
            assert answer == "", name
        elif name.startswith("excel-") or name in ("com-error-na", "own-error-string"):
            assert answer.startswith("#ERROR: "), name
        else:
            assert answer == "invalid", name
    reasons = excel.VERIFY_EMAIL(column(values), "reason")
    assert all(isinstance(r, str) and len(r) < 300 for r in cells(reasons))
    _spent_nothing(excel_env)


@pytest.mark.parametrize(("name", "value"), BAD_CELLS, ids=[n for n, _ in BAD_CELLS])
def test_each_bad_cell_alone(excel_env: Sandbox, name: str, value: object) -> None:
    out = excel.VERIFY_EMAIL([[value]], "all")  # one cell, as xlwings passes it with ndim=2
    assert len(out) == 1 and all(not isinstance(c, (list, dict)) for c in out[0])
    if not isinstance(value, str) or name.startswith("excel-"):  # other text is a fine name
        found = excel.FIND_EMAIL([[value]], "Lovelace", "acme-robotics.com")[0][0]
        assert found.startswith("#ERROR: ")  # an empty first name is missing, too
        enriched = excel.ENRICH_CONTACT("Ada", [[value]], "Acme Robotics", "all")[0]
        assert enriched[0].startswith("#ERROR: ") and set(enriched[1:]) == {""}
    _spent_nothing(excel_env)


def test_what_excel_passes(excel_env: Sandbox) -> None:
    out = excel.VERIFY_EMAIL(column(EXCEL_CELLS), "all", True)
    assert len(out) == len(EXCEL_CELLS) + 1
    assert [row[0] for row in out[1:4]] == ["", "", ""]
    assert out[4][:2] == ["invalid", "a number, not an email address"]
    assert out[8][:2] == ["invalid", "TRUE/FALSE, not an email address"]
    assert out[10][:2] == ["invalid", "a date, not an email address"]
    assert out[12][0] == "#ERROR: Excel error value #N/A"
    assert out[15][0] == "#ERROR: Excel error value #N/A"  # the COM error number
    assert {row[0] for row in out[16:]} == {"invalid"}
    _spent_nothing(excel_env)


def test_ten_thousand_cells(excel_env: Sandbox) -> None:
    grid = [[EXCEL_CELLS[i % len(EXCEL_CELLS)]] for i in range(10_000)]
    out = excel.VERIFY_EMAIL(grid)
    assert len(out) == 10_000
    assert excel.VERIFY_EMAIL([[None]] * 10_000) == [[""]] * 10_000  # a pre-sized range
    assert excel.CONTACT_ESTIMATE(grid) == 0
    _spent_nothing(excel_env)


def test_ragged_multi_column_range_keeps_its_shape(excel_env: Sandbox) -> None:
    grid = [["ada@", None, 42.0], ["#N/A"], [], [True, "x y", None, ""]]
    out = excel.VERIFY_EMAIL(grid)
    assert [len(row) for row in out] == [3, 1, 0, 4]
    assert out[0] == ["invalid", "", "invalid"]
    assert out[1] == ["#ERROR: Excel error value #N/A"]
    assert out[3] == ["invalid", "invalid", "", ""]
    wide = excel.VERIFY_EMAIL(grid, "all", True)
    assert len(wide[0]) == 4 * len(wide[1]) // 3  # a header per widest row's cells
    _spent_nothing(excel_env)


def test_find_and_enrich_bad_rows(excel_env: Sandbox) -> None:
    first = column(["Ada", None, 42.0, "#N/A", True, "Ada", None])
    last = column(["Lovelace", "Lovelace", "Lovelace", "Lovelace", "Lovelace", None, None])
    where = column([None, "acme-robotics.com", "acme-robotics.com", "acme", "acme", "acme", None])
    out = [row[0] for row in excel.FIND_EMAIL(first, last, where)]
    assert out == [
        "#ERROR: missing company or domain",
        "#ERROR: missing first name",
        "#ERROR: first name is a number, not text",
        "#ERROR: Excel error value #N/A",
        "#ERROR: first name is TRUE/FALSE, not text",
        "#ERROR: missing last name",
        "",
    ]
    status = excel.FIND_EMAIL(first, last, where, "status")
    assert [r[0] for r in status][:3] == [
        "invalid",
        "invalid",
        "#ERROR: first name is a number, not text",
    ]
    # enrichment needs no first name: row 2 would be a real (paid) question, so leave it out
    del first[1], last[1], where[1]
    enriched = [r[0] for r in excel.ENRICH_CONTACT(first, last, where, "phone")]
    assert enriched[-1] == "" and all(r.startswith("#ERROR: ") for r in enriched[:-1])
    _spent_nothing(excel_env)


def test_parallel_ranges_of_different_lengths(excel_env: Sandbox) -> None:
    out = excel.FIND_EMAIL(
        column(["Ada", "Bob", "Cy"]), column(["Lovelace"] * 2), column([None]), "all"
    )
    assert len(out) == 3 and out[2][0] == "#ERROR: ranges differ in length"
    assert {len(row) for row in out} == {len(out[0])}
    assert excel.ENRICH_CONTACT(column([]), column(["x"]), column(["y", "z"]))[0][0].startswith(
        "#ERROR: ranges differ"
    )
    _spent_nothing(excel_env)


def test_wrong_arguments_are_one_clear_cell(excel_env: Sandbox) -> None:
    assert excel.VERIFY_EMAIL("ada@acme.com", "colour") == [
        ['#ERROR: unknown field "colour"; use status, reason, catch_all, disposable, role, free, '
         "suggestion, provider, from_cache, checked_at or all"]
    ]  # fmt: skip
    assert excel.VERIFY_EMAIL("ada@acme.com", 3.0)[0][0].startswith("#ERROR: field must be text")
    assert excel.FIND_EMAIL("a", "b", "c", "nope")[0][0].startswith('#ERROR: unknown field "nope"')
    assert excel.CONTACT_ESTIMATE([["a", "b"]], "find")[0][0].startswith("#ERROR: give 3 columns")
    assert excel.CONTACT_CREDITS(42.0) == [["#ERROR: provider must be a name such as dropcontact"]]
    assert excel.CONTACT_CREDITS("nobody").startswith("#ERROR: unknown provider 'nobody'")
    _spent_nothing(excel_env)


def test_header_accepts_excel_flags(excel_env: Sandbox) -> None:
    assert excel.VERIFY_EMAIL([[None]], "status", 1.0) == [["status"], [""]]
    assert excel.VERIFY_EMAIL([[None]], "status", "TRUE") == [["status"], [""]]
    assert excel.VERIFY_EMAIL([[None]], "status", math.nan) == [[""]]


def test_wrong_key_is_one_message_without_the_key(
    excel_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "wrong-key-7f3a9c2e5d"
    monkeypatch.setenv("DROPCONTACT_API_KEY", wrong)
    out = excel.VERIFY_EMAIL(column(["ada@acme-robotics.com", "bob@acme-robotics.com", None]))
    message = "#ERROR: dropcontact: API key refused (check DROPCONTACT_API_KEY)"
    assert out == [[message], [message], [""]]
    assert excel.CONTACT_CREDITS() == [["dropcontact", message]]
    assert excel.VERIFY_EMAIL("zed@acme-robotics.com") == [[message]]
    assert_no_keys([out], excel_env, wrong)
    assert excel_env.credits_spent("dropcontact") == 0


def test_out_of_credits(excel_env: Sandbox) -> None:
    excel_env.set_balance("dropcontact", 0)
    out = excel.VERIFY_EMAIL(column(["ada@acme-robotics.com", "bob@acme-robotics.com"]))
    assert out == [["#ERROR: dropcontact: out of credits (or over quota)"]] * 2
    assert excel_env.credits_spent("dropcontact") == 0
    assert_no_keys([out], excel_env)


def test_over_budget_sends_nothing(excel_env: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTACT_UDFS_BUDGET", "2")
    out = excel.VERIFY_EMAIL(column([f"user{i}@acme-robotics.com" for i in range(5)]))
    assert out == [["#ERROR: over budget: needs 5 credits, budget 2; nothing was sent"]] * 5
    _spent_nothing(excel_env)


def test_no_key_at_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTACT_UDFS_PROVIDERS", "dropcontact")
    out = excel.VERIFY_EMAIL(column(["ada@acme.com", None]))
    assert out[0][0].startswith("#ERROR: provider 'dropcontact' has no API key") and out[1] == [""]
