"""One simulator for the integration tests; clients wired to it through settings only."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from contact_udfs import Client
from contact_udfs.config import load_settings
from contact_udfs.sandbox import Sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=0, job_polls_before_ready=1, coldlead_rate=None) as sb:
        yield sb


@pytest.fixture(autouse=True)
def fresh(sandbox: Sandbox) -> Iterator[Sandbox]:
    sandbox.clear_faults()
    sandbox.set_job_polls_before_ready(1)
    for provider in ("dropcontact", "fullcontact", "coldlead"):
        sandbox.set_rate(provider, None)
        sandbox.set_balance(provider, 100_000)
    sandbox.reset_counters()
    yield sandbox
    sandbox.clear_faults()


@pytest.fixture
def sandbox_env(sandbox: Sandbox, tmp_path: Path) -> dict[str, str]:
    """What a user would export to point the package at the simulator."""
    return {
        **sandbox.env(),
        "CONTACT_UDFS_CACHE": str(tmp_path / "cache.sqlite"),
        "CONTACT_UDFS_POLL_INTERVAL": "0",
        "COLDLEAD_RATE_LIMIT": "1000/1",
        "DROPCONTACT_RATE_LIMIT": "1000/1",
        "FULLCONTACT_RATE_LIMIT": "1000/1",
    }


@pytest.fixture
def client_for(sandbox_env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., Client]]:
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    made: list[Client] = []

    def build(providers: str, **env: str) -> Client:
        settings = load_settings(environ={**sandbox_env, **env}, config_file=empty)
        client = Client(providers=providers, settings=settings)
        made.append(client)
        return client

    yield build
    for client in made:
        client.close()
