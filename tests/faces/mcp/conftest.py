"""``contact-udfs mcp`` run as an agent's host runs it: a subprocess, driven by the SDK's client.

The server process gets what a user would put in the host's ``env`` block:
the simulator's base URLs and keys, a cache file, an empty config file.
Credits and requests are counted at the simulator, never in the client.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox_helpers import reset

from contact_udfs.sandbox import Sandbox

pytest.importorskip("mcp")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=0, job_polls_before_ready=1) as sb:
        yield sb


@pytest.fixture(autouse=True)
def fresh(sandbox: Sandbox) -> Iterator[Sandbox]:
    yield reset(sandbox, limits=True)  # ColdLead's own window stays, as for a user
    sandbox.clear_faults()


@pytest.fixture
def server_env(sandbox: Sandbox, tmp_path: Path) -> dict[str, str]:
    """The ``env`` block of a host's server entry, pointed at the simulator."""
    empty = tmp_path / "config.toml"
    empty.write_text("")
    return {
        **sandbox.env(),
        "CONTACT_UDFS_CACHE": str(tmp_path / "cache.sqlite"),
        "CONTACT_UDFS_CONFIG": str(empty),
        "CONTACT_UDFS_PROVIDERS": "coldlead",
    }


@pytest.fixture
def keys(sandbox: Sandbox) -> list[str]:
    return list(sandbox.keys.values())


@pytest.fixture
def errlog(tmp_path: Path) -> Path:
    """Where the server's stderr (its log) goes, to be read for keys afterwards."""
    path = tmp_path / "server-stderr.log"
    path.touch()
    return path
