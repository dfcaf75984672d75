"""What the documentation examples run against: the simulator, a private cache, sample files.

Each documentation file gets a fresh :class:`~contact_udfs.sandbox.Sandbox` (so
provider examples give real answers and spend only simulated credits), the
environment a user would set to point the package at it, an empty config file,
a private cache and instant job polling. The examples run in a temporary
working directory holding the files they name: ``examples/contacts.csv`` (and a
copy as ``contacts.csv``), ``people.csv``/``people.xlsx`` (French headers) and
``leads.csv`` (English and French headers).
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from contact_udfs.sandbox import Sandbox, get_world

ROOT = Path(__file__).resolve().parents[2]

#: plenty of simulated credits: the examples show spending, not running out
BALANCES = {"dropcontact": 100_000, "fullcontact": 100_000, "coldlead": 100_000}


def _people(n: int) -> list[dict[str, str]]:
    """The first people of the simulator's world (Ada Lovelace at acme-robotics.com first)."""
    return get_world(0).people()[:n]


def write_samples(folder: Path) -> None:
    """The input files the documentation's examples name."""
    shutil.copytree(ROOT / "examples", folder / "examples")
    shutil.copyfile(ROOT / "examples" / "contacts.csv", folder / "contacts.csv")
    people = _people(12)
    french = [["Prénom", "Nom", "Société"]]
    french += [[p["first_name"], p["last_name"], p["company"]] for p in people]
    with (folder / "people.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(french)
    import openpyxl

    book = openpyxl.Workbook()
    for row in french:
        book.active.append(row)
    book.save(folder / "people.xlsx")
    leads = [["First Name", "Last Name", "Company", "Email", "Prénom", "Nom", "Société",
              "Site web"]]  # fmt: skip
    leads += [
        [p["first_name"], p["last_name"], p["company"], p["email"], p["first_name"],
         p["last_name"], p["company"], f"www.{p['domain']}"]
        for p in people
    ]  # fmt: skip
    with (folder / "leads.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(leads)


@pytest.fixture
def docs_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A fresh simulator, the variables pointing at it, and a working folder of samples."""
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    write_samples(work)
    config = home / "config.toml"
    config.write_text("")
    with Sandbox(seed=0, balances=BALANCES) as sandbox:
        for name, value in sandbox.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("CONTACT_UDFS_CACHE", str(home / "cache" / "contacts.sqlite"))
        monkeypatch.setenv("CONTACT_UDFS_CONFIG", str(config))
        monkeypatch.setenv("CONTACT_UDFS_POLL_INTERVAL", "0")
        monkeypatch.chdir(work)
        try:
            yield sandbox
        finally:
            _settle()


def _settle() -> None:
    """Let background work of the Excel formulas finish and close the shared client."""
    from contact_udfs import default_client
    from contact_udfs.faces.excel.batching import wait_for_background

    wait_for_background(timeout=30)
    default_client().close()
