"""A run into a file goes batch by batch: the same output as a whole-file run, one
engine call per batch, repeats across batches answered from the cache (counted)."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from contact_udfs.api import Client
from contact_udfs.faces.cli import files
from contact_udfs.faces.cli.main import main

VOLATILE = ("email_checked_at", "email_from_cache")


def _write_csv(path: Path, n: int) -> list[str]:
    emails = [f"person{i % 23}@example{i % 3}.com" for i in range(n)]
    emails[5] = "not an email"
    emails[9] = ""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "email"])
        w.writerows([i, e] for i, e in enumerate(emails))
    return emails


def _rows(path: Path) -> list[dict[str, str]]:
    if path.suffix == ".xlsx":
        wb = openpyxl.load_workbook(path, read_only=True)
        it = wb.worksheets[0].iter_rows(values_only=True)
        header = list(next(it))
        got = [dict(zip(header, ("" if v is None else str(v) for v in r))) for r in it]
        wb.close()
    else:
        with path.open(newline="", encoding="utf-8") as fh:
            got = list(csv.DictReader(fh))
    return [{k: v for k, v in r.items() if k not in VOLATILE} for r in got]


def engine_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of items of each engine call the command makes, from now on."""
    calls: list[int] = []
    real = Client.run

    def counting(self: Client, operation: object, items: list[object], **kw: object) -> object:
        calls.append(len(list(items)))
        return real(self, operation, items, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(Client, "run", counting)
    return calls


@pytest.fixture
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "config.toml"
    config.write_text("[local]\ncheck_dns = false\n")
    monkeypatch.setenv("CONTACT_UDFS_CONFIG", str(config))
    monkeypatch.setenv("CONTACT_UDFS_PROVIDERS", "local")
    return tmp_path


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_batches_write_what_a_whole_run_writes(offline: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str],
                                               suffix: str) -> None:  # fmt: skip
    source = offline / "in.csv"
    _write_csv(source, 100)
    whole = offline / f"whole{suffix}"
    assert main(["verify", str(source), "-o", str(whole), "--budget", "1000", "--no-progress"]) == 0
    capsys.readouterr()

    calls = engine_calls(monkeypatch)
    monkeypatch.setattr(files, "BATCH_ROWS", 30)
    batched = offline / f"batched{suffix}"
    assert main(["verify", str(source), "-o", str(batched), "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert calls == [30, 30, 30, 10]  # one engine call per batch, never the whole file
    assert _rows(batched) == _rows(whole)
    assert "100 rows" in err and "credits spent: none" in err
    assert not list(offline.glob(".*.part"))  # the temporary file took its name


def test_files_without_rows_end_as_a_whole_run_ends(offline: Path) -> None:
    headers_only = offline / "headers.csv"
    headers_only.write_text("id,email\n")
    out = offline / "out.csv"
    assert main(["verify", str(headers_only), "-o", str(out), "--no-progress"]) == 0
    assert out.read_text(encoding="utf-8").splitlines()[0].startswith("id,email,email_status")
    no_email = offline / "names.csv"
    no_email.write_text("id,name\n")
    refused = offline / "refused.csv"
    assert main(["verify", str(no_email), "-o", str(refused), "--no-progress"]) == 2
    assert not refused.exists() and not list(offline.glob(".*.part"))


def test_a_configured_budget_reads_the_file_whole(
    offline: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One budget needs the whole file's estimate up front: no batches then."""
    source = offline / "in.csv"
    _write_csv(source, 100)
    calls = engine_calls(monkeypatch)
    monkeypatch.setattr(files, "BATCH_ROWS", 30)
    monkeypatch.setenv("CONTACT_UDFS_BUDGET", "1000")
    out = offline / "out.csv"
    assert main(["verify", str(source), "-o", str(out), "--no-progress"]) == 0
    assert calls == [100] and len(_rows(out)) == 100
