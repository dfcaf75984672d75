"""The compact summary the command line prints after a run, against the simulator:
its numbers are the credits and requests the simulator counted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from contact_udfs.faces.cli.main import main
from contact_udfs.sandbox import Sandbox
from contact_udfs.sandbox.world import get_world


def summary_of(err: str) -> dict[str, str]:
    """The three summary lines of stderr, by their label."""
    return dict(
        line.split(": ", 1) for line in err.splitlines()
        if line.startswith(("statuses: ", "answers: ", "credits: "))
    )  # fmt: skip


def test_the_summary_is_what_the_sandbox_counted(
    sandbox_env: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    sb = sandbox_env
    emails = get_world(0).sample_emails(120, seed=3)
    src = tmp_path / "in.csv"
    rows = emails + emails[:5] + ["", "nope"]
    src.write_text("email,n\n" + "".join(f"{e},{n}\n" for n, e in enumerate(rows)))
    argv = ["--providers", "fullcontact,coldlead", "verify", str(src), "--no-progress"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    first = summary_of(err)
    spent = sb.credits_spent()
    assert spent["coldlead"] > 0
    total = spent["fullcontact"] + spent["coldlead"]
    assert first["credits"] == (
        f"{total} spent (fullcontact {spent['fullcontact']}, coldlead {spent['coldlead']}), "
        "0 saved by the cache"
    )
    asked = dict(re.findall(r"(\w+) \d+ \(\d+ from cache, (\d+) asked\)", first["answers"]))
    assert asked == {"fullcontact": str(sum(sb.charges("fullcontact").values())),
                     "coldlead": str(sb.requests("coldlead.verify"))}  # fmt: skip
    assert "validation 2" in first["answers"]
    header, *lines = out.splitlines()
    at = header.index("status")
    shown = [line[at:].split()[0] for line in lines]  # the status column
    counts = dict((s, int(n)) for n, s in re.findall(r"(\d+) (\w+)", first["statuses"]))
    assert counts == {s: shown.count(s) for s in counts} and sum(counts.values()) == 127

    sb.reset_counters()
    assert main(argv) == 0
    again = summary_of(capsys.readouterr().err)
    assert sb.requests("*") == 0
    assert again["credits"] == (
        f"0 spent, {total} saved by the cache "
        f"(fullcontact {spent['fullcontact']}, coldlead {spent['coldlead']})"
    )
    assert again["statuses"] == first["statuses"]
