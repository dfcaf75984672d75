"""Keys never show; provider errors reach the user as one clear message and exit code."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from contact_udfs import AuthenticationError, QuotaExceededError
from contact_udfs.faces.cli.main import main


def files_under(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()]


def test_keys_never_stored_or_logged(sandbox, client_for, sandbox_env, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    keys = list(sandbox.keys.values())
    emails = sandbox.world.sample_emails(40, seed=5)
    sandbox.inject("fullcontact.submit", "500")
    sandbox.inject("fullcontact.single", "lost_response")
    errors = []
    for provider in ("dropcontact", "fullcontact", "coldlead"):
        client = client_for(provider)
        client.verify_emails(emails)
        client.verify_emails(emails[:1] + ["fresh-one@acme-robotics.com"])
        client.credits()
        errors.append(repr(client))
    sandbox.set_balance("coldlead", 0)
    with pytest.raises(QuotaExceededError) as quota:
        client_for("coldlead").verify_emails(["another@acme-robotics.com"])
    errors += [str(quota.value), repr(quota.value)]
    for provider in ("dropcontact", "fullcontact", "coldlead"):
        wrong = client_for(provider, **{f"{provider.upper()}_API_KEY": "wrong-" + keys[0]})
        with pytest.raises(AuthenticationError) as auth:
            wrong.verify_emails(["someone-new@acme-robotics.com", "x2@acme-robotics.com"])
        errors += [str(auth.value), repr(auth.value)]
        assert provider in str(auth.value) and "API key" in str(auth.value)
    blobs = [p.read_bytes() for p in files_under(tmp_path)]
    assert blobs, "the cache files exist"
    for key in keys:
        assert key not in caplog.text
        assert all(key not in e for e in errors)
        assert all(key.encode() not in b for b in blobs), key
    cache = Path(sandbox_env["CONTACT_UDFS_CACHE"])
    assert cache.stat().st_mode & 0o777 == 0o600


def test_cli_exit_codes_for_provider_problems(sandbox, sandbox_env, tmp_path, monkeypatch, capsys):
    src = tmp_path / "in.csv"
    src.write_text("email\n" + "\n".join(sandbox.world.sample_emails(30, seed=9)) + "\n")
    for name, value in sandbox_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CONTACT_UDFS_PROVIDERS", "dropcontact")
    assert main(["verify", str(src), "--budget", "5", "--no-progress"]) == 3
    assert "above the budget of 5" in capsys.readouterr().err
    assert sandbox.requests("*") == 0

    monkeypatch.setenv("DROPCONTACT_API_KEY", "not-the-key")
    assert main(["verify", str(src), "--no-progress"]) == 4
    err = capsys.readouterr().err
    assert "dropcontact (HTTP 401)" in err and "not-the-key" not in err

    monkeypatch.setenv("DROPCONTACT_API_KEY", sandbox.keys["dropcontact"])
    sandbox.set_balance("dropcontact", 3)
    assert main(["verify", str(src), "--no-progress"]) == 4
    assert "out of credits" in capsys.readouterr().err
    assert sandbox.credits_spent("dropcontact") == 0

    sandbox.set_balance("dropcontact", 1000)
    assert main(["verify", str(src), "--no-progress"]) == 0
    assert main(["credits"]) == 0
    assert "dropcontact: 970" in capsys.readouterr().out
