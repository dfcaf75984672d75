"""Fixtures for the Excel formulas: a sandbox per test, the environment pointing at it,
and an adapter that lets the ``formulas`` package call our UDFs like Excel would.

Everything is counted at the simulator (``sb.requests(...)``), never inside the client.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from excel_helpers import UDF_NAMES

from contact_udfs.faces.excel import batching as excel_batch
from contact_udfs.faces.excel import udfs as excel
from contact_udfs.sandbox import Sandbox


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(seed=0, job_polls_before_ready=1, coldlead_rate=None) as sandbox:
        yield sandbox


@pytest.fixture
def excel_env(sb: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """The default client pointed at the sandbox's Dropcontact, with a private cache."""
    for name, value in sb.env().items():
        monkeypatch.setenv(name, value)
    config = tmp_path / "empty.toml"
    config.write_text("")
    monkeypatch.setenv("CONTACT_UDFS_CONFIG", str(config))
    monkeypatch.setenv("CONTACT_UDFS_CACHE", str(tmp_path / "c.sqlite"))
    monkeypatch.setenv("CONTACT_UDFS_PROVIDERS", "dropcontact")
    monkeypatch.setenv("CONTACT_UDFS_POLL_INTERVAL", "0")
    monkeypatch.setenv("CONTACT_UDFS_POLL_TIMEOUT", "30")
    yield sb
    # no background run of this test may outlive its environment
    assert excel_batch.wait_for_background(30)


@pytest.fixture
def formulas_functions() -> Callable[[], None]:
    """Register our UDFs with the ``formulas`` package the way Excel would call them:
    ranges as 2-D lists, empty cells as None, error values as "#N/A" text."""
    formulas = pytest.importorskip("formulas")
    import numpy as np
    import schedula as sh
    from formulas.functions import wrap_ranges_func
    from formulas.tokens.operand import XlError

    def clean(value: Any) -> Any:
        if isinstance(value, np.ndarray):
            return [[clean(v) for v in row] for row in value.tolist()]
        if value is sh.EMPTY:
            return None
        if isinstance(value, XlError):
            return str(value)
        return value

    def adapt(fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            out = fn(*(clean(a) for a in args))
            return np.array(out, dtype=object) if isinstance(out, list) else out

        return wrap_ranges_func(call)

    def register() -> None:
        functions = formulas.get_functions()
        for name in UDF_NAMES:
            functions[name] = adapt(getattr(excel, name))

    return register
