"""One simulator for the integration tests; clients wired to it through settings only."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sandbox_helpers import client_factory, reset, user_env

from contact_udfs import Client
from contact_udfs.sandbox import Sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=0, job_polls_before_ready=1, coldlead_rate=None) as sb:
        yield sb


@pytest.fixture(autouse=True)
def fresh(sandbox: Sandbox) -> Iterator[Sandbox]:
    yield reset(sandbox)
    sandbox.clear_faults()


@pytest.fixture
def sandbox_env(sandbox: Sandbox, tmp_path: Path) -> dict[str, str]:
    """What a user would export to point the package at the simulator."""
    return user_env(sandbox, tmp_path)


@pytest.fixture
def client_for(sandbox_env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., Client]]:
    yield from client_factory(sandbox_env, tmp_path)
