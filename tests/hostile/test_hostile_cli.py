"""Hostile CSV rows through ``contact-udfs verify``: exit 0 with one answer per row, or
exit 2 with a one-line message; outputs never carry a live formula.

Offline (the ``local`` provider only), so nothing here can cost a credit.
"""

from __future__ import annotations

import csv
import io

import openpyxl
from hostile_inputs import FIXED, FIXED_FEW, counts_as_formula, csv_safe, hostile_text, xlsx_safe
from hypothesis import given
from hypothesis import strategies as st

from contact_udfs.faces.cli.files import neutralize, read_table
from contact_udfs.faces.cli.main import main

rows_strategy = st.lists(st.tuples(hostile_text, hostile_text), min_size=1, max_size=12)


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    """``contact-udfs ARGS`` in process: (exit code, stdout, stderr)."""
    code = main([*args, "--no-progress"])
    out, err = capsys.readouterr()
    return code, out, err


def assert_clean_exit(code: int, err: str) -> None:
    """0, or 2 with one line saying what is wrong; never a traceback."""
    assert code in (0, 2), err
    assert "Traceback" not in err
    if code == 2:
        assert len(err.strip().splitlines()) == 1 and err.startswith("contact-udfs: "), err


def write_csv(path, rows) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["email", "note"])
        writer.writerows([csv_safe(a), csv_safe(b)] for a, b in rows)


def test_hostile_csv_rows_to_csv_and_xlsx(offline_env, tmp_path, capsys):
    """Generated rows of injection text, confusables, control characters and huge
    strings: every readable file gets one output row per input row, with the input
    cells kept (neutralized) and no cell a spreadsheet would run as a formula."""
    src, out_csv, out_xlsx = tmp_path / "in.csv", tmp_path / "out.csv", tmp_path / "out.xlsx"
    codes: list[int] = []

    @FIXED
    @given(rows_strategy)
    def check(rows) -> None:
        write_csv(src, rows)
        code, _, err = run_cli(capsys, "verify", str(src), "-o", str(out_csv))
        assert_clean_exit(code, err)
        codes.append(code)
        if code:
            return
        table = read_table(src)
        with out_csv.open(newline="", encoding="utf-8") as fh:
            written = list(csv.reader(fh))
        assert len(written) == len(table.rows) + 1
        for row_in, row_out in zip(table.rows, written[1:], strict=True):
            width = len(table.header)
            assert row_out[:width] == [
                "" if v is None else neutralize(v) for v in (row_in + [None] * width)[:width]
            ]
            assert not any(counts_as_formula(v) for v in row_out), row_out
        # the same rows, without what no workbook can hold, to an .xlsx output
        write_csv(src, [(xlsx_safe(a), xlsx_safe(b)) for a, b in rows])
        code, _, err = run_cli(capsys, "verify", str(src), "-o", str(out_xlsx))
        assert_clean_exit(code, err)
        if code == 0:
            sheet = openpyxl.load_workbook(out_xlsx).worksheets[0]
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", cell.value
                    assert not counts_as_formula(cell.value), cell.value

    check()
    assert codes.count(0) >= 15, "most generated files are readable"


def test_hostile_cells_in_an_xlsx_input(offline_env, tmp_path, capsys):
    """An input workbook with hostile text, formulas, numbers, dates and booleans:
    exit 0, one row per input row, and no output cell is a formula."""
    src = tmp_path / "in.xlsx"

    @FIXED_FEW
    @given(st.lists(st.one_of(hostile_text, st.integers(), st.booleans()), min_size=1))
    def check(cells) -> None:
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(["email", "n"])
        for i, value in enumerate(cells):
            ws.append([xlsx_safe(value) if isinstance(value, str) else value, i])
        wb.save(src)
        for out in ("out.xlsx", "out.csv"):
            code, _, err = run_cli(capsys, "verify", str(src), "-o", str(tmp_path / out))
            assert code == 0, err
        sheet = openpyxl.load_workbook(tmp_path / "out.xlsx").worksheets[0]
        assert sheet.max_row == len(read_table(src).rows) + 1
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f" and not counts_as_formula(cell.value)
        text = (tmp_path / "out.csv").read_text(encoding="utf-8")
        assert not any(counts_as_formula(v) for row in csv.reader(io.StringIO(text)) for v in row)

    check()


def test_json_and_csv_printouts_neutralize_and_escape(offline_env, tmp_path, capsys):
    """``--format csv`` neutralizes formulas; ``--format json`` is one JSON object per
    row, whatever the cells hold."""
    import json

    src = tmp_path / "in.csv"

    @FIXED
    @given(rows_strategy)
    def check(rows) -> None:
        write_csv(src, rows)
        code, out, err = run_cli(capsys, "verify", str(src), "--format", "csv")
        assert_clean_exit(code, err)
        if code == 0:
            printed = list(csv.reader(io.StringIO(out)))
            assert not any(counts_as_formula(v) for row in printed for v in row)
        code, out, err = run_cli(capsys, "verify", str(src), "--format", "json")
        assert_clean_exit(code, err)
        if code == 0:
            lines = out.rstrip("\n").split("\n") if out else []  # JSON lines end at \n only
            assert len(lines) == len(read_table(src).rows)
            assert all(isinstance(json.loads(line), dict) for line in lines)

    check()
