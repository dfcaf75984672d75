"""``contact-udfs mcp --http 0`` on 127.0.0.1, driven by the SDK's streamable HTTP client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mcp_helpers import http_server, run_http, text_of

from contact_udfs.sandbox import Sandbox


def test_streamable_http_serves_the_same_engine(
    sandbox: Sandbox, server_env: dict[str, str], errlog: Path, keys: list[str]
) -> None:
    emails = sandbox.world.sample_emails(8, seed=30)
    rows = emails + [e.upper() for e in emails[:4]] + ["", 12]
    seen: dict[str, Any] = {}

    async def body(session: Any) -> None:
        seen["tools"] = {t.name for t in (await session.list_tools()).tools}
        seen["first"] = await session.call_tool("verify_emails", {"emails": rows})
        seen["billed"] = sandbox.credits_spent("coldlead")
        sandbox.reset_counters()
        seen["second"] = await session.call_tool("verify_emails", {"emails": rows})
        seen["over"] = await session.call_tool(
            "verify_emails", {"emails": sandbox.world.sample_emails(3, seed=31), "budget": 2}
        )

    with http_server(server_env, errlog) as url:
        assert url.startswith("http://127.0.0.1:")
        run_http(url, body)
    assert seen["tools"] >= {"verify_emails", "find_emails", "estimate", "forget"}
    first, second, over = seen["first"], seen["second"], seen["over"]
    assert len(first.structured_content["results"]) == len(rows)
    assert seen["billed"] == 8 == first.structured_content["report"]["credits"]["coldlead"]
    assert second.structured_content["report"]["from_cache"] == 8
    assert over.is_error and "would spend 3 credits" in text_of(over)
    assert sandbox.credits_spent("coldlead") == 0 and sandbox.requests("*") == 0
    for result in (first, second, over):
        assert not any(key in text_of(result) for key in keys)
    log = errlog.read_text()
    assert "serving MCP on http://127.0.0.1:" in log
    assert not any(key in log for key in keys)
    assert errlog.with_suffix(".stdout").read_text() == "", "logs go to stderr only"
