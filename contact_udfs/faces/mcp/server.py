"""``contact-udfs mcp``: the tools served over stdio or streamable HTTP.

The descriptions below are written for the model that will call the tools:
what each costs, what is free, and what to do when a call is refused. The
work itself is in :mod:`.tools`; this module only names, describes and serves.

stdout carries the protocol in stdio mode, so every log line goes to stderr
(and the SDK points fd 1 at stderr while it serves, so a stray print cannot
corrupt the stream either).
"""

from __future__ import annotations

import logging
import socket
import sys
from typing import Annotated

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from ...api import Client
from .schemas import (
    ContactsArg,
    CreditsResult,
    EmailsArg,
    EnrichResult,
    EstimateResult,
    FindResult,
    ForgetResult,
    ItemsArg,
    OperationArg,
    PeopleArg,
    VerifyResult,
)
from .tools import MAX_ITEMS, ContactTools

__all__ = ["build_server", "serve"]

log = logging.getLogger(__name__)

INSTRUCTIONS = """\
Email verification, email finding and contact enrichment through paid providers, \
behind one cache: an address or a person asked before (by you, a spreadsheet or a \
script sharing this cache) is answered again for free, and duplicates in one call \
are asked once. Each call has a credit budget and a cap on items; a call above the \
budget is refused before anything is sent, with the estimate. Use `estimate` first \
for large lists, send the whole list in one call rather than one item per call, and \
read `status` and `reason` on each answer. Answers come back in input order, one \
per item, even for bad items (status invalid, free)."""

Retry = Annotated[
    bool,
    Field(
        description="Ask again the contacts stored as unknown+retryable (a lost connection, "
        "a provider error). Spends credits on them; leave false unless the user wants it."
    ),
]
Budget = Annotated[
    float | None,
    Field(
        description="The most credits this call may spend; it can only lower the server's "
        "per-call budget. Above it the call is refused and nothing is spent.",
        ge=0,
    ),
]

_PAID = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True,
                        open_world_hint=True)  # fmt: skip
_BALANCE = ToolAnnotations(read_only_hint=True, open_world_hint=True)  # asks the providers
_LOCAL = ToolAnnotations(read_only_hint=True, open_world_hint=False)  # reads the cache only


def build_server(
    client: Client, *, budget: float | None = None, max_items: int = MAX_ITEMS
) -> MCPServer:
    """An MCP server whose six tools all go through ``client``."""
    tools = ContactTools(client, budget=budget, max_items=max_items)
    server: MCPServer = MCPServer("contact-udfs", instructions=INSTRUCTIONS, version=_version())
    cap = f"At most {tools.max_items} items and {tools.budget:g} credits per call."

    def verify_emails(
        emails: EmailsArg, retry_unknown: Retry = False, budget: Budget = None
    ) -> VerifyResult:
        return tools.verify_emails(emails, retry_unknown, budget)

    def find_emails(
        people: PeopleArg, retry_unknown: Retry = False, budget: Budget = None
    ) -> FindResult:
        return tools.find_emails(people, retry_unknown, budget)

    def enrich_contacts(
        contacts: ContactsArg, retry_unknown: Retry = False, budget: Budget = None
    ) -> EnrichResult:
        return tools.enrich_contacts(contacts, retry_unknown, budget)

    def estimate(
        operation: Annotated[OperationArg, Field(description="The tool the items are for.")],
        items: ItemsArg,
    ) -> EstimateResult:
        return tools.estimate(operation, items)

    def credits() -> CreditsResult:
        return tools.credits()

    def forget(
        email: Annotated[str, Field(description="The address to erase, in any spelling.")],
    ) -> ForgetResult:
        return tools.forget(email)

    described = [
        (verify_emails, _PAID,
         "Verify email addresses: can each one receive mail? One answer per item, in input "
         "order, with status deliverable / risky / undeliverable / unknown / invalid and a "
         "reason. Costs about 1 credit per new distinct address; addresses already in the "
         "cache and invalid items are free. " + cap),
        (find_emails, _PAID,
         "Find the email address of people at companies, from first_name + last_name (or "
         "full_name) and the company's domain, website or name. One answer per person, in "
         "input order; email is null when none was found. Costs about 1 credit per new "
         "distinct person; cached and invalid ones are free. " + cap),
        (enrich_contacts, _PAID,
         "Enrich contacts with everything the provider knows: email and its qualification, "
         "phone, job, LinkedIn, company, SIREN... One answer per contact, in input order. "
         "Costs about 1 credit per new distinct contact; cached and invalid ones are free. "
         + cap),
        (estimate, _LOCAL,
         "How many credits a verify, find or enrich call with these items would spend now, "
         "the cache taken into account, and whether it fits the per-call budget. Sends "
         "nothing and costs nothing."),
        (credits, _BALANCE,
         "Credits left at each paid provider, and this server's per-call budget and item "
         "cap. Free."),
        (forget, ToolAnnotations(read_only_hint=False, destructive_hint=True,
                                 idempotent_hint=True, open_world_hint=False),
         "Erase everything stored about one email address (every provider and operation), "
         "e.g. on a data-protection request. The next question about it is paid again."),
    ]  # fmt: skip
    for fn, hints, description in described:
        server.add_tool(fn, description=description, annotations=hints,
                        structured_output=True)  # fmt: skip
    return server


def _version() -> str:
    """The installed package's version, for the server info a host shows."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("contact-udfs")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        return ""


def configure_logging(level: int = logging.INFO) -> None:
    """Log lines to stderr only; stdout belongs to the protocol."""
    root = logging.getLogger()
    if not any(getattr(h, "_contact_udfs_mcp", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        handler._contact_udfs_mcp = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx2", "httpcore2", "uvicorn.access", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def serve(
    client: Client,
    *,
    http_port: int | None = None,
    budget: float | None = None,
    max_items: int = MAX_ITEMS,
) -> None:
    """Serve until the client hangs up (stdio) or Ctrl+C (HTTP on 127.0.0.1)."""
    configure_logging()
    server = build_server(client, budget=budget, max_items=max_items)
    if http_port is None:
        log.info("serving MCP over stdio")
        server.run("stdio")
        return
    _serve_http(server, http_port)


def _serve_http(server: MCPServer, port: int) -> None:
    """Streamable HTTP on 127.0.0.1 only; port 0 takes a free one, said on stderr."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)  # connections wait in the backlog until uvicorn takes them
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"
    print(f"serving MCP on {url}", file=sys.stderr, flush=True)
    app = server.streamable_http_app(host="127.0.0.1")
    config = uvicorn.Config(app, log_config=None, access_log=False, log_level="warning")
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
