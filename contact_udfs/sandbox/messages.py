"""Request and reply values passed between the HTTP plumbing and the vendor handlers.

Vendor modules never touch sockets: they get a parsed ``Request`` and return a ``Reply``.
That keeps fault injection (which needs to act around the handler, before or after it
bills) in one place, ``server.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qs

from .faults import Fault

JSON_TYPE = "application/json; charset=utf-8"


@dataclass
class Request:
    """One HTTP request, with the path relative to the vendor prefix (``/v1/verify``)."""

    method: str
    path: str
    query: dict[str, str]
    headers: Mapping[str, str]
    body: bytes = b""

    def json(self) -> Any:
        """The body as JSON; raises ``ValueError`` for anything else (the vendors 400)."""
        if not self.body.strip():
            raise ValueError("empty body")
        return json.loads(self.body.decode("utf-8"))

    def is_json(self) -> bool:
        """Both JSON vendors document ``Content-Type: application/json`` as required."""
        return "json" in (self.headers.get("Content-Type") or "").lower()

    def params(self) -> dict[str, str]:
        """Query parameters merged with a form or JSON object body (GET|POST endpoints)."""
        merged = dict(self.query)
        if not self.body.strip():
            return merged
        ctype = (self.headers.get("Content-Type") or "").lower()
        try:
            if "json" in ctype or self.body.lstrip()[:1] == b"{":
                data = self.json()
                if isinstance(data, dict):
                    merged.update({k: v if isinstance(v, str) else json.dumps(v)
                                   for k, v in data.items() if v is not None})
            else:
                form = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
                merged.update({k: v[0] for k, v in form.items()})
        except (ValueError, UnicodeDecodeError):
            pass
        return merged


@dataclass
class Reply:
    """What a handler wants sent. ``after`` callbacks run once the answer is on the wire
    (or deliberately lost), e.g. webhook deliveries that must follow the submit answer."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON_TYPE
    after: list[Callable[[], None]] = field(default_factory=list)

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


class VendorAPI(Protocol):
    """What ``server.App`` needs from each vendor module."""

    provider: str

    def endpoint(self, req: Request) -> str | None:
        """The endpoint name for counters and faults, or ``None`` for an unknown path."""

    def handle(self, endpoint: str, req: Request, fault: Fault | None) -> Reply:
        """Process the request (auth, limits, billing) and build the answer."""

    def error_reply(self, status: int, message: str) -> Reply:
        """A JSON error in this vendor's own shape (for injected 5xx)."""

    def throttled_reply(self, retry_after: int) -> Reply:
        """The vendor's 429 (for injected rate-limit faults)."""


def json_reply(status: int, body: Any, **headers: str) -> Reply:
    return Reply(status, body, dict(headers))
