"""The command line on the bundled example, offline (the local provider)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import openpyxl
import pytest

from contact_udfs.faces.cli.main import main

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "contacts.csv"


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_example_has_the_mess_it_promises():
    rows = rows_of(EXAMPLE)
    emails = [r["email"] for r in rows]
    assert 150 <= len(rows) <= 250
    lowered = [e.strip().lower() for e in emails if e.strip()]
    assert len(lowered) - len(set(lowered)) >= 20, "duplicates in other case/spacing"
    assert any("gmial.com" in e for e in emails) and any(e == "" for e in emails)
    assert any(e.startswith("#") for e in emails) and any("xn--" in e.lower() for e in emails)
    assert any(not r["first_name"].isascii() for r in rows)


def test_verify_example_twice(capsys):
    assert main(["verify", str(EXAMPLE), "--no-progress"]) == 0
    out, err = capsys.readouterr()
    lines = out.strip().splitlines()
    assert len(lines) == 1 + len(rows_of(EXAMPLE)), "one verdict line per row"
    assert "possible_typo" in out and "invalid" in out
    assert "credits spent: none" in err and " 0 from cache" in err
    assert main(["verify", str(EXAMPLE), "--no-progress"]) == 0
    _, err2 = capsys.readouterr()
    distinct = int(err2.split(" distinct")[0].split()[-1])
    assert f"{distinct} from cache" in err2, err2


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_output_files_neutralize_formulas(tmp_path, suffix):
    src = tmp_path / "in.csv"
    src.write_text('name,email\n=cmd,ada@gmial.com\n"+1",=HYPERLINK("x")\n@evil,-2@x.com\n')
    out = tmp_path / f"out{suffix}"
    assert main(["verify", str(src), "-o", str(out), "--no-progress"]) == 0
    if suffix == ".csv":
        table = list(csv.reader(out.open(encoding="utf-8")))
    else:
        ws = openpyxl.load_workbook(out).active
        table = [
            [c if c is not None else "" for c in row] for row in ws.iter_rows(values_only=True)
        ]
    header, *body = table
    assert header[:2] == ["name", "email"] and "email_status" in header
    assert body[0][0] == "'=cmd" and body[1][0] == "'+1" and body[2][0] == "'@evil"
    assert body[1][1] == '\'=HYPERLINK("x")' and body[2][1] == "'-2@x.com"
    status = header.index("email_status")
    assert [r[status] for r in body] == ["risky", "invalid", "unknown"]


def test_bad_files_exit_2(tmp_path, capsys):
    assert main(["verify", str(tmp_path / "missing.csv")]) == 2
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\x00\x01\x02garbage")
    assert main(["verify", str(binary)]) == 2
    broken = tmp_path / "broken.xlsx"
    broken.write_text("not a zip")
    assert main(["verify", str(broken)]) == 2
    nocol = tmp_path / "nocol.csv"
    nocol.write_text("a,b\n1,2\n")
    assert main(["verify", str(nocol)]) == 2
    assert main(["verify", str(EXAMPLE), "--column", "nope"]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "no email column" in err and "no column 'nope'" in err


def test_latin1_semicolon_csv(tmp_path, capsys):
    src = tmp_path / "fr.csv"
    src.write_bytes("prénom;courriel\nAnaïs;anais@gmial.com\n".encode("cp1252"))
    assert main(["verify", str(src), "--no-progress", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert "Anaïs" in out and "possible_typo" in out


def test_cache_commands(tmp_path, capsys):
    assert main(["verify", str(EXAMPLE), "--no-progress"]) == 0
    assert main(["cache", "stats"]) == 0
    out = capsys.readouterr().out
    assert '"answers"' in out
    assert main(["cache", "forget", "Hugo.Bernard@gmial.com"]) == 0
    assert "forgot 1" in capsys.readouterr().out
    assert main(["cache", "clear"]) == 2  # no --yes and no terminal
    assert main(["cache", "clear", "--yes"]) == 0
    cache = Path(os.environ["CONTACT_UDFS_CACHE"])
    assert cache.stat().st_mode & 0o777 == 0o600


def test_estimate_and_find(tmp_path, capsys):
    assert main(["estimate", str(EXAMPLE)]) == 0
    assert '"total_credits": 0' in capsys.readouterr().out
    src = tmp_path / "people.csv"
    src.write_text("Prénom,Nom,Site\nAda,Lovelace,https://www.acme-robotics.com/about\n")
    assert (
        main(
            [
                "find",
                str(src),
                "--no-progress",
                "--format",
                "json",
                "--first-name",
                "Prénom",
                "--last-name",
                "Nom",
                "--website",
                "Site",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "ada.lovelace@acme-robotics.com" in out


def test_sandbox_options_reach_the_simulator(capsys):
    with pytest.raises(SystemExit) as done:
        main(["sandbox", "--help"])
    assert done.value.code == 0
    assert "--port" in capsys.readouterr().out
    with pytest.raises(SystemExit) as bad:
        main(["verify", str(EXAMPLE), "--bogus"])
    assert bad.value.code == 2
