"""ColdLead v1 (seed 004): verify and find, one paid call per item.

ColdLead has no batch endpoint, so a "batch" here is a loop of single calls, paced by
the shared limiter and by the vendor's ``X-RateLimit-*`` headers (see
:mod:`contact_udfs.http.client`). A 429 is waited out and re-sent (the vendor did not act).
A 400, 404 or 422 is about that one item and is that item's answer (:data:`ITEM_ERRORS`);
the loop goes on. A 401/402 part-way stops the loop and hands back what was already paid
for, with the error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from ..exceptions import (
    AuthenticationError,
    BadRequestError,
    ProviderError,
    ProviderUnavailable,
    QuotaExceededError,
    RateLimitError,
)
from ..http import Ambiguous, Auth, ErrorRule
from ..models import Answer, Operation, Status
from ._http_provider import HttpProvider
from .base import Submission, Task

__all__ = ["ColdLeadProvider", "verification_fields"]

_STATUSES = {"deliverable": Status.DELIVERABLE, "risky": Status.RISKY,
             "unknown": Status.UNKNOWN, "undeliverable": Status.UNDELIVERABLE}
#: reasons that decide the status whatever ``status`` says: bad syntax is ``invalid``
_REASON_STATUS = {"invalid_email": Status.INVALID}
#: ``unknown`` reasons that a later try may settle (the mail server did not answer)
_TRANSIENT = frozenset({"timeout", "unavailable_smtp", "no_connect"})
_CONFIDENCE = {Status.DELIVERABLE: 0.9, Status.RISKY: 0.6, Status.UNKNOWN: 0.3}

#: (operation, HTTP status) -> (status, reason, retryable) of that one item. Seed 004
#: documents 400 "your parameters are invalid", 404 "the resource does not exist" and
#: 422 "a validation error occurred"; none of them says the vendor is down. On find, a
#: refused query says nothing about the person (never ``invalid``), and 404 is the
#: finder's "nobody found" under one reading of the seed: the same answer as a 200 with
#: ``"email": null``.
ITEM_ERRORS: dict[tuple[Operation, int], tuple[Status, str, bool]] = {
    (Operation.VERIFY, 400): (Status.INVALID, "provider_rejected", False),
    (Operation.VERIFY, 422): (Status.INVALID, "provider_rejected", False),
    (Operation.VERIFY, 404): (Status.UNKNOWN, "not_found", True),
    (Operation.FIND, 400): (Status.UNKNOWN, "provider_rejected", False),
    (Operation.FIND, 422): (Status.UNKNOWN, "provider_rejected", False),
    (Operation.FIND, 404): (Status.UNKNOWN, "not_found", False),
}


def verification_fields(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    """Verification fields from a ``/v1/verify`` ``data`` object."""
    status = _STATUSES.get(str(data.get("status") or "").lower(), Status.UNKNOWN)
    reason = str(data["reason"]) if data.get("reason") else None
    status = _REASON_STATUS.get(reason or "", status)
    return {
        "status": status,
        "reason": reason,
        "retryable": status is Status.UNKNOWN and reason in _TRANSIENT,
        "address": str(data.get("email") or key).lower(),
        "syntax_valid": reason != "invalid_email",
        "catch_all": data.get("accept_all"),
        "disposable": data.get("disposable"),
        "role": data.get("role_address"),
        "free": data.get("free"),
    }


def _person(payload: Mapping[str, Any]) -> str:
    full = str(payload.get("full_name") or "").strip()
    parts = (str(payload.get(f) or "").strip() for f in ("first_name", "last_name"))
    return full or " ".join(p for p in parts if p)


def _domain(payload: Mapping[str, Any]) -> str:
    domain = str(payload.get("domain") or "").strip().lower()
    if domain or not payload.get("website"):
        return domain
    website = str(payload["website"]).strip().lower()
    host = urlsplit(website if "//" in website else f"//{website}").hostname or ""
    return host.removeprefix("www.")


class ColdLeadProvider(HttpProvider):
    """ColdLead verify + finder; see the module docstring and docs/providers.md."""

    name = "coldlead"
    operations = frozenset({Operation.VERIFY, Operation.FIND})
    max_batch = 25
    auth = Auth("bearer")
    errors = {
        400: ErrorRule(BadRequestError, "Bad Request: your parameters are invalid"),
        401: ErrorRule(AuthenticationError, "Unauthorized: your API key is wrong"),
        402: ErrorRule(QuotaExceededError, "Over Quota: over plan quota on this endpoint"),
        404: ErrorRule(BadRequestError, "Not Found: the resource does not exist"),
        422: ErrorRule(BadRequestError, "Validation Error: a validation error occurred"),
        429: ErrorRule(RateLimitError, "Too Many Requests: you're making too many requests"),
        500: ErrorRule(ProviderUnavailable, "Internal Server Error: we had a problem with "
                                            "our server"),
        503: ErrorRule(ProviderUnavailable, "Service Unavailable: temporarily offline for "
                                            "maintenance"),
    }

    def unsupported(self, operation: Operation, payload: Mapping[str, Any]) -> str | None:
        if operation is Operation.FIND and not _domain(payload):
            return "needs_domain"
        if operation is Operation.FIND and not _person(payload):
            return "needs_name"
        return super().unsupported(operation, payload)

    def credits(self) -> int | None:
        reply = self.client.call("GET", "/v1/account", paid=False)
        data = reply.get("data") if isinstance(reply, dict) else None
        balance = data.get("credit_balance") if isinstance(data, dict) else None
        return int(balance) if isinstance(balance, (int, float)) else None

    def submit(self, operation: Operation, tasks: Sequence[Task]) -> Submission:
        self._check(operation, tasks)
        answers: dict[str, Answer] = {}
        for task in tasks:
            try:
                answers[task.key] = self._ask(operation, task)
            except ProviderError as exc:  # auth/quota/...: keep what was already paid for
                return Submission(answers=answers, error=exc)
        return Submission(answers=answers)

    def _ask(self, operation: Operation, task: Task) -> Answer:
        if operation is Operation.VERIFY:
            path, params = "/v1/verify", {"email": task.key}
        else:
            path, params = "/v1/finder", {"name": _person(task.payload),
                                          "domain": _domain(task.payload)}
        try:
            reply = self.client.call("GET", path, paid=True, params=params)
        except Ambiguous as exc:
            return self._unknown(operation, task.key, exc.reason, retryable=True,
                                 payload=task.payload)
        except BadRequestError as exc:
            verdict = ITEM_ERRORS.get((operation, exc.status_code or 0))
            if verdict is None:
                raise
            status, reason, retryable = verdict
            raw = exc.payload if isinstance(exc.payload, dict) else {"message": exc.message}
            echo = self._echo(operation, task)
            if operation is Operation.FIND:
                echo["email"] = None
            return self._answer(operation, task.key, {**raw, "http_status": exc.status_code},
                                status=status, reason=reason, retryable=retryable, **echo)
        data = reply.get("data") if isinstance(reply, dict) else None
        if not isinstance(data, dict):
            return self._unknown(operation, task.key, "provider_error", retryable=True,
                                 payload=task.payload, raw=reply if isinstance(reply, dict)
                                 else None)
        if operation is Operation.VERIFY:
            return self._answer(operation, task.key, data,
                                **verification_fields(data, task.key))
        return self._found(task, data)

    def _found(self, task: Task, data: dict[str, Any]) -> Answer:
        echo = self._echo(Operation.FIND, task)
        echo["domain"] = str(data.get("domain") or echo.get("domain") or "") or None
        email = data.get("email")
        if not email:  # a miss still cost a credit: it is an answer to keep
            return self._answer(Operation.FIND, task.key, data, status=Status.UNKNOWN,
                                reason="not_found", email=None, **echo)
        status = _STATUSES.get(str(data.get("status") or "").lower(), Status.UNKNOWN)
        if status is Status.UNDELIVERABLE:
            status = Status.UNKNOWN
        return self._answer(Operation.FIND, task.key, data, status=status,
                            reason="accept_all" if data.get("accept_all") else None,
                            email=str(email).lower(), confidence=_CONFIDENCE[status], **echo)

    def reread(self, operation: Operation, key: str, raw: Mapping[str, Any]) -> Answer | None:
        """A stored finder answer (``raw`` = its ``data``) read as the verification of ``key``.

        The finder tells the status of the address it found, so a later verify of
        that address is not bought again (:mod:`contact_udfs.core.reuse`).
        """
        found = str(raw.get("email") or "").strip().lower()
        if operation is not Operation.VERIFY or not found or found != key.strip().lower():
            return None
        return self._answer(operation, key, dict(raw), **verification_fields(raw, key))

    @staticmethod
    def _echo(operation: Operation, task: Task) -> dict[str, Any]:
        if operation is Operation.VERIFY:
            return {}
        p = task.payload
        out = {f: p[f] for f in ("first_name", "last_name", "company") if p.get(f)}
        out["domain"] = _domain(p) or None
        return out
