"""Fixtures for the fault suite: a fresh simulator per test, clients with a short read
timeout, and a ledger whose per-provider totals are printed at the end of the run.

Everything is counted at the simulator (requests, faults fired, charges per contact),
never inside the client under test.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fault_helpers import Baseline, Ledger

from contact_udfs import Client
from contact_udfs.config import load_settings
from contact_udfs.sandbox import Sandbox

#: (connect, read) seconds: short enough that a ``slow`` fault is a read timeout
HTTP_TIMEOUT = (2.0, 0.5)

_LEDGER = Ledger()


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    """A simulator of its own (seed 0, no rate windows), so counters start at zero."""
    with Sandbox(seed=0, job_polls_before_ready=1, coldlead_rate=None) as sandbox:
        yield sandbox


@pytest.fixture
def make_client(sb: Sandbox, tmp_path: Path) -> Iterator[Callable[..., Client]]:
    """``make_client("dropcontact", cache="b.sqlite", **env)``: a client wired to ``sb``
    through settings only, with a private cache file and a 0.5 s read timeout."""
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    made: list[Client] = []

    def build(provider: str, cache: str = "cache.sqlite", **env: str) -> Client:
        environ = {
            **sb.env(),
            "CONTACT_UDFS_CACHE": str(tmp_path / cache),
            "CONTACT_UDFS_POLL_INTERVAL": "0",
            "CONTACT_UDFS_POLL_TIMEOUT": "10",
            "DROPCONTACT_RATE_LIMIT": "1000/1",
            "FULLCONTACT_RATE_LIMIT": "1000/1",
            "COLDLEAD_RATE_LIMIT": "1000/1",
            **env,
        }
        settings = load_settings(environ=environ, config_file=empty)
        client = Client(providers=provider, settings=settings.with_(http_timeout=HTTP_TIMEOUT))
        made.append(client)
        return client

    yield build
    for client in made:
        client.close()


@pytest.fixture(scope="session")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Baseline:
    """Fault-free answers to compare healed runs with (one simulator run per list)."""
    return Baseline(tmp_path_factory.mktemp("baseline"))


@pytest.fixture
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    """The run-wide tally behind the per-provider fault table."""
    _LEDGER.basetemp = tmp_path_factory.getbasetemp()
    return _LEDGER


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the per-provider fault table and save it next to the run's temp files."""
    if not _LEDGER.rows:
        return
    terminalreporter.write_sep("-", "fault suite: per provider, counted at the simulator")
    for line in _LEDGER.table():
        terminalreporter.write_line(line)
    if _LEDGER.basetemp is not None:
        out = _LEDGER.basetemp / "fault_report.json"
        out.write_text(json.dumps(_LEDGER.totals(), indent=2, sort_keys=True))
        terminalreporter.write_line(f"saved: {out}")
