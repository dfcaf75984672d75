"""Dropcontact: verify, find and enrich through batch jobs (seeds 000 and 001).

v1 by default (``POST /v1/enrich/all`` then ``GET /v1/enrich/all/{id}``); the
legacy ``/batch`` endpoints with ``options["api"] == "legacy"``. Answers are matched
to inputs by our key in ``custom_fields`` - never by position, except on the legacy
endpoint when ``custom_fields`` do not come back. Webhooks (``custom_callback_url``,
subscriptions) only make answers arrive sooner: polling always works without them.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from ..exceptions import (
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ProviderResponseError,
    ProviderUnavailable,
    QuotaExceededError,
    RateLimitError,
)
from ..http import Ambiguous, Auth, ErrorRule
from ..models import ENRICHMENT_FIELDS, Answer, Operation, Status
from ._http_provider import HttpProvider
from .base import Delivery, JobRef, Submission, Task

__all__ = ["DropcontactProvider", "qualification_fields"]

#: the contact fields Dropcontact accepts (seed 001)
INPUT_FIELDS = ("email", "first_name", "last_name", "full_name", "phone", "company", "website",
                "num_siren", "linkedin", "siret", "country", "job", "company_linkedin")
#: our key travels in custom_fields under this name and comes back untouched
KEY_FIELD = "cu_key"
_SUBSCRIPTION_FIELDS = ("callback_url", "period_s", "max_webhooks_per_period", "active")

_LOCAL = {"nominative": "nominative", "nominatif": "nominative", "generic": "generic",
          "generique": "generic", "non_confirm": "non_confirm", "non_confirme": "non_confirm",
          "random": "random", "aleatoire": "random", "invalid": "invalid", "invalide": "invalid"}
_DOMAIN = {"pro": "pro", "perso": "perso", "invalid": "invalid", "invalide": "invalid"}
#: local-part qualification -> (status, reason)
_VERDICTS = {
    "nominative": (Status.DELIVERABLE, "accepted_email"),
    "generic": (Status.DELIVERABLE, "role"),
    "non_confirm": (Status.RISKY, "accept_all"),
    "random": (Status.RISKY, "random"),
    "invalid": (Status.UNDELIVERABLE, "rejected_email"),
}
#: which address is "the" address of a contact: lower is better; invalid ones never are
_PREFERENCE = {"nominative": 0, "non_confirm": 1, "generic": 2, "random": 3}


def _parse(qualification: Any) -> tuple[str, str] | None:
    """``("nominative", "pro")`` from English or French labels, accents or not."""
    if not isinstance(qualification, str) or "@" not in qualification:
        return None
    text = unicodedata.normalize("NFKD", qualification.strip().lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    local, _, domain = text.rpartition("@")
    if local not in _LOCAL or domain not in _DOMAIN:
        return None
    return _LOCAL[local], _DOMAIN[domain]


def qualification_fields(qualification: Any) -> dict[str, Any] | None:
    """Verification fields for a Dropcontact qualification; None if unrecognised."""
    parsed = _parse(qualification)
    if parsed is None:
        return None
    local, domain = parsed
    if domain == "invalid":
        return {"status": Status.UNDELIVERABLE, "reason": "invalid_domain"}
    status, reason = _VERDICTS[local]
    return {"status": status, "reason": reason, "free": domain == "perso",
            "role": local == "generic", "catch_all": local == "non_confirm"}


def _emails(contact: Mapping[str, Any]) -> list[dict[str, str]]:
    value = contact.get("email")
    if not isinstance(value, list):
        return []
    return [{"email": str(e["email"]), "qualification": str(e.get("qualification") or "")}
            for e in value if isinstance(e, dict) and e.get("email")]


def _ranked(emails: list[dict[str, str]]) -> list[tuple[dict[str, str], str, str]]:
    """Usable addresses, best first, with their parsed qualification."""
    out = []
    for entry in emails:
        parsed = _parse(entry["qualification"])
        if parsed and parsed[0] in _PREFERENCE and parsed[1] != "invalid":
            out.append((entry, *parsed))
    return sorted(out, key=lambda item: (_PREFERENCE[item[1]], item[2] != "pro"))


def _digest(contact: Mapping[str, Any]) -> str:
    """Short fingerprint of a sent contact, to spot it echoed back unprocessed."""
    text = json.dumps(contact, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class DropcontactProvider(HttpProvider):
    """Dropcontact batch jobs; see the module docstring and docs/providers.md."""

    name = "dropcontact"
    operations = frozenset({Operation.VERIFY, Operation.FIND, Operation.ENRICH})
    max_batch = 250
    auth = Auth("header", "X-Access-Token")
    errors = {
        400: ErrorRule(BadRequestError, "Bad Request: your request is invalid"),
        401: ErrorRule(AuthenticationError, "Unauthorized: your access token is wrong"),
        403: ErrorRule(QuotaExceededError, "Unauthorized API call: token exceeded quota"),
        404: ErrorRule(BadRequestError, "Not Found: the specified resource could not be found"),
        429: ErrorRule(RateLimitError, "Too Many Requests in a given slot of time"),
        500: ErrorRule(ProviderUnavailable, "Internal Server Error"),
        503: ErrorRule(ProviderUnavailable, "Service Unavailable: offline for maintenance"),
        504: ErrorRule(ProviderUnavailable, "Service Unavailable: gateway timeout"),
        524: ErrorRule(ProviderUnavailable, "Timeout: a timeout occurred"),
    }

    @property
    def api(self) -> str:
        return "legacy" if str(self.options.get("api", "v1")).lower() == "legacy" else "v1"

    def unsupported(self, operation: Operation, payload: Mapping[str, Any]) -> str | None:
        if operation is Operation.FIND and not (
            (payload.get("first_name") and payload.get("last_name")) or payload.get("full_name")
        ):
            return "needs_name"
        if operation is Operation.FIND and not any(
            payload.get(f) for f in ("domain", "company", "website")
        ):
            return "needs_company"
        return super().unsupported(operation, payload)

    # ----- jobs ------------------------------------------------------------------------
    def _contact(self, operation: Operation, task: Task) -> dict[str, Any]:
        p = task.payload
        if operation is Operation.VERIFY:
            contact: dict[str, Any] = {"email": task.key}
        else:
            contact = {f: p[f] for f in INPUT_FIELDS if p.get(f) not in (None, "")}
            if operation is Operation.FIND and p.get("domain") and not contact.get("website"):
                contact["website"] = p["domain"]
        contact["custom_fields"] = {KEY_FIELD: task.key}
        return contact

    def submit(self, operation: Operation, tasks: Sequence[Task]) -> Submission:
        self._check(operation, tasks)
        if not tasks:
            return Submission()
        contacts = [self._contact(operation, t) for t in tasks]
        body: dict[str, Any] = {"data": contacts, "siren": bool(self.options.get("siren", False)),
                                "language": str(self.options.get("language") or "en")}
        if self.options.get("callback_url") and self.api == "v1":
            body["custom_callback_url"] = str(self.options["callback_url"])
        path = "/batch" if self.api == "legacy" else "/v1/enrich/all"
        try:
            reply = self.client.call("POST", path, paid=True, json=body)
        except Ambiguous as exc:
            return self._ambiguous(operation, tasks, exc)
        request_id = reply.get("request_id") if isinstance(reply, dict) else None
        if isinstance(reply, dict) and reply.get("error") is True:
            said = self.client.scrub(str(reply.get("reason") or reply.get("message") or "refused"))
            cls = QuotaExceededError if "credit" in said.lower() else BadRequestError
            raise cls(self.name, said, status_code=200, payload=reply)
        if not request_id:
            return self._ambiguous(operation, tasks, Ambiguous(
                "provider_error", f"{self.name}: the submit answer has no request_id"))
        sent = {t.key: _digest(c) for t, c in zip(tasks, contacts, strict=True)}
        job = JobRef(provider=self.name, operation=operation, job_id=str(request_id),
                     keys=tuple(t.key for t in tasks), meta={"api": self.api, "sent": sent})
        return Submission(job=job)

    def poll(self, job: JobRef, *, final: bool = False) -> dict[str, Answer] | None:
        """Answers once the job is done; with ``final``, whatever is done so far.

        The final poll first asks normally: a finished job then answers every contact,
        including the ones Dropcontact processed without finding anything (which look
        exactly like their input). Only an unfinished job is asked ``forceResults``.
        """
        try:
            data = self._fetch(job, force=False)
            if data is None and final and job.meta.get("api") != "legacy":
                forced = self._fetch(job, force=True)
                sent = job.meta.get("sent")
                sent = sent if isinstance(sent, dict) else {}
                return None if forced is None else self._match(job, forced, sent)
        except BadRequestError as exc:
            if exc.status_code == 404:  # never seen from Dropcontact, but then the job is gone
                return self._expired(job)
            raise
        return None if data is None else self._match(job, data, None)

    def _fetch(self, job: JobRef, *, force: bool) -> list[Any] | None:
        job_id = quote(job.job_id, safe="")
        legacy = job.meta.get("api") == "legacy"
        path = f"/batch/{job_id}" if legacy else f"/v1/enrich/all/{job_id}"
        params = {"forceResults": "true"} if force else None
        reply = self.client.call("GET", path, paid=False, params=params)
        if not isinstance(reply, dict):
            raise ProviderResponseError(self.name, "the job answer is not a JSON object")
        data = reply.get("data")
        if not reply.get("success") or not isinstance(data, list):
            return None  # "Request not ready yet" - possibly forever for an unknown id
        return data

    def _match(self, job: JobRef, contacts: list[Any],
               sent: Mapping[str, str] | None) -> dict[str, Answer]:
        """Answers keyed by task key; contacts echoed back unprocessed are left out."""
        contacts = [c for c in contacts if isinstance(c, dict)]
        wanted = set(job.keys)
        pairs: list[tuple[str, dict[str, Any]]] = []
        for contact in contacts:
            fields = contact.get("custom_fields")
            key = fields.get(KEY_FIELD) if isinstance(fields, dict) else None
            if key in wanted:
                pairs.append((key, contact))
        if not pairs and job.meta.get("api") == "legacy" and len(contacts) == len(job.keys):
            pairs = list(zip(job.keys, contacts, strict=True))  # legacy: by position
        elif not pairs and contacts:
            return {k: self._unknown(job.operation, k, "provider_error", retryable=True)
                    for k in job.keys}
        answers: dict[str, Answer] = {}
        for key, contact in pairs:
            if sent is not None and sent.get(key) == _digest(contact):
                continue  # forceResults: not processed yet, stays pending
            answers[key] = self._map(job.operation, key, contact)
        return answers

    # ----- mapping ---------------------------------------------------------------------
    def reread(self, operation: Operation, key: str, raw: Mapping[str, Any]) -> Answer | None:
        """A stored contact (any operation's ``raw``) read as ``operation``'s answer for ``key``.

        Every operation is the same purchase of the whole contact, so the engine reuses
        one stored answer for the others (:mod:`contact_udfs.core.reuse`).
        """
        return self._map(operation, key, dict(raw)) if operation in self.operations else None

    def _map(self, operation: Operation, key: str, contact: dict[str, Any]) -> Answer:
        if operation is Operation.VERIFY:
            return self._verification(key, contact)
        if operation is Operation.FIND:
            return self._found(key, contact)
        return self._enrichment(key, contact)

    def _verification(self, key: str, contact: dict[str, Any]) -> Answer:
        entry = next((e for e in _emails(contact) if e["email"].lower() == key.lower()), None)
        if entry is None:
            return self._unknown(Operation.VERIFY, key, "not_returned", retryable=False,
                                 raw=contact)
        fields = qualification_fields(entry["qualification"])
        if fields is None:
            fields = {"status": Status.UNKNOWN, "reason": "unrecognized_qualification"}
        return self._answer(Operation.VERIFY, key, contact, address=entry["email"].lower(),
                            **fields)

    def _found(self, key: str, contact: dict[str, Any]) -> Answer:
        ranked = [r for r in _ranked(_emails(contact)) if r[1] in ("nominative", "non_confirm")]
        echo = {f: str(contact[f]) for f in ("first_name", "last_name", "company")
                if contact.get(f)}
        if not ranked:
            return self._answer(Operation.FIND, key, contact, status=Status.UNKNOWN,
                                reason="not_found", email=None, **echo)
        (best, local, domain), others = ranked[0], ranked[1:]
        confidence = 0.6 if local == "non_confirm" else 0.9 if domain == "pro" else 0.7
        fields = qualification_fields(best["qualification"]) or {}
        return self._answer(
            Operation.FIND, key, contact, status=fields.get("status", Status.UNKNOWN),
            reason=fields.get("reason"), email=best["email"], confidence=confidence,
            candidates=[e["email"] for e, _, _ in others],
            domain=best["email"].rpartition("@")[2].lower(), **echo,
        )

    def _enrichment(self, key: str, contact: dict[str, Any]) -> Answer:
        emails = _emails(contact)
        ranked = _ranked(emails)
        best = ranked[0][0] if ranked else None
        fields = (qualification_fields(best["qualification"]) if best else None) or {
            "status": Status.UNKNOWN, "reason": "not_found"}
        text = {f: str(contact[f]) for f in ENRICHMENT_FIELDS
                if f not in ("email", "qualification") and contact.get(f) not in (None, "")}
        custom = contact.get("custom_fields")
        return self._answer(
            Operation.ENRICH, key, contact, status=fields["status"], reason=fields["reason"],
            email=best["email"] if best else None,
            qualification=best["qualification"] if best else None, emails=emails,
            custom_fields={k: v for k, v in (custom or {}).items() if k != KEY_FIELD}, **text,
        )

    # ----- free calls: balance, webhooks -------------------------------------------------
    def credits(self) -> int | None:
        reply = self.client.call("POST", "/v1/enrich/all", paid=False, json={"data": [{}]})
        left = reply.get("credits_left") if isinstance(reply, dict) else None
        return int(left) if isinstance(left, (int, float)) else None

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
                fields = contact.get("custom_fields") if isinstance(contact, dict) else None
                key = fields.get(KEY_FIELD) if isinstance(fields, dict) else None
                if isinstance(key, str) and key:
                    answers[key] = self._map(operation, key, contact)
        return answers

    def split_delivery(self, body: Any) -> list[Delivery]:
        """``enrich_api_result`` events (seed 001: a list of them; one alone is taken too)."""
        events = body if isinstance(body, list) else [body]
        out = []
        for event in events:
            if not isinstance(event, dict):
                raise ValueError("a Dropcontact delivery is a list of event objects")
            if event.get("event_type") != "enrich_api_result":
                continue
            data = event.get("data") if isinstance(event.get("data"), dict) else {}
            request_id, contacts = data.get("request_id"), data.get("data")
            if not (isinstance(request_id, str) and request_id and isinstance(contacts, list)):
                raise ValueError("an enrich_api_result event needs data.request_id and data.data")
            out.append(Delivery(request_id, event))
        return out

    def parse_delivery(self, job: JobRef, result: Any) -> dict[str, Answer]:
        """The job's contacts in one event, mapped as a poll maps them (by our key only)."""
        answers = self.parse_webhook(result, job.operation)
        return {k: a for k, a in answers.items() if k in job.keys}

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
