"""FullContact email verification v2 (seed 003): verify only.

One address is one synchronous GET; more go in one batch POST (at most 300) that is
polled, or delivered to ``options["webhook_url"]`` when set. Answers are keyed by the
email *as sent*, so we always send exactly ``task.key``; ``address`` may come back
corrected. The key is the ``apiKey`` query parameter, and the vendor's own ``person``
and ``company`` links end in ``apiKey=``: ``raw`` is scrubbed before it is stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ..exceptions import (
    AuthenticationError,
    BadRequestError,
    ProviderError,
    ProviderResponseError,
    ProviderUnavailable,
    QuotaExceededError,
    RateLimitError,
)
from ..http import Ambiguous, Auth, ErrorRule
from ..models import Answer, Operation, Status
from ._http_provider import HttpProvider
from .base import Delivery, JobRef, Submission, Task

__all__ = ["RULES", "FullContactProvider", "Rule", "verdict", "verification_fields"]

_KEY_PROBLEM = re.compile(r"(?i)api ?key.*(missing|invalid|not valid|unknown)|no api ?key")
_RATE_PROBLEM = re.compile(r"(?i)rate ?limit|too many")
_QUOTA_PROBLEM = re.compile(r"(?i)quota|credits?\b|out of (credit|balance)")


def _forbidden(message: str) -> type[ProviderError]:
    """Seed 003: 403 is "no api key was supplied, or the api key has exceeded its rate limits".

    A message naming the key is a key problem; one naming a rate limit is re-sent (see
    :func:`_resend_forbidden`). Running out of credits is not a documented 403: it is
    believed only when the vendor's message says so. A 403 that says nothing is never
    taken for "out of credits": once re-sending has not cleared it, the key is the
    likelier cause.
    """
    if _RATE_PROBLEM.search(message):
        return RateLimitError
    if _KEY_PROBLEM.search(message):
        return AuthenticationError
    if _QUOTA_PROBLEM.search(message):
        return QuotaExceededError
    return AuthenticationError


def _resend_forbidden(message: str) -> bool:
    """A 403 that may be a rate limit (it says so, or says nothing) is waited out and re-sent.

    Both documented meanings are refusals, so the vendor did not act on the call and a
    re-send cannot pay twice (DESIGN 5.6).
    """
    return bool(_RATE_PROBLEM.search(message)) or not (
        _KEY_PROBLEM.search(message) or _QUOTA_PROBLEM.search(message))


@dataclass(frozen=True)
class Rule:
    """One row of the mapping: when every fact in ``when`` holds, the verdict is
    ``status``/``reason``. Facts are the entry's ``attributes`` plus ``sendSafely``
    and ``corrected`` (the vendor changed the address as typed)."""

    when: Mapping[str, bool]
    status: Status
    reason: str

    def matches(self, facts: Mapping[str, Any]) -> bool:
        return all(facts.get(name) is value for name, value in self.when.items())


#: FullContact's answer -> our verdict, first matching rule wins (docs/providers.md shows
#: this table). ``deliverable: false`` comes before the disposable / spamtrap / catch-all
#: flags: a bounce is a bounce. A corrected address is judged on the *corrected* address
#: (seed 003), so the address as typed is at best ``risky`` with the fix as suggestion.
RULES: tuple[Rule, ...] = (
    Rule({"validSyntax": False}, Status.INVALID, "invalid_email"),
    Rule({"deliverable": False}, Status.UNDELIVERABLE, "rejected_email"),
    Rule({"corrected": True}, Status.RISKY, "corrected"),
    Rule({"disposable": True}, Status.RISKY, "disposable"),
    Rule({"risky": True}, Status.RISKY, "spamtrap"),
    Rule({"catchall": True}, Status.RISKY, "accept_all"),
    Rule({"deliverable": True, "sendSafely": False}, Status.RISKY, "send_unsafe"),
    Rule({"deliverable": True}, Status.DELIVERABLE, "accepted_email"),
)
#: when no rule matches (``deliverable`` missing or not a boolean)
FALLBACK = (Status.UNKNOWN, "no_verdict")
#: the facts the rules read from an entry's ``attributes``
ATTRIBUTES = ("validSyntax", "deliverable", "catchall", "risky", "disposable")


def verdict(facts: Mapping[str, Any]) -> tuple[Status, str]:
    """The first rule of :data:`RULES` that matches ``facts``, else :data:`FALLBACK`."""
    rule = next((r for r in RULES if r.matches(facts)), None)
    return (rule.status, rule.reason) if rule else FALLBACK


def verification_fields(entry: Mapping[str, Any], key: str) -> dict[str, Any]:
    """Verification fields from one ``emails`` entry (``attributes`` + ``sendSafely``).

    The verdict is on the address as typed (``key``): when FullContact corrected it,
    ``attributes`` describe the correction, which goes to ``suggestion``.
    """
    attrs = entry.get("attributes") if isinstance(entry.get("attributes"), dict) else {}
    returned = str(entry.get("address") or key).lower()
    corrected = entry.get("corrected") is True and returned != key.lower()
    facts = {name: attrs.get(name) for name in ATTRIBUTES}
    facts |= {"sendSafely": entry.get("sendSafely"), "corrected": corrected}
    status, reason = verdict(facts)
    fields: dict[str, Any] = {
        "status": status,
        "reason": reason,
        "address": key,
        "suggestion": returned if corrected else None,
        "syntax_valid": attrs.get("validSyntax"),
        "catch_all": attrs.get("catchall"),
        "disposable": attrs.get("disposable"),
    }
    if attrs.get("validSyntax") and not attrs.get("disposable") and "person" in entry:
        fields["free"] = "company" not in entry  # the doc: no company link for free mail
    return fields


class FullContactProvider(HttpProvider):
    """FullContact verification; see the module docstring and docs/providers.md."""

    name = "fullcontact"
    operations = frozenset({Operation.VERIFY})
    max_batch = 300
    auth = Auth("query", "apiKey")
    errors = {
        400: ErrorRule(BadRequestError, "Bad request: part of the request is malformed or "
                                        "missing parameters"),
        403: ErrorRule(_forbidden, "Forbidden: no API key was supplied, or the API key has "
                                   "exceeded its rate limits", resend=_resend_forbidden),
        404: ErrorRule(BadRequestError, "Not found: the batch ID or resource does not exist"),
        500: ErrorRule(ProviderUnavailable, "Unknown server error"),
    }

    def submit(self, operation: Operation, tasks: Sequence[Task]) -> Submission:
        self._check(operation, tasks)
        if not tasks:
            return Submission()
        if len(tasks) == 1:
            return self._single(tasks[0])
        body: dict[str, Any] = {"emails": [t.key for t in tasks]}
        webhook = self.options.get("webhook_url") or self.options.get("webhookUrl")
        if webhook:
            body["webhookUrl"] = str(webhook)
        try:
            reply = self.client.call("POST", "/v2/verification/emails", paid=True, json=body)
        except Ambiguous as exc:
            return self._ambiguous(operation, tasks, exc)
        batch_id = reply.get("batchId") if isinstance(reply, dict) else None
        if not batch_id:
            return self._ambiguous(operation, tasks, Ambiguous(
                "provider_error", f"{self.name}: the batch answer has no batchId"))
        return Submission(job=JobRef(provider=self.name, operation=operation,
                                     job_id=str(batch_id), keys=tuple(t.key for t in tasks)))

    def _single(self, task: Task) -> Submission:
        try:
            reply = self.client.call("GET", "/v2/verification/email", paid=True,
                                     params={"email": task.key})
        except Ambiguous as exc:
            return self._ambiguous(Operation.VERIFY, [task], exc)
        if not isinstance(reply, dict):
            return self._ambiguous(Operation.VERIFY, [task], Ambiguous(
                "provider_error", f"{self.name}: the answer is not a JSON object"))
        return Submission(answers=self._answers((task.key,), reply))

    def poll(self, job: JobRef, *, final: bool = False) -> dict[str, Answer] | None:
        """Answers once the batch is complete; FullContact has no partial results."""
        try:
            reply = self.client.call("GET", f"/v2/verification/emails/{quote(job.job_id, safe='')}",
                                     paid=False)
        except BadRequestError as exc:
            if exc.status_code == 404:  # gone: removed by the vendor, or never existed
                return self._expired(job)
            raise
        if not isinstance(reply, dict):
            raise ProviderResponseError(self.name, "the batch status is not a JSON object")
        response = reply.get("response")
        if not reply.get("completed") or not isinstance(response, dict):
            return None
        return self._answers(job.keys, response)

    def split_delivery(self, body: Any) -> list[Delivery]:
        """A ``webhookUrl`` delivery: the batch status object, read like a poll's answer.

        Seed 003 says only that the batch's information is delivered when complete; a body
        naming no ``batchId`` cannot be matched to a job and is left to polling.
        """
        if not isinstance(body, dict):
            raise ValueError("a FullContact delivery is a JSON object")
        batch_id, response = body.get("batchId"), body.get("response")
        if batch_id is None:
            return []
        if not (isinstance(batch_id, str) and batch_id):
            raise ValueError("batchId must be a non-empty string")
        if body.get("completed") is not True:
            return []
        if not isinstance(response, dict) or not isinstance(response.get("emails") or {}, dict):
            raise ValueError("a completed batch needs a response object with an emails object")
        lists = [response.get(f) or [] for f in ("unknownEmails", "failedEmails")]
        if not all(isinstance(v, list) and all(isinstance(e, str) for e in v) for v in lists):
            raise ValueError("unknownEmails and failedEmails must be lists of addresses")
        return [Delivery(batch_id, response)]

    def parse_delivery(self, job: JobRef, result: Any) -> dict[str, Answer]:
        return self._answers(job.keys, result)

    def _answers(self, keys: Sequence[str], response: Mapping[str, Any]) -> dict[str, Answer]:
        emails = response.get("emails") if isinstance(response.get("emails"), dict) else {}
        unknown = set(response.get("unknownEmails") or ())
        failed = set(response.get("failedEmails") or ())
        answers: dict[str, Answer] = {}
        for key in keys:
            entry = emails.get(key)
            if isinstance(entry, dict):
                answers[key] = self._answer(Operation.VERIFY, key, entry,
                                            **verification_fields(entry, key))
            elif key in unknown:
                answers[key] = self._unknown(Operation.VERIFY, key, "unknown_email",
                                             retryable=True, raw={"unknownEmails": [key]})
            elif key in failed:
                answers[key] = self._unknown(Operation.VERIFY, key, "failed_email",
                                             retryable=True, raw={"failedEmails": [key]})
            else:
                answers[key] = self._unknown(Operation.VERIFY, key, "not_returned",
                                             retryable=True)
        return answers
