"""Whole files that are wrong: odd encodings, random bytes, broken quoting, empty and
header-only files, a huge cell, a 100,000-row sheet, broken workbooks.

Each run ends with exit 0 (one answer per row) or exit 2 and a one-line message;
never a traceback, and offline (the ``local`` provider) so never a credit.
"""

from __future__ import annotations

import csv
import random
import subprocess
import sys
import time

import openpyxl
import pytest
from hostile_inputs import CURATED_TEXT, counts_as_formula, csv_safe

from contact_udfs.faces.cli.main import main
from contact_udfs.identity import normalize_email

HEADER_ONLY = b"email\n"
FILES: dict[str, tuple[bytes, int]] = {
    # name: (content, expected exit code)
    "empty.csv": (b"", 2),
    "blank_lines.csv": (b"\n\n\r\n  \n", 2),
    "header_only.csv": (HEADER_ONLY, 0),
    "header_without_email.csv": (b"name,company\n", 2),
    "utf16.csv": ("email\nada@example.com\n".encode("utf-16"), 0),
    "utf16le_no_bom.csv": ("email\nada@example.com\n".encode("utf-16-le"), 2),
    "cp1252.csv": ("email,name\ncaf\u00e9@exemple.fr,Zo\u00eb\n".encode("cp1252"), 0),
    "latin1_control.csv": (b"email\n\x81\x8d\x8f\x90\x9d@example.com\n", 0),
    "utf8_bom.csv": ("\ufeffemail\nada@example.com\n".encode(), 0),
    "nul_early.csv": (b"email\na\x00b@example.com\n", 2),
    "nul_late.csv": (b"email\n" + b"a@example.com\n" * 400 + b"b\x00c@example.com\n", 0),
    "unclosed_quote.csv": (b'email\n"a@example.com\nb@example.com\n', 0),
    "stray_quotes.csv": (b'email\na"b@example.com\n"x"y"@example.com,\n"""\n', 0),
    "ragged_rows.csv": (b"email,a\nx@example.com\ny@example.com,1,2,3,4\n", 0),
    "cr_only.csv": (b"email\ra@example.com\rb@example.com\r", 0),
    "semicolons.csv": (b"email;name\na@example.com;=1+1\n", 0),
    "huge_cell.csv": (b"email\n" + b"a" * 200_000 + b"@example.com\n", 0),
    "field_over_limit.csv": (b"email\n" + b"a" * (2 << 20) + b"@example.com\n", 2),
    "random_bytes.csv": (random.Random(1).randbytes(5000), 2),
    "not_a_zip.xlsx": (b"PK\x03\x04 this is not a workbook", 2),
    "text_as.xlsx": (b"email\nada@example.com\n", 2),
    "old_format.xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, 2),
}


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main([*args, "--no-progress"])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("name", sorted(FILES))
def test_broken_file_gets_a_clear_answer(offline_env, tmp_path, capsys, name):
    """Each broken file: the documented exit code; exit 2 says why in one line."""
    content, expected = FILES[name]
    path = tmp_path / name
    path.write_bytes(content)
    out_path = tmp_path / "out.csv"
    code, _, err = run_cli(capsys, "verify", str(path), "-o", str(out_path))
    assert code == expected, err
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("contact-udfs: "), err
        assert not out_path.exists()
    else:
        assert out_path.exists()
        with out_path.open(newline="", encoding="utf-8") as fh:
            cells = [v for row in csv.reader(fh) for v in row]
        assert not any(counts_as_formula(v) for v in cells)
    if name == "cp1252.csv":
        assert "caf\u00e9@exemple.fr" in out_path.read_text(encoding="utf-8")


def test_random_bytes_never_crash(offline_env, tmp_path, capsys):
    """40 seeded random files, with and without NUL bytes: exit 0 or 2, never a crash."""
    for seed in range(40):
        rng = random.Random(seed)
        low = 1 if seed % 2 else 0  # odd seeds: no NUL byte, so the file is parsed as text
        data = bytes(rng.randrange(low, 256) for _ in range(rng.randrange(1, 3000)))
        path = tmp_path / f"r{seed}.csv"
        path.write_bytes(data)
        code, _, err = run_cli(capsys, "verify", str(path), "--column", "column_1")
        assert code in (0, 2) and "Traceback" not in err, (seed, err)


def test_empty_and_header_only_workbooks(offline_env, tmp_path, capsys):
    """An empty first sheet is exit 2 with its reason; a header-only sheet is exit 0."""
    empty, header = tmp_path / "empty.xlsx", tmp_path / "header.xlsx"
    openpyxl.Workbook().save(empty)
    wb = openpyxl.Workbook()
    wb.active.append(["email"])
    wb.save(header)
    code, _, err = run_cli(capsys, "verify", str(empty))
    assert code == 2 and "empty" in err and len(err.strip().splitlines()) == 1
    code, _, err = run_cli(capsys, "verify", str(header), "-o", str(tmp_path / "o.xlsx"))
    assert code == 0, err
    assert openpyxl.load_workbook(tmp_path / "o.xlsx").worksheets[0].max_row == 1


def test_100k_rows_offline(offline_env, tmp_path, capsys):
    """100,000 rows (addresses, duplicates, injection text, bad cells) verified offline:
    100,000 answers written, formulas neutralized, in bounded time."""
    rng = random.Random(5)
    pool = [f"user{i}@example{i % 97}.com" for i in range(3000)]
    bad = ["=1+1", "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "#N/A", "no-at-sign", ""]
    rows = [rng.choice(pool) if rng.random() < 0.8 else rng.choice(bad) for _ in range(100_000)]
    src, out = tmp_path / "big.csv", tmp_path / "big_out.csv"
    with src.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["email", "row"])
        writer.writerows([email, i] for i, email in enumerate(rows))
    started = time.monotonic()
    code, _, err = run_cli(capsys, "verify", str(src), "-o", str(out))
    elapsed = time.monotonic() - started
    assert code == 0, err
    assert "100000 rows" in err
    with out.open(newline="", encoding="utf-8") as fh:
        written = list(csv.reader(fh))
    assert len(written) == 100_001
    assert [r[1] for r in written[1:]] == [str(i) for i in range(100_000)]
    assert not any(counts_as_formula(v) for r in written for v in r)
    assert elapsed < 60, f"{elapsed:.1f} s"


@pytest.mark.parametrize("name", ["random_bytes.csv", "field_over_limit.csv"])
def test_real_process_prints_no_traceback(offline_env, tmp_path, name):
    """The installed command on a broken file: exit 2, one line on stderr, no traceback."""
    path = tmp_path / name
    path.write_bytes(FILES[name][0])
    proc = subprocess.run(
        [sys.executable, "-m", "contact_udfs", "verify", str(path), "--no-progress"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("provider", ["dropcontact", "fullcontact", "coldlead"])
def test_hostile_file_costs_nothing_with_a_paid_provider(sandbox_env, tmp_path, capsys, provider):
    """A file of nothing but rejected cells, run against a paid provider: exit 0, an
    ``invalid`` answer per row, and not one request at the simulator."""
    cells = [csv_safe(v) for v in CURATED_TEXT if "\x00" not in v]  # NUL: a binary file
    bad = [v for v in cells if normalize_email(v).key is None]
    src = tmp_path / "bad.csv"
    with src.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["email"], *([v] for v in bad)])
    code, _, err = run_cli(
        capsys, "--providers", provider, "verify", str(src), "-o", str(tmp_path / "out.csv")
    )
    assert code == 0, err
    assert "credits spent: none" in err
    assert sandbox_env.requests("*") == 0
