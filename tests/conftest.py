"""Shared fixtures: isolated settings (no user config, no real keys) per test."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from contact_udfs.config import Settings, load_settings

#: environment variables that would leak a developer's real setup into the tests
_ENV_PREFIXES = ("CONTACT_UDFS_", "DROPCONTACT_", "FULLCONTACT_", "COLDLEAD_")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory):
    """No test sees the developer's keys, config file or cache."""
    import os

    for name in list(os.environ):
        if name.startswith(_ENV_PREFIXES):
            monkeypatch.delenv(name)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("CONTACT_UDFS_CONFIG", str(home / "config.toml"))
    (home / "config.toml").write_text("")
    monkeypatch.setenv("CONTACT_UDFS_CACHE", str(home / "cache" / "contacts.sqlite"))
    yield


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a private cache file and instant polling."""
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    base = load_settings(
        environ={"CONTACT_UDFS_CACHE": str(tmp_path / "cache.sqlite")}, config_file=empty
    )
    return base.with_(poll_interval=0.0, poll_timeout=5.0, claim_ttl=30.0)


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog
