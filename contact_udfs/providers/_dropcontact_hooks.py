"""Dropcontact pushes: webhook subscriptions (seed 001) and reading what they deliver.

A push is read by the same mapping as a poll, so it can only make an answer arrive
sooner. A delivery is matched to its journaled job by the vendor's ``request_id``,
and also by the batch reference we put in every contact's ``custom_fields``: a
submit with ``custom_callback_url`` may be acknowledged without any ``request_id``
(seed 001: ``{"status": "success", "message": "Enrichment request received."}``), and
then that reference is the only way to recognise the job when its results come.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from ..exceptions import ConfigurationError, ProviderResponseError
from ..http import HttpClient
from ..models import Answer, Operation
from .base import Delivery, JobRef

__all__ = ["BATCH_FIELD", "KEY_FIELD", "REF_PREFIX", "DropcontactPushes"]

#: our key travels in custom_fields under this name and comes back untouched
KEY_FIELD = "cu_key"
#: the reference of the batch a contact was sent in (beside the key)
BATCH_FIELD = "cu_batch"
#: a job acknowledged without a request_id is journaled as ``REF_PREFIX + reference``
REF_PREFIX = "ref:"
_SUBSCRIPTION_FIELDS = ("callback_url", "period_s", "max_webhooks_per_period", "active")


def ours(contact: Any) -> tuple[str | None, str | None]:
    """(our key, our batch reference) from a contact's ``custom_fields``."""
    fields = contact.get("custom_fields") if isinstance(contact, dict) else None
    if not isinstance(fields, dict):
        return None, None
    key, batch = fields.get(KEY_FIELD), fields.get(BATCH_FIELD)
    return (key if isinstance(key, str) and key else None,
            batch if isinstance(batch, str) and batch else None)


class DropcontactPushes:
    """Webhook parsing and subscription calls, mixed into the provider."""

    name: str
    client: HttpClient

    def _map(self, operation: Operation, key: str, contact: dict[str, Any]) -> Answer:
        raise NotImplementedError

    def parse_webhook(self, payload: Any, operation: Operation) -> dict[str, Answer]:
        """Answers from a received webhook body (events list, one event, or a bare result).

        Only contacts carrying our key in ``custom_fields`` are answered; the rest are
        someone else's and ignored.
        """
        events = payload if isinstance(payload, list) else [payload]
        answers: dict[str, Answer] = {}
        for event in events:
            if not isinstance(event, dict):
                continue
            data = event.get("data")
            contacts = data.get("data") if isinstance(data, dict) else data
            for contact in contacts if isinstance(contacts, list) else []:
                key, _ = ours(contact)
                if key is not None:
                    answers[key] = self._map(operation, key, contact)
        return answers

    def split_delivery(self, body: Any) -> list[Delivery]:
        """``enrich_api_result`` events (seed 001: a list of them; one alone is taken too).

        Each names its job by ``request_id`` and, through ``also``, by the batch
        references its contacts carry (how a callback-only submit is found again).
        """
        events = body if isinstance(body, list) else [body]
        out = []
        for event in events:
            if not isinstance(event, dict):
                raise ValueError("a Dropcontact delivery is a list of event objects")
            if event.get("event_type") != "enrich_api_result":
                continue
            data = event.get("data") if isinstance(event.get("data"), dict) else {}
            request_id, contacts = data.get("request_id"), data.get("data")
            if not isinstance(contacts, list):
                raise ValueError("an enrich_api_result event needs data.data, a list")
            refs = sorted({REF_PREFIX + b for b in (ours(c)[1] for c in contacts) if b})
            if isinstance(request_id, str) and request_id:
                out.append(Delivery(request_id, event, also=tuple(refs)))
            elif refs and request_id in (None, ""):  # seed 001's example shows "request_id": ""
                out.append(Delivery(refs[0], event, also=tuple(refs[1:])))
            else:
                raise ValueError("an enrich_api_result event needs data.request_id "
                                 "(or contacts of ours carrying their batch reference)")
        return out

    def parse_delivery(self, job: JobRef, result: Any) -> dict[str, Answer]:
        """The job's contacts in one event, mapped as a poll maps them (by our key only)."""
        answers = self.parse_webhook(result, job.operation)
        return {k: a for k, a in answers.items() if k in job.keys}

    # ----- subscriptions (free calls) ----------------------------------------------------
    def create_subscription(self, callback_url: str, *, period_s: int = 5,
                            max_webhooks_per_period: int = 30, active: bool = True) -> str:
        """Subscribe ``callback_url`` to enrichment results; returns the subscription id."""
        body = {"event_type": "enrich_api_result", "callback_url": callback_url,
                "period_s": period_s, "max_webhooks_per_period": max_webhooks_per_period,
                "active": active}
        _validate_subscription(body)
        reply = self.client.call("POST", "/v1/webhooks/subscriptions", paid=False, json=body)
        sub_id = reply.get("id") if isinstance(reply, dict) else None
        if not sub_id:
            raise ProviderResponseError(self.name, "the subscription answer has no id")
        return str(sub_id)

    def list_subscriptions(self) -> list[dict[str, Any]]:
        reply = self.client.call("GET", "/v1/webhooks/subscriptions", paid=False)
        data = reply.get("data", reply) if isinstance(reply, dict) else reply
        return [dict(s) for s in data if isinstance(s, dict)] if isinstance(data, list) else []

    def edit_subscription(self, subscription_id: str, **changes: Any) -> dict[str, Any]:
        """Change ``callback_url``, ``period_s``, ``max_webhooks_per_period`` or ``active``."""
        unknown = sorted(set(changes) - set(_SUBSCRIPTION_FIELDS))
        if unknown:
            raise ConfigurationError(
                f"cannot change {', '.join(unknown)} of a subscription; allowed: "
                f"{', '.join(_SUBSCRIPTION_FIELDS)} (event_type needs delete + create)")
        if not changes:
            raise ConfigurationError("edit_subscription needs at least one change")
        _validate_subscription(changes)
        reply = self.client.call("PUT", _sub_path(subscription_id), paid=False, json=changes)
        return dict(reply) if isinstance(reply, dict) else {}

    def delete_subscription(self, subscription_id: str) -> None:
        self.client.call("DELETE", _sub_path(subscription_id), paid=False)


def _sub_path(subscription_id: str) -> str:
    if not str(subscription_id).strip():
        raise ConfigurationError("a subscription id is required")
    return f"/v1/webhooks/subscriptions/{quote(str(subscription_id), safe='')}"


def _validate_subscription(fields: Mapping[str, Any]) -> None:
    """The vendor's documented bounds, checked before any call."""
    url = fields.get("callback_url")
    if "callback_url" in fields and not (
        isinstance(url, str) and url.startswith(("http://", "https://"))
    ):
        raise ConfigurationError(f"callback_url must be an http(s) URL, got {url!r}")
    for name, low, high in (("period_s", 1, 60), ("max_webhooks_per_period", 1, 100)):
        value = fields.get(name)
        if name in fields and not (
            isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
        ):
            raise ConfigurationError(f"{name} must be an integer from {low} to {high}, "
                                     f"got {value!r}")
    if "active" in fields and not isinstance(fields["active"], bool):
        raise ConfigurationError("active must be True or False")
