"""The tools' shapes and guards, in process: output models, budgets, caps, the command line."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from mcp.server.mcpserver.exceptions import ToolError

from contact_udfs import Client
from contact_udfs.config import DEFAULT_MCP_BUDGET, load_settings
from contact_udfs.exceptions import ConfigurationError
from contact_udfs.faces.cli.main import main
from contact_udfs.faces.mcp import ContactTools
from contact_udfs.faces.mcp.schemas import EnrichmentOut, FoundEmailOut, VerificationOut
from contact_udfs.models import Enrichment, FoundEmail, Verification


@pytest.mark.parametrize(
    ("model", "cls"),
    [(VerificationOut, Verification), (FoundEmailOut, FoundEmail), (EnrichmentOut, Enrichment)],
)
def test_output_models_carry_every_field_of_the_result_types(model, cls) -> None:
    assert list(model.model_fields) == [f.name for f in dataclasses.fields(cls)]
    answer = cls(provider="local", raw={"x": 1})
    out = model.model_validate(answer.to_dict()).model_dump(mode="json")
    again = cls.from_dict(out)
    assert again == answer and again.raw == {"x": 1}


def local_client(tmp_path: Path, **env: str) -> Client:
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    environ = {"CONTACT_UDFS_CACHE": str(tmp_path / "c.sqlite"), **env}
    return Client(providers=["local"], settings=load_settings(environ, empty))


def test_the_budget_setting(tmp_path: Path) -> None:
    assert local_client(tmp_path).settings.mcp_budget == DEFAULT_MCP_BUDGET
    assert local_client(tmp_path, CONTACT_UDFS_MCP_BUDGET="7").settings.mcp_budget == 7
    with pytest.raises(ConfigurationError, match="CONTACT_UDFS_MCP_BUDGET"):
        local_client(tmp_path, CONTACT_UDFS_MCP_BUDGET="lots")
    with pytest.raises(ConfigurationError, match="0 or more"):
        local_client(tmp_path, CONTACT_UDFS_MCP_BUDGET="-1")
    # the general per-call budget bounds this face too
    with local_client(tmp_path, CONTACT_UDFS_BUDGET="3") as client:
        assert ContactTools(client).budget == 3


def test_guards_refuse_before_the_engine(tmp_path: Path) -> None:
    with local_client(tmp_path) as client:
        tools = ContactTools(client, max_items=3)
        with pytest.raises(ToolError, match="too many items: 4 given, at most 3"):
            tools.verify_emails(["a@b.co"] * 4)
        for bad in (-1, float("nan"), "ten", True):
            with pytest.raises(ToolError, match="budget must be a number"):
                tools.verify_emails(["a@b.co"], budget=bad)
        with pytest.raises(ToolError, match="operation must be one of"):
            tools.estimate("lookup", [])
        with pytest.raises(ToolError, match="non-empty string"):
            tools.forget("  ")
        one = tools.verify_emails("ada@gmial.com")  # one address alone is one item
        assert [r.suggestion for r in one.results] == ["ada@gmail.com"]
        assert one.report.budget == DEFAULT_MCP_BUDGET


def test_the_command_line_refuses_a_bad_item_cap(capsys) -> None:
    assert main(["mcp", "--max-items", "0"]) == 2
    assert "--max-items must be at least 1" in capsys.readouterr().err


def test_the_command_line_says_how_to_install_the_sdk(monkeypatch, capsys) -> None:
    import sys

    for name in [
        m for m in sys.modules if m == "mcp" or m.startswith(("mcp.", "contact_udfs.faces.mcp"))
    ]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "mcp", None)  # what a missing package looks like
    assert main(["mcp"]) == 2
    assert "pip install 'contact-udfs[mcp]'" in capsys.readouterr().err
