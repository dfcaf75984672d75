"""Helpers of the listener tests: a run that stops before its first poll, sample items."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from contact_udfs import Client
from contact_udfs.core.engine import Engine
from contact_udfs.models import Operation
from contact_udfs.sandbox import Sandbox


class Closed(BaseException):
    """The run's process went away while it waited for the job (Excel closed, Ctrl+C)."""


def submit_then_close(client: Client, provider: str, operation: Operation, items: list[Any],
                      before_closing: Callable[[], Any] = lambda: None) -> None:
    """Submit ``items`` and stop the run at its first wait, before any poll is sent.

    ``before_closing`` runs in that wait (e.g. waiting for the simulator to report its
    push), so what is stored afterwards came without a single poll.
    """

    def wait(_seconds: float) -> None:
        before_closing()
        raise Closed

    engine = Engine([client.provider(provider)], client.store, client.settings, sleep=wait)
    with pytest.raises(Closed):
        engine.run(operation, items)


def items_for(sandbox: Sandbox, operation: Operation, n: int) -> list[Any]:
    if operation is Operation.VERIFY:
        return sandbox.world.sample_emails(n, seed=5)
    people = sandbox.world.people()[:n]
    return [{"first_name": p["first_name"], "last_name": p["last_name"],
             "company": p["company"]} for p in people]


def comparable(answer: Any) -> dict[str, Any]:
    """An answer without what differs between two askings (time, cache flag)."""
    data = answer.to_dict()
    for name in ("checked_at", "from_cache"):
        data.pop(name, None)
    custom = data.get("raw", {}).get("custom_fields")
    if isinstance(custom, dict):
        custom.pop("cu_batch", None)  # the reference of the batch it was sent in
    return data


def event(request_id: Any, data: Any) -> dict[str, Any]:
    """A Dropcontact push event, shaped as seed 001 shows it."""
    return {"id": "e1", "version": 1, "event_type": "enrich_api_result",
            "occurred_at": 1623153600, "data": {"request_id": request_id, "data": data}}


def contacts(keys: Any) -> list[dict[str, Any]]:
    """Enriched Dropcontact contacts carrying our key, as a finished job returns them."""
    return [{"email": [{"email": k, "qualification": "nominative@pro"}],
             "custom_fields": {"cu_key": k}} for k in keys]


def entries(keys: Any) -> dict[str, Any]:
    """FullContact ``emails`` entries (seed 003) saying each address is deliverable."""
    return {k: {"message": "Valid email address", "address": k, "corrected": False,
                "sendSafely": True, "attributes": {"validSyntax": True, "deliverable": True,
                                                   "catchall": False, "risky": False,
                                                   "disposable": False}} for k in keys}
