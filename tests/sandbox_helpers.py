"""How the test folders start from a clean simulator and wire clients to it.

Every folder that shares one simulator across its tests resets it the same way, and
every client is built the way a user would build it: from exported settings only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from contact_udfs import Client
from contact_udfs.config import load_settings
from contact_udfs.sandbox import Sandbox

PROVIDERS = ("dropcontact", "fullcontact", "coldlead")


def reset(sandbox: Sandbox, balance: int = 100_000, *, limits: bool = False) -> Sandbox:
    """Zero counters, no faults, the default knobs and readings, ``balance`` credits each.

    The vendors' rate windows are lifted unless ``limits`` keeps the ones in force.
    """
    sandbox.clear_faults()
    sandbox.set_job_polls_before_ready(1)
    sandbox.set_job_delay(0)
    sandbox.reset_readings()
    for provider in PROVIDERS:
        if not limits:
            sandbox.set_rate(provider, None)
        sandbox.set_balance(provider, balance)
    sandbox.reset_counters()
    return sandbox


def user_env(sandbox: Sandbox, tmp_path: Path) -> dict[str, str]:
    """What a user would export to point the package at the simulator (one cache file)."""
    return {
        **sandbox.env(),
        "CONTACT_UDFS_CACHE": str(tmp_path / "cache.sqlite"),
        "CONTACT_UDFS_POLL_INTERVAL": "0",
        "COLDLEAD_RATE_LIMIT": "1000/1",
        "DROPCONTACT_RATE_LIMIT": "1000/1",
        "FULLCONTACT_RATE_LIMIT": "1000/1",
    }


def client_factory(env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., Client]]:
    """For a fixture: ``build(providers, **more_env)`` makes clients, closed at the end."""
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    made: list[Client] = []

    def build(providers: str | None = None, **extra: str) -> Client:
        settings = load_settings(environ={**env, **extra}, config_file=empty)
        client = Client(providers=providers, settings=settings)
        made.append(client)
        return client

    yield build
    for client in made:
        client.close()
