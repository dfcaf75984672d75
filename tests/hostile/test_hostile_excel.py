"""Hostile cells through the Excel formulas (called as Python functions, the way
xlwings calls them): the answer has the shape of the input, every cell holds a short
answer or ``#ERROR: ...``, nothing is raised, and nothing rejected is paid for."""

from __future__ import annotations

from hostile_inputs import CURATED, FIXED, FIXED_FEW, hostile_text, hostile_value
from hypothesis import given
from hypothesis import strategies as st

from contact_udfs.faces.excel import udfs as excel
from contact_udfs.identity import normalize_email

grids = st.lists(st.lists(hostile_value, min_size=1, max_size=3), min_size=1, max_size=8)
STATUSES = {"deliverable", "risky", "undeliverable", "unknown", "invalid", ""}


def same_shape(grid: list[list], out: list[list], width: int = 1) -> None:
    assert isinstance(out, list) and len(out) == len(grid), out
    for row_in, row_out in zip(grid, out, strict=True):
        assert len(row_out) == len(row_in) * width
        assert all(isinstance(c, (str, int, float, bool)) for c in row_out), row_out


def test_verify_email_keeps_shape_and_never_raises(offline_env):
    """Generated grids of hostile cells: one status per cell (or an #ERROR text)."""
    seen: list = []

    @FIXED
    @given(grids)
    def check(grid: list[list]) -> None:
        seen.extend(c for row in grid for c in row)
        out = excel.VERIFY_EMAIL(grid)
        same_shape(grid, out)
        for cell in (c for row in out for c in row):
            # (an input cell showing another formula's #ERROR or PENDING flows through)
            assert cell in STATUSES or str(cell).startswith(("#ERROR: ", "PENDING (")), cell
        reasons = excel.VERIFY_EMAIL(grid, "reason")
        same_shape(grid, reasons)
        width = len(excel.VERIFY_EMAIL([["a@example.com"]], "all")[0])
        same_shape(grid, excel.VERIFY_EMAIL(grid, "all"), width)

    check()
    column = [[v] for v in CURATED]
    same_shape(column, excel.VERIFY_EMAIL(column))
    assert len(seen) + len(CURATED) >= 200


def test_verify_email_sends_nothing_rejected(sandbox_env, monkeypatch):
    """Against Dropcontact: the simulator bills only addresses that passed local checks,
    and a grid of rejected cells makes no HTTP call at all."""
    sb = sandbox_env
    monkeypatch.setenv("CONTACT_UDFS_PROVIDERS", "dropcontact")
    monkeypatch.setenv("CONTACT_UDFS_EXCEL_WAIT", "30")
    sent: set[str] = set()

    @FIXED_FEW
    @given(grids)
    def check(grid: list[list]) -> None:
        out = excel.VERIFY_EMAIL(grid)
        same_shape(grid, out)
        sent.update(k for k in (normalize_email(c).key for row in grid for c in row) if k)
        assert sb.credits_spent("dropcontact") == len(sent)

    check()
    assert sent, "some generated cells were valid addresses, and were billed once"
    bad = [[v] for v in CURATED if normalize_email(v).key is None]
    before = sb.requests("*")
    out = excel.VERIFY_EMAIL(bad)
    same_shape(bad, out)
    assert sb.requests("*") == before
    assert excel.CONTACT_ESTIMATE(bad) == 0


def test_find_email_with_hostile_names(offline_env):
    """FIND_EMAIL over hostile first/last/company cells: one answer cell per row."""

    @FIXED_FEW
    @given(st.lists(st.tuples(hostile_text, hostile_text, hostile_value), min_size=1, max_size=6))
    def check(rows: list[tuple]) -> None:
        firsts, lasts, wheres = ([[r[i]] for r in rows] for i in range(3))
        out = excel.FIND_EMAIL(firsts, lasts, wheres)
        assert isinstance(out, list) and len(out) == len(rows), out
        assert all(len(row) == 1 and isinstance(row[0], (str, float, int)) for row in out)
        estimate = excel.CONTACT_ESTIMATE([list(r) for r in rows], "find")
        assert isinstance(estimate, (int, float)) or str(estimate).startswith("#ERROR: ")

    check()
