"""Fixtures for the pandas accessor, the panel and the notebooks.

Two ways to point the package somewhere: ``local_client`` (the offline
provider, a private cache) for fast tests, and ``sandbox_env`` (the simulator
of the paid vendors, configured through the environment exactly as a user
would) for the credit-counting tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from contact_udfs import Client
from contact_udfs.sandbox import Sandbox

#: plenty of credits: the tests count what is spent, they do not test quotas here
BALANCES = {"dropcontact": 10**6, "fullcontact": 10**6, "coldlead": 10**6}


@pytest.fixture
def local_client(tmp_path: Path) -> Iterator[Client]:
    """The keyless offline provider with a private cache."""
    with Client(providers=["local"], cache=tmp_path / "local.sqlite") as client:
        yield client


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=0, job_polls_before_ready=1, balances=BALANCES) as sb:
        yield sb


@pytest.fixture
def sandbox_env(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """Every provider pointed at the sandbox; waterfall dropcontact, coldlead, local."""
    config = tmp_path / "config.toml"
    config.write_text("")
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CONTACT_UDFS_PROVIDERS", "dropcontact,coldlead,local")
    monkeypatch.setenv("CONTACT_UDFS_CACHE", str(tmp_path / "c.sqlite"))
    monkeypatch.setenv("CONTACT_UDFS_CONFIG", str(config))
    monkeypatch.setenv("CONTACT_UDFS_POLL_INTERVAL", "0")
    monkeypatch.setenv("CONTACT_UDFS_POLL_TIMEOUT", "30")
    for provider in ("DROPCONTACT", "FULLCONTACT", "COLDLEAD"):
        monkeypatch.setenv(f"{provider}_RATE_LIMIT", "1000/1")
    return sandbox
