"""Driving ``contact-udfs mcp`` through the SDK's own clients (stdio and streamable HTTP)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import anyio
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

T = TypeVar("T")


def server_command() -> tuple[str, list[str]]:
    """``contact-udfs`` as installed beside this interpreter (else ``python -m contact_udfs``)."""
    script = Path(sys.executable).with_name("contact-udfs")
    if script.exists():
        return str(script), []
    found = shutil.which("contact-udfs")
    if found:
        return found, []
    return sys.executable, ["-m", "contact_udfs"]


@asynccontextmanager
async def stdio_session(
    env: dict[str, str], errlog: Path, *args: str
) -> AsyncIterator[ClientSession]:
    """An initialized session with ``contact-udfs mcp ARGS`` spawned over stdio."""
    command, prefix = server_command()
    params = StdioServerParameters(command=command, args=[*prefix, "mcp", *args], env=env)
    with errlog.open("a", encoding="utf-8") as log:
        async with (
            stdio_client(params, errlog=log) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            yield session


def run(env: dict[str, str], errlog: Path, body: Callable[[ClientSession], Awaitable[T]],
        *args: str) -> T:  # fmt: skip
    """Spawn the server, run ``body`` on one session, stop the server."""

    async def main() -> T:
        async with stdio_session(env, errlog, *args) as session:
            return await body(session)

    return anyio.run(main)


@contextmanager
def http_server(env: dict[str, str], errlog: Path) -> Iterator[str]:
    """``contact-udfs mcp --http 0`` in the background; yields its URL (read from stderr).

    Its stderr ends up in ``errlog``, its stdout beside it (``.stdout``)."""
    import os

    command, prefix = server_command()
    proc = subprocess.Popen(
        [command, *prefix, "mcp", "--http", "0"],
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        lines: list[str] = []
        for line in proc.stderr:  # the server says its URL once the port is listening
            lines.append(line)
            found = re.search(r"serving MCP on (http://127\.0\.0\.1:\d+/mcp)", line)
            if found:
                break
        else:
            raise AssertionError("the server stopped before serving:\n" + "".join(lines))
        yield found.group(1)
    finally:
        proc.terminate()
        try:
            out, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        errlog.write_text("".join(lines) + (err or ""), encoding="utf-8")
        errlog.with_suffix(".stdout").write_text(out or "", encoding="utf-8")


def run_http(url: str, body: Callable[[ClientSession], Awaitable[T]]) -> T:
    """One session over the SDK's streamable HTTP client."""

    async def main() -> T:
        async with (
            streamable_http_client(url) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            return await body(session)

    return anyio.run(main)


def text_of(result: Any) -> str:
    """Everything a tool result shows: its text blocks and its structured content."""
    parts = [getattr(block, "text", "") for block in result.content]
    parts.append(json.dumps(result.structured_content, default=str))
    return "\n".join(parts)
