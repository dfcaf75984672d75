"""The simulator delivering to a real listener; clients wired to both through settings only.

Every client and the listener share one SQLite cache, as a user's workbook, notebook
and ``contact-udfs listen`` would. Counts are taken at the simulator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from sandbox_helpers import client_factory, user_env

from contact_udfs import Client
from contact_udfs.faces.listen import Listener
from contact_udfs.sandbox import Sandbox

PUSHING = ("dropcontact", "fullcontact")


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=0, coldlead_rate=None) as sb:
        yield sb


@pytest.fixture
def env(sandbox: Sandbox, tmp_path: Path) -> dict[str, str]:
    """What a user exports to point the package at the simulator (one cache for all)."""
    return user_env(sandbox, tmp_path)


@pytest.fixture
def client_for(env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., Client]]:
    """``client_for("dropcontact", CONTACT_UDFS_WEBHOOK_URL=...)``: a client of its own."""
    yield from client_factory(env, tmp_path)


@pytest.fixture
def listener(client_for: Callable[..., Client]) -> Iterator[Listener]:
    """A listener on a free loopback port, saving into the shared cache.

    Its grace (how long a push for a job not journaled yet waits for it) is shorter than
    the default: only the pushes for unknown jobs wait it out, and nobody sees that wait.
    """
    with Listener(client_for(), grace=0.5) as running:
        yield running


@pytest.fixture
def http() -> Iterator[requests.Session]:
    session = requests.Session()
    session.trust_env = False
    yield session
    session.close()
