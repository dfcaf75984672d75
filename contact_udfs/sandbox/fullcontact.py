"""FullContact email verification v2 (seed 003): single GET, batch POST, batch poll.

Auth is the ``apiKey`` query parameter. Seed 003 documents 403 for "no api key ... or
the api key has exceeded its rate limits" and shows no error body, so the ``fullcontact_403``
reading decides whether a 403 says which it is ("worded") or not ("bare"); running out
of credits is not documented at all and answers a worded-quota 403 under "worded".
Batch answers are keyed by each email exactly as sent; auto-corrected addresses
(``.ocm`` -> ``.com``) are judged *after* correction, as the seed's example shows.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from .emailaddr import correct_email, normalize_email, split_email
from .faults import Fault
from .messages import Reply, Request, json_reply
from .state import Job, State
from .webhooks import schedule
from .world import World

PROVIDER = "fullcontact"
MAX_BATCH = 300
MSG_NO_KEY = "API Key is missing or invalid."
MSG_QUOTA = "Usage quota for the provided API Key has been exceeded (no credits left)."
MSG_RATE = "Rate limit for the provided API Key has been exceeded. Please try again later."


def _error(status: int, message: str) -> Reply:
    return json_reply(status, {"status": status, "message": message})


def verify_one(world: World, queried: str,
               spamtraps: bool = False) -> tuple[str, dict[str, Any] | None]:
    """("emails", result) | ("unknownEmails", None) | ("failedEmails", None)."""
    address, corrected = correct_email(queried)
    verdict = world.verdict(address)
    if verdict.fullcontact_failed:
        return "failedEmails", None
    if verdict.status == "unknown":
        return "unknownEmails", None
    username, domain = split_email(address)
    deliverable = verdict.status in ("deliverable", "risky")
    trap = spamtraps and verdict.spamtrap
    if not verdict.syntax_valid:
        message = "Invalid email address syntax"
    elif verdict.disposable:
        message = "Disposable email address"
    elif verdict.accept_all:
        message = "Catch-all domain: the mailbox cannot be confirmed"
    elif trap:
        message = "Risky email address"
    elif deliverable:
        message = "Valid email address"
    else:
        message = "Invalid email address"
    result: dict[str, Any] = {
        "message": message, "address": address, "username": username, "domain": domain,
        "corrected": corrected, "sendSafely": verdict.status == "deliverable" and not trap,
        "attributes": {"validSyntax": verdict.syntax_valid, "deliverable": deliverable,
                       "catchall": verdict.accept_all, "risky": trap,
                       "disposable": verdict.disposable},
        "person": f"https://api.fullcontact.com/v2/person.json?email={address}&apiKey=",
    }
    if verdict.syntax_valid and not verdict.free and not verdict.disposable:
        result["company"] = (
            f"https://api.fullcontact.com/v2/company/lookup.json?domain={domain}&apiKey=")
    return "emails", result


def verify_batch(world: World, emails: list[str], spamtraps: bool = False) -> dict[str, Any]:
    """The ``response`` object of a completed batch."""
    out: dict[str, Any] = {"status": 200, "requestId": str(uuid.uuid4()), "emails": {},
                           "unknownEmails": [], "failedEmails": []}
    for queried in emails:
        bucket, result = verify_one(world, queried, spamtraps)
        if bucket == "emails":
            out["emails"][queried] = result
        elif queried not in out[bucket]:
            out[bucket].append(queried)
    return out


class FullContactAPI:
    """Handlers for every FullContact path under ``/fullcontact``."""

    provider = PROVIDER

    def __init__(self, state: State, world: World, key: str) -> None:
        self.state, self.world, self.key = state, world, key

    def endpoint(self, req: Request) -> str | None:
        p, m = req.path, req.method
        if p == "/v2/verification/email" and m == "GET":
            return "fullcontact.single"
        if p in ("/v2/verification/emails", "/v2/verification/emails.json") and m == "POST":
            return "fullcontact.submit"
        if p.startswith("/v2/verification/emails/") and m == "GET" and p.count("/") == 4:
            return "fullcontact.poll"
        return None

    def error_reply(self, status: int, message: str) -> Reply:
        return _error(status, message)

    def _forbidden(self, message: str) -> Reply:
        """A 403; under the "bare" reading it does not say why (seed 003 shows no body)."""
        if self.state.readings.fullcontact_403 == "bare":
            return json_reply(403, {"status": 403})
        return _error(403, message)

    def throttled_reply(self, retry_after: int) -> Reply:
        reply = _error(429, "Too Many Requests")
        reply.headers["Retry-After"] = str(retry_after)
        return reply

    def handle(self, endpoint: str, req: Request, fault: Fault | None) -> Reply:
        if req.query.get("apiKey", "") != self.key:
            return self._forbidden(MSG_NO_KEY)
        decision = self.state.rate_hit(PROVIDER)
        if decision is not None and not decision.allowed:
            self.state.count_rate_limited(PROVIDER)
            return self._forbidden(MSG_RATE)
        if endpoint == "fullcontact.single":
            return self._single(req)
        if endpoint == "fullcontact.submit":
            return self._submit(req, never_ready=fault is Fault.NEVER_READY)
        return self._poll(req)

    def _single(self, req: Request) -> Reply:
        queried = req.query.get("email", "")
        if not queried.strip():
            return _error(400, "Missing required parameter: email")
        if self.state.charge(PROVIDER, [normalize_email(queried)]) is None:
            return self._forbidden(MSG_QUOTA)
        bucket, result = verify_one(self.world, queried, self.state.readings.spamtraps)
        body: dict[str, Any] = {"status": 200, "requestId": str(uuid.uuid4())}
        body[bucket] = {queried: result} if bucket == "emails" else [queried]
        return json_reply(200, body)

    def _submit(self, req: Request, never_ready: bool) -> Reply:
        if not req.is_json():
            return _error(400, "Malformed request: Content-Type must be application/json.")
        try:
            body = req.json()
        except (ValueError, UnicodeDecodeError):
            return _error(400, "Malformed request body: expected JSON.")
        if not isinstance(body, dict) or not isinstance(body.get("emails"), list):
            return _error(400, "Malformed request body: 'emails' must be an array.")
        emails = body["emails"]
        if not emails or not all(isinstance(e, str) for e in emails):
            return _error(400, "'emails' must be a non-empty array of strings.")
        if len(emails) > MAX_BATCH:
            return _error(400, f"Too many emails: {len(emails)} (max {MAX_BATCH}).")
        webhook = body.get("webhookUrl")
        if webhook is not None and not isinstance(webhook, str):
            return _error(400, "'webhookUrl' must be a string.")
        if self.state.charge(PROVIDER, [normalize_email(e) for e in emails]) is None:
            return self._forbidden(MSG_QUOTA)
        batch_id = f"{uuid.uuid4()}-vs"
        results = verify_batch(self.world, emails, self.state.readings.spamtraps)
        job = Job(batch_id, "fullcontact", list(emails), results,
                  time.monotonic(), never_ready=never_ready, meta={"webhookUrl": webhook})
        self.state.add_job(job)
        reply = json_reply(200, {"batchId": batch_id, "webhookUrl": webhook, "completed": False})
        if webhook and not never_ready:
            reply.after.append(schedule(self.state, PROVIDER, batch_id, [webhook],
                                        lambda: self._pushed(job)))
        return reply

    def _pushed(self, job: Job) -> dict[str, Any]:
        """The webhook body under the reading in force (seed 003 does not show it)."""
        status = self._status(job, True)
        return status["response"] if self.state.readings.fullcontact_push == "response" \
            else status  # fmt: skip

    @staticmethod
    def _status(job: Job, ready: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"batchId": job.id, "webhookUrl": job.meta.get("webhookUrl"),
                               "completed": ready}
        if ready:
            out["response"] = job.results
        return out

    def _poll(self, req: Request) -> Reply:
        batch_id = req.path.rsplit("/", 1)[1]
        existing = self.state.get_job(batch_id)
        if existing is None or existing.kind != "fullcontact":
            return _error(404, "Batch not found.")
        job, ready = self.state.poll_job(batch_id)
        assert job is not None
        return json_reply(200, self._status(job, ready))
