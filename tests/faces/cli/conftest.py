"""Fixtures for the command-line tests that run against the simulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from contact_udfs.sandbox import Sandbox


@pytest.fixture
def sandbox_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A simulator, the environment pointing every provider at it, a private cache."""
    with Sandbox(seed=0, job_polls_before_ready=1, coldlead_rate=None) as sb:
        for name, value in sb.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("CONTACT_UDFS_CACHE", str(tmp_path / "c.sqlite"))
        monkeypatch.setenv("CONTACT_UDFS_POLL_INTERVAL", "0")
        yield sb
