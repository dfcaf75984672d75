"""What the CLI shows and writes must survive hostile input files: an .xlsx output
cannot hold control characters, a terminal would run them, a message must stay on one
line, and a header cell can carry a formula as well as any other cell.
"""

from __future__ import annotations

import csv
import io
import re

import openpyxl
from hostile_inputs import counts_as_formula

from contact_udfs.faces.cli.main import main

#: C0/C1 controls (but the line feed ending each printed line) and bidi overrides
UNPRINTABLE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
HOSTILE_ROWS = 'email,note\n"x\x01y@example.com","\x1b]0;owned\x07"\n"\x1b[2J@example.com",=1+1\n'


def test_xlsx_output_with_control_characters(offline_env, tmp_path, capsys):
    """A CSV cell holding a control character still gives exit 0 and an .xlsx output
    with one row per input row and no formula cell."""
    src, out = tmp_path / "in.csv", tmp_path / "out.xlsx"
    src.write_text(HOSTILE_ROWS, encoding="utf-8")
    assert main(["verify", str(src), "--no-progress", "-o", str(out)]) == 0
    rows = list(openpyxl.load_workbook(out).worksheets[0].iter_rows())
    assert len(rows) == 3
    assert not [c.value for row in rows for c in row if c.data_type == "f"]
    assert not [c.value for row in rows for c in row if counts_as_formula(c.value)]


def test_terminal_output_has_no_control_characters(offline_env, tmp_path, capsys):
    """Escape sequences in a file never reach the terminal raw: not in the results
    table, not in an error message, and an error message stays on one line."""
    src = tmp_path / "in.csv"
    src.write_text(HOSTILE_ROWS, encoding="utf-8")
    assert main(["verify", str(src), "--no-progress"]) == 0
    out, err = capsys.readouterr()
    assert not UNPRINTABLE.search(out) and not UNPRINTABLE.search(err)

    header = tmp_path / "header.csv"
    header.write_text('"col\nwith \x1b[31mnewline",other\nfoo,bar\n', encoding="utf-8")
    assert main(["verify", str(header), "--no-progress"]) == 2
    _, err = capsys.readouterr()
    assert len(err.strip().splitlines()) == 1, err
    assert not UNPRINTABLE.search(err)


def test_csv_printout_neutralizes_the_header(offline_env, tmp_path, capsys):
    """A header cell is a cell too: ``--format csv`` prints no live formula anywhere."""
    src = tmp_path / "in.csv"
    src.write_text('email,"=HYPERLINK(""http://evil.example"",""x"")"\na@example.com,1\n')
    assert main(["verify", str(src), "--no-progress", "--format", "csv"]) == 0
    printed = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert not [v for row in printed for v in row if counts_as_formula(v)]
