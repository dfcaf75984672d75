"""The command line shows a Dropcontact role mailbox as risky, reason role."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from contact_udfs.faces.cli.main import main
from contact_udfs.sandbox import Sandbox


@pytest.fixture
def sb(sandbox_env: Sandbox) -> Sandbox:
    """The folder's simulator, the environment already pointing at it."""
    return sandbox_env


def test_generic_is_risky_role_on_the_command_line(sb: Sandbox, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    plain = [c["domain"] for c in sb.world.companies()
             if not (c["catch_all"] or c["greylisted"])][:4]
    emails = [f"info@{d}" for d in plain]
    src = tmp_path / "in.csv"
    src.write_text("email\n" + "".join(f"{e}\n" for e in emails))
    argv = ["--providers", "dropcontact", "verify", str(src), "--no-progress",
            "--format", "csv"]
    assert main(argv) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["email"], r["email_status"], r["email_reason"], r["email_role"])
            for r in rows] == [(e, "risky", "role", "True") for e in emails]
    assert sb.credits_spent("dropcontact") == 4
