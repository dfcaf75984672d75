"""Simulator fixtures for the provider and HTTP-layer tests: one simulator per session.

Everything is counted at the simulator (requests, credits, charges per contact), never
inside the client: the point is to prove what the vendor would have seen and billed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sandbox_helpers import reset

from contact_udfs.config import RateLimit, Settings, load_settings
from contact_udfs.http import RetryPolicy
from contact_udfs.providers.registry import provider_class
from contact_udfs.sandbox import Sandbox

#: quick retries so fault tests stay fast; the shape of the policy is unchanged
FAST = RetryPolicy(attempts=3, max_time=20.0, backoff=0.01, max_backoff=0.05, max_wait=5.0)
DEFAULT_BALANCE = 10_000


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    # no ColdLead window by default: dozens of tests share one simulator, and the pacing
    # test sets its own tight window
    with Sandbox(seed=0, job_polls_before_ready=1, coldlead_rate=None) as sb:
        yield sb


@pytest.fixture(autouse=True)
def reset_counters(sandbox: Sandbox) -> Iterator[Sandbox]:
    """Every test starts from zero counters, no faults and the default knobs."""
    reset(sandbox, DEFAULT_BALANCE)
    yield sandbox
    sandbox.clear_faults()


@pytest.fixture
def sandbox_settings(sandbox: Sandbox, tmp_path: Path) -> Settings:
    """Settings pointing every provider at the simulator, with a private cache file."""
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    env = {**sandbox.env(), "CONTACT_UDFS_CACHE": str(tmp_path / "c.sqlite")}
    return load_settings(environ=env, config_file=empty)


@pytest.fixture
def make(sandbox_settings: Settings) -> Iterator[Callable[..., Any]]:
    """``make("coldlead", rate="20/2", key="wrong", http_timeout=(2, .3), **options)``."""
    built: list[Any] = []

    def build(name: str, *, rate: str | None = None, key: str | None = None,
              base_url: str | None = None, policy: RetryPolicy = FAST,
              http_timeout: tuple[float, float] | None = None, **options: Any) -> Any:
        conf = sandbox_settings.provider(name)
        changes: dict[str, Any] = {"options": {**conf.options, **options}}
        if rate:
            changes["rate_limit"] = RateLimit.parse(rate)
        if key is not None:
            changes["api_key"] = type(conf.api_key)(key)
        if base_url:
            changes["base_url"] = base_url
        providers = {**sandbox_settings.provider_settings, name: replace(conf, **changes)}
        settings = sandbox_settings.with_(provider_settings=providers)
        if http_timeout:
            settings = settings.with_(http_timeout=http_timeout)
        provider = provider_class(name).from_settings(settings, policy=policy)
        built.append(provider)
        return provider

    yield build
    for provider in built:
        provider.close()


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog
