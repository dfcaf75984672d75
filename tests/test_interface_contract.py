"""The names users and outside tests rely on (DESIGN §3) keep working, wherever they live.

The package is arranged in rooms (docs/architecture.md); this test is the promise
that a rearrangement never breaks a workbook, a notebook or a script: every name
below imports from where users import it, with the parameters they call it with.
"""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

import pytest

import contact_udfs
from contact_udfs.config import load_settings
from contact_udfs.faces.cli.parser import build_parser

PYTHON = ["Client", "verify_emails", "find_emails", "enrich_contacts", "default_client",
          "Verification", "FoundEmail", "Enrichment", "Status", "Operation",
          "ContactUDFError", "BudgetExceededError", "QuotaExceededError"]  # fmt: skip
CLIENT_METHODS = ["verify_emails", "find_emails", "enrich_contacts", "estimate", "credits",
                  "forget", "run", "close"]  # fmt: skip
EXCEL = ["VERIFY_EMAIL", "FIND_EMAIL", "ENRICH_CONTACT", "CONTACT_CREDITS", "CONTACT_ESTIMATE"]
FIELDS = {
    "Verification": ["email", "address", "status", "reason", "syntax_valid", "catch_all",
                     "disposable", "role", "free", "suggestion", "provider", "checked_at",
                     "from_cache", "retryable", "raw"],
    "FoundEmail": ["email", "status", "confidence", "candidates", "provider", "from_cache",
                   "raw"],
    "Enrichment": ["email", "qualification", "emails", "civility", "first_name", "last_name",
                   "company", "website", "job", "siren", "custom_fields", "provider",
                   "from_cache"],
}  # fmt: skip
COMMANDS = ["verify", "find", "enrich", "estimate", "credits", "cache", "sandbox", "template",
            "listen", "mcp"]  # fmt: skip


@pytest.mark.parametrize("name", PYTHON)
def test_the_python_names_import_from_the_package(name: str) -> None:
    assert hasattr(contact_udfs, name), f"contact_udfs.{name} is promised in DESIGN §3"


def test_the_client_has_its_methods_and_every_call_takes_retry_unknown_and_budget() -> None:
    for method in CLIENT_METHODS:
        assert callable(getattr(contact_udfs.Client, method))
    run = inspect.signature(contact_udfs.Client.run).parameters
    assert {"retry_unknown", "budget"} <= set(run)
    client = inspect.signature(contact_udfs.Client).parameters
    assert {"providers", "cache", "budget"} <= set(client)


@pytest.mark.parametrize("kind", sorted(FIELDS))
def test_the_result_types_carry_their_fields(kind: str) -> None:
    have = {f.name for f in dataclasses.fields(getattr(contact_udfs, kind))}
    assert set(FIELDS[kind]) <= have


def test_the_status_words_are_the_five_promised() -> None:
    assert {s.value for s in contact_udfs.Status} == {
        "deliverable", "risky", "undeliverable", "unknown", "invalid"}  # fmt: skip


def test_the_excel_module_name_of_every_workbook_keeps_its_formulas() -> None:
    import contact_udfs.excel as excel  # the name in xlwings' "UDF Modules"

    for name in EXCEL:
        assert callable(getattr(excel, name)), f"contact_udfs.excel.{name}"


def test_the_command_line_has_its_commands() -> None:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert set(COMMANDS) <= set(sub.choices)  # type: ignore[arg-type]
    cache = next(a for a in sub.choices["cache"]._actions if a.dest == "cache_command")  # type: ignore[index]
    assert {"stats", "forget", "clear"} <= set(cache.choices)


def test_the_configuration_variables_are_read(tmp_path: Path) -> None:
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    env = {
        "DROPCONTACT_API_KEY": "k1", "FULLCONTACT_API_KEY": "k2", "COLDLEAD_API_KEY": "k3",
        "DROPCONTACT_BASE_URL": "http://127.0.0.1:9/dc",
        "FULLCONTACT_BASE_URL": "http://127.0.0.1:9/fc",
        "COLDLEAD_BASE_URL": "http://127.0.0.1:9/cl",
        "CONTACT_UDFS_PROVIDERS": "coldlead,local", "CONTACT_UDFS_CACHE": str(tmp_path / "c"),
        "CONTACT_UDFS_BUDGET": "12", "COLDLEAD_RATE_LIMIT": "20/2",
        "CONTACT_UDFS_POLL_INTERVAL": "3", "CONTACT_UDFS_POLL_TIMEOUT": "40",
    }  # fmt: skip
    s = load_settings(environ=env, config_file=empty)
    assert s.providers == ("coldlead", "local") and s.budget == 12
    assert s.cache == str(tmp_path / "c") and (s.poll_interval, s.poll_timeout) == (3, 40)
    cl = s.provider("coldlead")
    assert cl.enabled and cl.base_url == "http://127.0.0.1:9/cl"
    assert (cl.rate_limit.limit, cl.rate_limit.seconds) == (20, 2.0)
    for name in ("dropcontact", "fullcontact"):
        assert s.provider(name).enabled and s.provider(name).base_url.startswith("http://127")


def test_import_registers_the_dataframe_accessors() -> None:
    pd = pytest.importorskip("pandas")
    assert callable(pd.DataFrame({"email": []}).contacts.verify)
    dd = pytest.importorskip("dask.dataframe")
    ddf = dd.from_pandas(pd.DataFrame({"email": ["a@b.com"]}), npartitions=1)
    for method in ("verify", "find", "enrich", "estimate"):
        assert callable(getattr(ddf.contacts, method))
