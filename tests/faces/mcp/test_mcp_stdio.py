"""``contact-udfs mcp`` over stdio, spawned and driven by the SDK's ``stdio_client``.

Every number is counted at the simulator: credits it billed, requests it saw.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from mcp_helpers import run, text_of

from contact_udfs.models import Enrichment, FoundEmail, Verification
from contact_udfs.sandbox import Sandbox

TOOLS = {
    "verify_emails": {"emails", "retry_unknown", "budget"},
    "find_emails": {"people", "retry_unknown", "budget"},
    "enrich_contacts": {"contacts", "retry_unknown", "budget"},
    "estimate": {"operation", "items"},
    "credits": set(),
    "forget": {"email"},
}
RESULT_FIELDS = {
    "verify_emails": Verification,
    "find_emails": FoundEmail,
    "enrich_contacts": Enrichment,
}


def forty_rows(sandbox: Sandbox) -> tuple[list[str], int]:
    """40 rows: 30 distinct addresses, then 10 of them again in other spellings."""
    distinct = sandbox.world.sample_emails(30, seed=16)
    again = [f"  {e.upper()} " if i % 2 else e.title() for i, e in enumerate(distinct[:10])]
    return distinct + again, len(distinct)


def test_tools_are_listed_with_their_schemas(server_env: dict[str, str], errlog: Path) -> None:
    async def body(session: Any) -> Any:
        return (await session.list_tools()).tools

    tools = {t.name: t for t in run(server_env, errlog, body)}
    assert set(tools) == set(TOOLS)
    for name, params in TOOLS.items():
        tool = tools[name]
        assert len(tool.description) > 60, f"{name} has no description a model could use"
        assert tool.input_schema["type"] == "object"
        assert set(tool.input_schema["properties"]) == params
        for param in params:
            assert tool.input_schema["properties"][param].get("description"), (name, param)
        assert tool.output_schema and tool.output_schema["type"] == "object"
    assert tools["verify_emails"].input_schema["required"] == ["emails"]
    assert tools["forget"].input_schema["required"] == ["email"]
    # structured output: the fields of the Python result types, no more, no fewer
    for name, cls in RESULT_FIELDS.items():
        schema = tools[name].output_schema
        ref = schema["properties"]["results"]["items"]["$ref"].rsplit("/", 1)[-1]
        fields = set(schema["$defs"][ref]["properties"])
        assert fields == {f.name for f in dataclasses.fields(cls)}, name
        assert "status" in schema["$defs"][ref]["properties"]
        report = schema["$defs"]["Report"]["properties"]
        assert {"credits", "from_cache", "distinct", "budget"} <= set(report)
    assert set(tools["estimate"].output_schema["properties"]) >= {"total_credits", "within_budget"}
    assert tools["credits"].annotations.read_only_hint is True
    assert tools["forget"].annotations.destructive_hint is True


@pytest.mark.parametrize("provider", ["coldlead", "dropcontact"])
def test_forty_rows_cost_the_distinct_count_then_nothing(
    sandbox: Sandbox, server_env: dict[str, str], errlog: Path, keys: list[str], provider: str
) -> None:
    """40 rows with 10 duplicates: 30 credits; the same call again: 0 credits, 0 requests."""
    rows, distinct = forty_rows(sandbox)
    env = {**server_env, "CONTACT_UDFS_PROVIDERS": provider}
    seen: dict[str, Any] = {}

    async def body(session: Any) -> None:
        first = await session.call_tool("verify_emails", {"emails": rows})
        seen["first"] = first
        seen["credits_after_first"] = sandbox.credits_spent(provider)
        sandbox.reset_counters()
        seen["second"] = await session.call_tool("verify_emails", {"emails": rows})

    run(env, errlog, body)
    first, second = seen["first"], seen["second"]
    assert not first.is_error and not second.is_error
    assert seen["credits_after_first"] == distinct == 30
    assert sandbox.credits_spent(provider) == 0 and sandbox.requests("*") == 0
    for result in (first, second):
        answers = result.structured_content["results"]
        assert len(answers) == 40
        assert [a["email"] for a in answers] == [r.strip() for r in rows]
        assert all(a["provider"] == provider for a in answers)
        assert no_key(text_of(result), keys)
    assert first.structured_content["report"]["credits"] == {provider: 30}
    assert first.structured_content["report"]["distinct"] == 30
    assert second.structured_content["report"]["credits"] == {}
    assert second.structured_content["report"]["from_cache"] == 30
    assert all(a["from_cache"] for a in second.structured_content["results"])
    # duplicates share one answer: an address and its other spelling agree
    answers = first.structured_content["results"]
    for i in range(10):
        assert answers[30 + i]["address"] == answers[i]["address"]
        assert answers[30 + i]["status"] == answers[i]["status"]
    assert no_key(errlog.read_text(), keys)


def test_over_budget_is_an_error_stating_the_estimate_and_spends_nothing(
    sandbox: Sandbox, server_env: dict[str, str], errlog: Path, keys: list[str]
) -> None:
    emails = sandbox.world.sample_emails(12, seed=17)
    env = {**server_env, "CONTACT_UDFS_MCP_BUDGET": "10"}
    seen: dict[str, Any] = {}

    async def body(session: Any) -> None:
        seen["default"] = await session.call_tool("verify_emails", {"emails": emails})
        # a call may lower the budget, never raise it above the server's
        call = session.call_tool
        seen["higher"] = await call("verify_emails", {"emails": emails, "budget": 1e6})
        seen["lower"] = await call("verify_emails", {"emails": emails[:5], "budget": 4})
        seen["estimate"] = await session.call_tool(
            "estimate", {"operation": "verify", "items": emails}
        )
        seen["credits"] = await session.call_tool("credits", {})

    run(env, errlog, body)
    for name in ("default", "higher", "lower"):
        result = seen[name]
        assert result.is_error, name
        assert result.structured_content is None
        text = text_of(result)
        assert "nothing was spent" in text and no_key(text, keys)
    assert "would spend 12 credits (coldlead 12)" in text_of(seen["default"])
    assert "budget of 10" in text_of(seen["default"])
    assert "budget of 10" in text_of(seen["higher"])
    assert "would spend 5 credits" in text_of(seen["lower"]) and "budget of 4" in text_of(
        seen["lower"]
    )
    estimate = seen["estimate"].structured_content
    assert estimate["total_credits"] == 12 and estimate["within_budget"] is False
    assert estimate["budget"] == 10
    assert seen["credits"].structured_content["budget_per_call"] == 10
    assert sandbox.credits_spent("coldlead") == 0
    assert sandbox.requests("coldlead.verify") == 0


def test_too_many_items_is_an_error_and_sends_nothing(
    sandbox: Sandbox, server_env: dict[str, str], errlog: Path
) -> None:
    emails = sandbox.world.sample_emails(6, seed=18)

    async def body(session: Any) -> Any:
        over = await session.call_tool("verify_emails", {"emails": emails})
        at = await session.call_tool("verify_emails", {"emails": emails[:5]})
        return over, at

    over, at = run(server_env, errlog, body, "--max-items", "5")
    assert over.is_error
    assert "too many items: 6 given, at most 5 per call" in text_of(over)
    assert not at.is_error
    assert sandbox.credits_spent("coldlead") == 5


def test_bad_input_gets_per_item_invalid_answers_free(
    sandbox: Sandbox, server_env: dict[str, str], errlog: Path
) -> None:
    bad = ["", "   ", 42, 3.5, None, True, "no-at-sign", {"email": "a@b.c"}, ["x@y.z"]]
    people = ["Ada Lovelace", 7, None, [], {"first_name": "Ada"}, {"last_name": "Lovelace"}]

    async def body(session: Any) -> dict[str, Any]:
        return {
            "list": await session.call_tool("verify_emails", {"emails": bad}),
            "number": await session.call_tool("verify_emails", {"emails": 42}),
            "empty": await session.call_tool("verify_emails", {"emails": ""}),
            "none": await session.call_tool("verify_emails", {"emails": []}),
            "find": await session.call_tool("find_emails", {"people": people}),
            "enrich": await session.call_tool("enrich_contacts", {"contacts": people}),
            "record": await session.call_tool("find_emails", {"people": "Ada Lovelace"}),
        }

    env = {**server_env, "CONTACT_UDFS_PROVIDERS": "dropcontact,coldlead"}
    got = run(env, errlog, body)
    for name, result in got.items():
        assert not result.is_error, (name, text_of(result))
        answers = result.structured_content["results"]
        assert all(a["status"] == "invalid" and a["provider"] == "validation" for a in answers)
        assert all(a["reason"] for a in answers), name
    assert len(got["list"].structured_content["results"]) == len(bad)
    reasons = [a["reason"] for a in got["list"].structured_content["results"]]
    assert reasons[:6] == ["empty", "blank", "number", "number", "empty", "boolean"]
    assert len(got["number"].structured_content["results"]) == 1
    assert got["none"].structured_content["results"] == []
    assert len(got["find"].structured_content["results"]) == len(people)
    assert len(got["enrich"].structured_content["results"]) == len(people)
    assert got["find"].structured_content["report"]["invalid"] == len(people)
    assert sandbox.credits_spent() == {"dropcontact": 0, "fullcontact": 0, "coldlead": 0}
    assert sandbox.requests("*") == 0


def test_find_enrich_estimate_credits_forget(
    sandbox: Sandbox, server_env: dict[str, str], errlog: Path, keys: list[str]
) -> None:
    """The other tools, through the same engine: a forgotten address is paid again."""
    people = [
        {k: p[k] for k in ("first_name", "last_name", "domain")}
        for p in sandbox.world.people()[40:44]
    ]
    emails = sandbox.world.sample_emails(3, seed=20)
    env = {**server_env, "CONTACT_UDFS_PROVIDERS": "dropcontact,coldlead"}

    async def body(session: Any) -> dict[str, Any]:
        out = {
            "estimate": await session.call_tool("estimate", {"operation": "find", "items": people})
        }
        out["find"] = await session.call_tool("find_emails", {"people": people})
        out["enrich"] = await session.call_tool("enrich_contacts", {"contacts": people})
        out["verify"] = await session.call_tool("verify_emails", {"emails": emails})
        out["billed"] = sandbox.credits_spent()
        out["forget"] = await session.call_tool("forget", {"email": emails[0].upper()})
        sandbox.reset_counters()
        out["again"] = await session.call_tool("verify_emails", {"emails": emails})
        out["credits"] = await session.call_tool("credits", {})
        out["bad_op"] = await session.call_tool("estimate", {"operation": "guess", "items": []})
        return out

    got = run(env, errlog, body)
    billed = got.pop("billed")
    reported: dict[str, int] = {}
    for name in ("find", "enrich", "verify"):
        for provider, n in got[name].structured_content["report"]["credits"].items():
            reported[provider] = reported.get(provider, 0) + n
    assert {p: n for p, n in billed.items() if n} == reported
    assert got["estimate"].structured_content["total_credits"] >= 4
    found = got["find"].structured_content["results"]
    assert len(found) == 4 and all(f["provider"] in ("dropcontact", "coldlead") for f in found)
    enriched = got["enrich"].structured_content["results"]
    assert len(enriched) == 4 and all(e["provider"] == "dropcontact" for e in enriched)
    assert got["enrich"].structured_content["report"]["distinct"] == 4
    assert got["forget"].structured_content["forgotten"] >= 1
    again = got["again"].structured_content["report"]
    assert again["from_cache"] == 2 and sum(again["credits"].values()) >= 1
    assert sum(sandbox.credits_spent().values()) == sum(again["credits"].values())
    left = got["credits"].structured_content["credits_left"]
    assert set(left) == {"dropcontact", "coldlead"}
    assert got["bad_op"].is_error
    for result in got.values():
        assert no_key(text_of(result), keys)
    assert no_key(errlog.read_text(), keys)


@pytest.mark.parametrize("provider", ["coldlead", "fullcontact", "dropcontact"])
def test_a_refused_key_never_shows(
    sandbox: Sandbox, server_env: dict[str, str], errlog: Path, provider: str
) -> None:
    """A wrong key (FullContact's travels in the URL) is in no result, error or log line."""
    wrong = f"wrong-{provider}-key-7f3a9c"
    env = {**server_env, "CONTACT_UDFS_PROVIDERS": provider,
           f"{provider.upper()}_API_KEY": wrong}  # fmt: skip
    emails = sandbox.world.sample_emails(2, seed=21)

    async def body(session: Any) -> list[Any]:
        return [
            await session.call_tool("verify_emails", {"emails": emails}),
            await session.call_tool("credits", {}),
        ]

    results = run(env, errlog, body)
    assert any(r.is_error for r in results)
    for result in results:
        assert wrong not in text_of(result)
    log = errlog.read_text()
    assert wrong not in log and "serving MCP over stdio" in log
    assert sandbox.credits_spent(provider) == 0


def no_key(text: str, keys: list[str]) -> bool:
    return not any(key in text for key in keys)
