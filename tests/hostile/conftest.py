"""Fixtures for the hostile-input tests: an offline environment for the CLI and the
Excel formulas, and a simulator to count what hostile input costs (it must be 0)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from contact_udfs.faces.excel import batching as excel_batch
from contact_udfs.sandbox import Sandbox


@pytest.fixture
def offline_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Only the keyless ``local`` provider, a private cache: what the CLI and the
    default client see. Returns the cache path."""
    cache = tmp_path / "cache" / "contacts.sqlite"
    config = tmp_path / "empty.toml"
    config.write_text("")
    monkeypatch.setenv("CONTACT_UDFS_CONFIG", str(config))
    monkeypatch.setenv("CONTACT_UDFS_CACHE", str(cache))
    monkeypatch.setenv("CONTACT_UDFS_PROVIDERS", "local")
    return cache


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(seed=0, job_polls_before_ready=1, coldlead_rate=None) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox_env(sb: Sandbox, offline_env: Path, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """Keys and base URLs of the simulator in the environment (the default client's
    and the CLI's); counters start at zero."""
    for name, value in sb.env().items():
        monkeypatch.setenv(name, value)
    for provider in ("DROPCONTACT", "FULLCONTACT", "COLDLEAD"):
        monkeypatch.setenv(f"{provider}_RATE_LIMIT", "1000/1")
    monkeypatch.setenv("CONTACT_UDFS_POLL_INTERVAL", "0")
    sb.clear_faults()
    sb.reset_counters()
    yield sb
    assert excel_batch.wait_for_background(30)
