"""FullContact's corrected typos and spamtraps, as ``contact-udfs verify`` prints them."""

from __future__ import annotations

from pathlib import Path

import pytest

from contact_udfs.faces.cli.main import main
from contact_udfs.sandbox import Sandbox


def test_a_corrected_typo_and_a_spamtrap_on_the_command_line(
    sandbox_env: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox_env
    sb.set_readings(spamtraps=True)
    typo, trap = sb.world.typo_emails(1)[0], sb.world.spamtraps(1)[0]
    src = tmp_path / "in.csv"
    src.write_text(f"email\n{typo}\n{trap}\n")
    assert main(["--providers", "fullcontact", "verify", str(src), "--no-progress"]) == 0
    out, _ = capsys.readouterr()
    lines = {line.split()[1]: line.split()[1:] for line in out.splitlines()[1:]}
    assert lines[typo][1:4] == ["risky", "corrected", typo.removesuffix(".ocm") + ".com"]
    assert lines[trap][1:3] == ["risky", "spamtrap"]
    assert sb.credits_spent("fullcontact") == 2
