"""Dropcontact: verify, find and enrich through batch jobs (seeds 000 and 001).

v1 by default (``POST /v1/enrich/all`` then ``GET /v1/enrich/all/{id}`` at
``https://api.dropcontact.com``); the legacy ``/batch`` endpoints of seed 000 (at
``https://api.dropcontact.io``) with ``options["api"] == "legacy"``. Each API has its
own base URL, both overridable. On v1, answers are matched to inputs by our key in
``custom_fields``; legacy requests carry only the fields seed 000 lists (no
``custom_fields``), so legacy answers are matched by position, checked against what
was sent. How answers are read is in :mod:`._dropcontact_map`; pushes in
:mod:`._dropcontact_hooks`. Webhooks only make answers arrive sooner: polling always
works without them (except for a submit acknowledged without any ``request_id``,
whose results can only be pushed).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from ..config import Settings
from ..exceptions import (
    AuthenticationError,
    BadRequestError,
    ProviderError,
    ProviderResponseError,
    ProviderUnavailable,
    QuotaExceededError,
    RateLimitError,
)
from ..http import Ambiguous, Auth, ErrorRule, HttpClient, RetryPolicy
from ..models import ENRICHMENT_FIELDS, Answer, Operation, Status
from ._dropcontact_hooks import BATCH_FIELD, KEY_FIELD, REF_PREFIX, DropcontactPushes, ours
from ._dropcontact_map import emails_of, is_processed, qualification_fields, ranked
from ._http_provider import HttpProvider
from .base import JobRef, Submission, Task

__all__ = ["LEGACY_BASE_URL", "DropcontactProvider", "qualification_fields"]

#: seed 000's host for ``/batch``
LEGACY_BASE_URL = "https://api.dropcontact.io"
#: the contact fields v1 accepts (seed 001)
INPUT_FIELDS = ("email", "first_name", "last_name", "full_name", "phone", "company", "website",
                "num_siren", "linkedin", "siret", "country", "job", "company_linkedin")
#: the contact fields legacy ``/batch`` lists (seed 000, "API fields")
LEGACY_FIELDS = ("email", "first_name", "last_name", "full_name", "phone", "company", "website")
#: seed 001: "One contact data must be less than 15 kB"
MAX_CONTACT_BYTES = 15 * 1024
#: a submit's ``credits_left`` answers ``credits()`` for this long without a call
CREDITS_FRESH = 60.0
_NOT_READY = "not ready"


def contact_size(contact: Mapping[str, Any]) -> int:
    """Bytes of one contact as JSON, measured the way it is sent."""
    return len(json.dumps(contact, ensure_ascii=False).encode())


class DropcontactProvider(DropcontactPushes, HttpProvider):
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

    def __init__(self, client: HttpClient, options: Mapping[str, Any] | None = None,
                 legacy_client: HttpClient | None = None) -> None:
        super().__init__(client, options)
        #: the session to seed 000's host; ``client`` goes to v1's
        self.legacy_client = legacy_client or client
        self._credits: tuple[int, float] | None = None

    @classmethod
    def from_settings(cls, settings: Settings, *,
                      policy: RetryPolicy | None = None) -> DropcontactProvider:
        provider = super().from_settings(settings, policy=policy)
        legacy = str(provider.options.get("legacy_base_url") or LEGACY_BASE_URL).rstrip("/")
        if legacy != provider.client.base_url:
            provider.legacy_client = cls._client(settings, legacy, policy)
        return provider

    def close(self) -> None:
        super().close()
        if self.legacy_client is not self.client:
            self.legacy_client.close()

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

    # ----- submit ----------------------------------------------------------------------
    def _contact(self, operation: Operation, task: Task, batch: str) -> dict[str, Any]:
        p, legacy = task.payload, self.api == "legacy"
        if operation is Operation.VERIFY:
            contact: dict[str, Any] = {"email": task.key}
        else:
            fields = LEGACY_FIELDS if legacy else INPUT_FIELDS
            contact = {f: p[f] for f in fields if p.get(f) not in (None, "")}
            if operation is Operation.FIND and p.get("domain") and not contact.get("website"):
                contact["website"] = p["domain"]
        if not legacy:  # users' own custom_fields go along; ours sit beside them
            theirs = p.get("custom_fields")
            custom = {str(k): v for k, v in theirs.items()} if isinstance(theirs, Mapping) else {}
            contact["custom_fields"] = {**custom, KEY_FIELD: task.key, BATCH_FIELD: batch}
        return contact

    def submit(self, operation: Operation, tasks: Sequence[Task]) -> Submission:
        self._check(operation, tasks)
        batch = uuid.uuid4().hex
        answers: dict[str, Answer] = {}
        sent: list[tuple[Task, dict[str, Any]]] = []
        for task in tasks:
            contact = self._contact(operation, task, batch)
            if contact_size(contact) >= MAX_CONTACT_BYTES:  # refused locally, never billed
                answers[task.key] = self._answer(
                    operation, task.key, status=Status.INVALID, reason="contact_too_large")
            else:
                sent.append((task, contact))
        if not sent:
            return Submission(answers=answers)
        try:
            return self._send(operation, sent, batch, answers)
        except ProviderError as exc:
            if not answers:
                raise
            # the refused contacts' answers are kept; the engine raises the error after
            return Submission(answers=answers, error=exc)

    def _send(self, operation: Operation, sent: list[tuple[Task, dict[str, Any]]], batch: str,
              answers: dict[str, Answer]) -> Submission:
        """POST the batch; the job to poll, or retryable unknowns if the fate is unclear."""
        legacy = self.api == "legacy"
        body: dict[str, Any] = {"data": [c for _, c in sent],
                                "siren": bool(self.options.get("siren", False))}
        if not legacy:
            body["language"] = str(self.options.get("language") or "en")
        callback = str(self.options.get("callback_url") or "") if not legacy else ""
        if callback:
            body["custom_callback_url"] = callback
        client = self.legacy_client if legacy else self.client
        tasks = [t for t, _ in sent]
        try:
            reply = client.call("POST", "/batch" if legacy else "/v1/enrich/all", paid=True,
                                json=body)
        except Ambiguous as exc:
            return Submission(answers={**answers, **self._ambiguous(operation, tasks, exc).answers})
        job_id = self._accepted(reply, bool(callback), batch)
        if job_id is None:
            unclear = Ambiguous("provider_error", f"{self.name}: the submit answer has no id")
            return Submission(answers={**answers,
                                       **self._ambiguous(operation, tasks, unclear).answers})
        meta: dict[str, Any] = {"api": self.api, "batch": batch}
        if job_id.startswith(REF_PREFIX):
            meta["callback_only"] = True
        job = JobRef(provider=self.name, operation=operation, job_id=job_id,
                     keys=tuple(t.key for t in tasks), meta=meta)
        return Submission(answers=answers, job=job)

    def _accepted(self, reply: Any, callback: bool, batch: str) -> str | None:
        """The job id a submit answer gives, or None when it says nothing usable.

        Seed 001 shows three accepting answers: ``{"request_id", "success": true,
        "credits_left"}``, ``{"request_id", "status": "pending"}`` and, with
        ``custom_callback_url``, ``{"status": "success", "message": "Enrichment request
        received."}`` - no id at all: that job is journaled under our batch reference,
        which every contact carries back in ``custom_fields``.
        """
        if not isinstance(reply, dict):
            return None
        if reply.get("error") is True or reply.get("success") is False:
            said = self.client.scrub(str(reply.get("reason") or reply.get("message") or "refused"))
            cls = QuotaExceededError if "credit" in said.lower() else BadRequestError
            raise cls(self.name, said, status_code=200, payload=reply)
        left = reply.get("credits_left")
        if isinstance(left, (int, float)) and not isinstance(left, bool):
            self._credits = (int(left), time.monotonic())
        request_id = reply.get("request_id")
        if isinstance(request_id, (str, int)) and str(request_id):
            return str(request_id)
        if callback and str(reply.get("status", "")).lower() == "success":
            return REF_PREFIX + batch
        return None

    # ----- poll --------------------------------------------------------------------------
    def poll(self, job: JobRef, *, final: bool = False) -> dict[str, Answer] | None:
        """Answers once the job is done; with ``final``, whatever is done so far.

        The final poll first asks normally: a finished job then answers every contact,
        including the ones Dropcontact processed without finding anything. Only an
        unfinished v1 job is asked ``forceResults``; what it hands back unprocessed is
        left out (it stays journaled and is collected by a later poll, at no cost).
        A job acknowledged without an id cannot be polled: only its push answers it.
        """
        if job.meta.get("callback_only"):
            return None
        try:
            data = self._fetch(job, force=False)
            if data is None and final and job.meta.get("api") != "legacy":
                forced = self._fetch(job, force=True)
                return None if forced is None else self._match(job, forced, forced=True)
        except _Ended as ended:
            return {k: self._unknown(job.operation, k, ended.reason, retryable=True)
                    for k in job.keys}
        return None if data is None else self._match(job, data, forced=False)

    def _fetch(self, job: JobRef, *, force: bool) -> list[Any] | None:
        job_id = quote(job.job_id, safe="")
        legacy = job.meta.get("api") == "legacy"
        client = self.legacy_client if legacy else self.client
        path = f"/batch/{job_id}" if legacy else f"/v1/enrich/all/{job_id}"
        params = {"forceResults": "true"} if force else None
        try:
            reply = client.call("GET", path, paid=False, params=params)
        except BadRequestError as exc:
            if exc.status_code == 404:  # seed 000 lists it: the job is gone, at once
                raise _Ended("job_lost") from None
            raise
        if not isinstance(reply, dict):
            raise ProviderResponseError(self.name, "the job answer is not a JSON object")
        data = reply.get("data")
        if reply.get("success") is True and reply.get("error") is not True \
                and isinstance(data, list):
            return data
        said = str(reply.get("reason") or reply.get("message") or "")
        if _NOT_READY in said.lower():
            return None  # "Request not ready yet, try again in 30 seconds"
        if reply.get("error") is True or reply.get("success") is False:
            raise _Ended("provider_error")  # a failed job never becomes ready
        raise ProviderResponseError(self.name, "the job answer has neither data nor a reason")

    def _match(self, job: JobRef, contacts: list[Any], *, forced: bool) -> dict[str, Answer]:
        """Answers keyed by task key; with ``forced``, unprocessed contacts are left out."""
        contacts = [c for c in contacts if isinstance(c, dict)]
        wanted = set(job.keys)
        pairs = [(key, c) for c in contacts if (key := ours(c)[0]) in wanted]
        if not pairs and job.meta.get("api") == "legacy":
            pairs = self._by_position(job, contacts)
        if not pairs and contacts:
            return {k: self._unknown(job.operation, k, "provider_error", retryable=True)
                    for k in job.keys}
        return {key: self._map(job.operation, key, contact) for key, contact in pairs
                if not forced or is_processed(contact)}

    def _by_position(self, job: JobRef, contacts: list[dict[str, Any]]
                     ) -> list[tuple[str, dict[str, Any]]]:
        """Legacy answers in the order sent (seed 000's example keeps it), if they fit.

        The count must match, and a verified address must be among those answered at
        its position; otherwise nothing is guessed.
        """
        if len(contacts) != len(job.keys):
            return []
        for key, contact in zip(job.keys, contacts, strict=True):
            addresses = {e["email"].lower() for e in emails_of(contact)}
            if job.operation is Operation.VERIFY and addresses and key not in addresses:
                return []
        return list(zip(job.keys, contacts, strict=True))

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
        entry = next((e for e in emails_of(contact) if e["email"].lower() == key.lower()), None)
        if entry is None:
            return self._unknown(Operation.VERIFY, key, "not_returned", retryable=False,
                                 raw=contact)
        fields = qualification_fields(entry["qualification"])
        if fields is None:  # the label is kept in raw["email"]
            fields = {"status": Status.UNKNOWN, "reason": "unrecognized_qualification"}
        return self._answer(Operation.VERIFY, key, contact, address=entry["email"].lower(),
                            **fields)

    def _found(self, key: str, contact: dict[str, Any]) -> Answer:
        best = [r for r in ranked(emails_of(contact)) if r[1] in ("nominative", "non_confirm")]
        echo = {f: str(contact[f]) for f in ("first_name", "last_name", "company")
                if contact.get(f)}
        if not best:
            return self._answer(Operation.FIND, key, contact, status=Status.UNKNOWN,
                                reason="not_found", email=None, **echo)
        (entry, local, domain), others = best[0], best[1:]
        confidence = 0.6 if local == "non_confirm" else 0.9 if domain == "pro" else 0.7
        fields = qualification_fields(entry["qualification"]) or {}
        return self._answer(
            Operation.FIND, key, contact, status=fields.get("status", Status.UNKNOWN),
            reason=fields.get("reason"), email=entry["email"], confidence=confidence,
            candidates=[e["email"] for e, _, _ in others],
            domain=entry["email"].rpartition("@")[2].lower(), **echo,
        )

    def _enrichment(self, key: str, contact: dict[str, Any]) -> Answer:
        emails = emails_of(contact)
        usable = ranked(emails)
        best = usable[0][0] if usable else None
        fields = (qualification_fields(best["qualification"]) if best else None) or {
            "status": Status.UNKNOWN, "reason": "not_found"}
        text = {f: str(contact[f]) for f in ENRICHMENT_FIELDS
                if f not in ("email", "qualification") and contact.get(f) not in (None, "")}
        custom = contact.get("custom_fields")
        theirs = {k: v for k, v in custom.items() if k not in (KEY_FIELD, BATCH_FIELD)} \
            if isinstance(custom, dict) else {}
        return self._answer(
            Operation.ENRICH, key, contact, status=fields["status"], reason=fields["reason"],
            email=best["email"] if best else None,
            qualification=best["qualification"] if best else None, emails=emails,
            custom_fields=theirs, **text,
        )

    # ----- balance ---------------------------------------------------------------------
    def credits(self) -> int | None:
        """Credits left: the last submit's ``credits_left`` if recent, else the free check.

        The check is seed 001's ``POST /v1/enrich/all {"data": [{}]}`` on v1's host,
        whichever API submits (seed 000 documents no free check for ``/batch``).
        """
        if self._credits is not None and time.monotonic() - self._credits[1] < CREDITS_FRESH:
            return self._credits[0]
        reply = self.client.call("POST", "/v1/enrich/all", paid=False, json={"data": [{}]})
        left = reply.get("credits_left") if isinstance(reply, dict) else None
        if not isinstance(left, (int, float)) or isinstance(left, bool):
            return None
        self._credits = (int(left), time.monotonic())
        return int(left)


class _Ended(Exception):
    """A poll answer saying the job will never be ready (``reason`` for its contacts)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
