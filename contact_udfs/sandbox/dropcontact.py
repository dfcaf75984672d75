"""Dropcontact v1 (``/v1/enrich/all``, webhook subscriptions) and legacy ``/batch``.

Follows seeds 000/001: ``X-Access-Token`` auth, at most 250 contacts of 15 kB each, one
credit per non-empty contact charged at submit, ``{"data": [{}]}`` as a free balance
check, "not ready" answers until the job is done. v1 lives on one host
(api.dropcontact.com, the ``/dropcontact`` prefix) and legacy ``/batch`` on another
(api.dropcontact.io, ``/dropcontact-legacy``); neither answers the other's paths.

Where the seeds are silent, :class:`DropcontactReadings` holds each plausible reading as a
knob
(``Sandbox.dropcontact_reading``), so the client is tested under every one of them.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, fields
from typing import Any

from .enrich import contact_key, enrich_contact
from .faults import Fault
from .messages import Reply, Request, json_reply
from .state import Job, State
from .webhooks import schedule
from .world import World

PROVIDER = "dropcontact"
MAX_CONTACTS = 250
MAX_CONTACT_BYTES = 15 * 1024
NOT_READY = {"error": False, "reason": "Request not ready yet, try again in 30 seconds",
             "success": False}
EVENT_TYPES = ("enrich_api_result",)
#: seed 001 "Response Fields" (what a processed contact may gain)
OUTPUT_FIELDS = ("civility", "first_name", "last_name", "full_name", "email", "phone",
                 "mobile_phone", "company", "website", "linkedin", "siren", "siret",
                 "siret_address", "vat", "nb_employees", "naf5_code", "naf5_des", "siret_zip",
                 "siret_city", "country", "company_linkedin", "company_turnover",
                 "company_results", "job", "job_level", "job_function")
#: seed 000 "Response fields": all a legacy ``/batch`` contact holds
LEGACY_OUTPUT = ("civility", "first_name", "last_name", "full_name", "email", "phone",
                 "company", "website", "linkedin", "facebook", "twitter", "siren", "siret",
                 "siret_address", "vat", "nb_employees", "naf5_code", "naf5_des")
CALLBACK_ACK = {"status": "success", "message": "Enrichment request received."}


@dataclass
class DropcontactReadings:
    """The readings of what seeds 000/001 leave open; defaults are the first shown."""

    #: ``forceResults`` unprocessed contacts: "exact" input echo, or "padded" with the
    #: output fields as null
    force_echo: str = "exact"
    #: a poll of an id the vendor does not know: "not_ready" forever, or "404"
    unknown_id: str = "not_ready"
    #: legacy ``/batch`` answers echo ``custom_fields`` (True) or drop them (False)
    legacy_echo: bool = True
    #: the submit answer: "request_id" (``{error, request_id, success, credits_left}``),
    #: "pending" (``{request_id, status: "pending"}``) or "callback_ack" (with
    #: ``custom_callback_url``: ``{"status": "success", "message": ...}``, no id)
    submit_reply: str = "request_id"
    #: a reason to fail every unfinished job with (``error: true`` on poll), or None
    job_error: str | None = None
    #: pushes name the job's ``request_id`` (True), or leave it ``""`` as seed 001's
    #: example does (False)
    push_request_id: bool = True

    _CHOICES = {"force_echo": ("exact", "padded"), "unknown_id": ("not_ready", "404"),
                "submit_reply": ("request_id", "pending", "callback_ack")}

    def set(self, **changes: Any) -> None:
        names = {f.name for f in fields(self)}
        for name, value in changes.items():
            if name not in names:
                raise ValueError(f"unknown Dropcontact reading {name!r}; one of {sorted(names)}")
            allowed = self._CHOICES.get(name)
            if allowed and value not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
            setattr(self, name, value)


def _error(status: int, reason: str) -> Reply:
    return json_reply(status, {"error": True, "reason": reason, "success": False})


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class DropcontactAPI:
    """Handlers for every Dropcontact path under ``/dropcontact``."""

    provider = PROVIDER

    def __init__(self, state: State, world: World, key: str, *, legacy: bool = False,
                 readings: DropcontactReadings | None = None) -> None:
        self.state, self.world, self.key = state, world, key
        #: this host serves seed 000's ``/batch`` (True) or seed 001's v1 paths (False)
        self.legacy = legacy
        self.readings = readings or DropcontactReadings()

    # ----- routing ------------------------------------------------------------------
    def endpoint(self, req: Request) -> str | None:
        p, m = req.path, req.method
        if self.legacy:
            if p == "/batch" and m == "POST":
                return "dropcontact.legacy_submit"
            if p.startswith("/batch/") and m == "GET" and p.count("/") == 2:
                return "dropcontact.legacy_poll"
            return None
        if p == "/v1/enrich/all" and m == "POST":
            return "dropcontact.credits" if self._is_credit_check(req) else "dropcontact.submit"
        if p.startswith("/v1/enrich/all/") and m == "GET" and p.count("/") == 4:
            return "dropcontact.poll"
        if p == "/v1/webhooks/subscriptions" and m in ("GET", "POST"):
            return "dropcontact.webhooks"
        if p.startswith("/v1/webhooks/subscriptions/") and m in ("GET", "PUT", "DELETE"):
            return "dropcontact.webhooks"
        return None

    @staticmethod
    def _is_credit_check(req: Request) -> bool:
        try:
            data = req.json().get("data")
        except (ValueError, AttributeError):
            return False
        return isinstance(data, list) and bool(data) and all(c == {} for c in data)

    def error_reply(self, status: int, message: str) -> Reply:
        return _error(status, message)

    def throttled_reply(self, retry_after: int) -> Reply:
        reply = _error(429, "Too many requests in a given slot of time.")
        reply.headers["Retry-After"] = str(retry_after)
        return reply

    # ----- handling -----------------------------------------------------------------
    def handle(self, endpoint: str, req: Request, fault: Fault | None) -> Reply:
        if (req.headers.get("X-Access-Token") or "").strip() != self.key:
            return _error(401, "Your access token is wrong.")
        decision = self.state.rate_hit(PROVIDER)
        if decision is not None and not decision.allowed:
            self.state.count_429(PROVIDER)
            return self.throttled_reply(decision.retry_after)
        never_ready = fault is Fault.NEVER_READY
        if endpoint in ("dropcontact.submit", "dropcontact.credits"):
            return self._submit(req, legacy=False, never_ready=never_ready)
        if endpoint == "dropcontact.legacy_submit":
            return self._submit(req, legacy=True, never_ready=never_ready)
        if endpoint in ("dropcontact.poll", "dropcontact.legacy_poll"):
            return self._poll(req, legacy=endpoint == "dropcontact.legacy_poll")
        return self._webhooks(req)

    def _submit(self, req: Request, legacy: bool, never_ready: bool) -> Reply:
        if not req.is_json():
            return _error(400, "Your request is invalid: Content-Type must be application/json.")
        try:
            body = req.json()
        except (ValueError, UnicodeDecodeError):
            return _error(400, "Your request is invalid: the body must be JSON.")
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            return _error(400, "Your request is invalid: 'data' must be a list of contacts.")
        data = body["data"]
        if not data:
            return _error(400, "Your request is invalid: 'data' is empty.")
        if len(data) > MAX_CONTACTS:
            return _error(400, f"Too many contacts: {len(data)} (max {MAX_CONTACTS} per request).")
        for i, contact in enumerate(data):
            if not isinstance(contact, dict):
                return _error(400, f"Your request is invalid: contact {i} is not an object.")
            if len(json.dumps(contact, ensure_ascii=False).encode()) > MAX_CONTACT_BYTES:
                return _error(400, f"Contact {i} is larger than 15 kB.")
        callback = body.get("custom_callback_url")
        if callback is not None and not isinstance(callback, str):
            return _error(400, "custom_callback_url must be a string.")
        request_id = uuid.uuid4().hex
        keys = [contact_key(c) for c in data if c]
        if not keys:  # {"data": [{}]}: the documented free credit check
            return json_reply(200, {"error": False, "request_id": request_id, "success": True,
                                    "credits_left": self.state.balance(PROVIDER)})
        left = self.state.charge(PROVIDER, keys)
        if left is None:
            return _error(403, "Token exceeded quota")
        language = "en" if legacy or body.get("language") == "en" else "fr"
        siren = body.get("siren") is True
        results = [enrich_contact(self.world, c, siren=siren, language=language) if c else {}
                   for c in data]
        if legacy:
            results = [self._legacy_result(c) for c in results]
        job = Job(request_id, "dropcontact_legacy" if legacy else "dropcontact", list(data),
                  results, time.monotonic(), never_ready=never_ready)
        self.state.add_job(job)
        shape = "request_id" if legacy else self.readings.submit_reply
        if shape == "callback_ack" and callback:
            reply = json_reply(200, dict(CALLBACK_ACK))
        elif shape == "pending":
            reply = json_reply(200, {"request_id": request_id, "status": "pending"})
        else:
            reply = json_reply(200, {"error": False, "request_id": request_id, "success": True,
                                     "credits_left": left})
        targets = [] if legacy else self._webhook_targets(callback)
        if targets and not never_ready:
            reply.after.append(schedule(self.state, PROVIDER, request_id, targets,
                                        lambda: self._webhook_payload(job)))
        return reply

    def _webhook_targets(self, callback: str | None) -> list[str]:
        with self.state.lock:
            subs = [s["callback_url"] for s in self.state.subscriptions.values() if s["active"]]
        return ([callback] if callback else []) + subs

    def _webhook_payload(self, job: Job) -> list[dict[str, Any]]:
        request_id = job.id if self.readings.push_request_id else ""  # seed 001 shows ""
        return [{"id": uuid.uuid4().hex, "version": 1, "event_type": "enrich_api_result",
                 "occurred_at": int(time.time()),
                 "data": {"data": job.results, "request_id": request_id}}]

    def _legacy_result(self, contact: dict[str, Any]) -> dict[str, Any]:
        """A contact as seed 000 answers it: its response fields only."""
        out = {k: v for k, v in contact.items() if k in LEGACY_OUTPUT}
        linkedin = contact.get("linkedin")
        if isinstance(linkedin, str) and "/in/" in linkedin:
            handle = linkedin.rstrip("/").rsplit("/", 1)[1]
            out["facebook"] = f"https://www.facebook.com/{handle}"
            out["twitter"] = f"https://twitter.com/{handle.replace('-', '_')[:15]}"
        if self.readings.legacy_echo and "custom_fields" in contact:
            out["custom_fields"] = contact["custom_fields"]
        return out

    def _poll(self, req: Request, legacy: bool) -> Reply:
        job_id = req.path.rsplit("/", 1)[1]
        kind = "dropcontact_legacy" if legacy else "dropcontact"
        existing = self.state.get_job(job_id)
        if existing is None or existing.kind != kind:
            if self.readings.unknown_id == "404":  # seed 000 lists 404 "Not Found"
                return _error(404, "The specified resource could not be found.")
            return json_reply(200, NOT_READY)
        job, ready = self.state.poll_job(job_id)
        assert job is not None
        if ready:
            return json_reply(200, {"data": job.results, "error": False, "success": True})
        if self.readings.job_error:
            return _error(200, self.readings.job_error)
        force = req.query.get("forceResults", "").lower() in ("true", "1", "yes")
        if force and not job.never_ready and not legacy:
            done = len(job.inputs) // 2
            partial = job.results[:done] + [self._unprocessed(c) for c in job.inputs[done:]]
            return json_reply(200, {"data": partial, "error": False, "success": True})
        return json_reply(200, NOT_READY)

    def _unprocessed(self, contact: dict[str, Any]) -> dict[str, Any]:
        """Seed 001: "Unprocessed contacts will return their input data" - as sent, or
        with the output fields it lacks serialized as null."""
        echo = dict(contact)
        if self.readings.force_echo == "padded":
            for name in OUTPUT_FIELDS:
                echo.setdefault(name, None)
        return echo

    # ----- webhook subscriptions ------------------------------------------------------
    def _webhooks(self, req: Request) -> Reply:
        sub_id = req.path.rsplit("/", 1)[1] if req.path.count("/") == 4 else None
        if sub_id is None and req.method == "GET":
            with self.state.lock:
                subs = [dict(s) for s in self.state.subscriptions.values()]
            return json_reply(200, {"error": False, "data": subs})
        if sub_id is None:
            return self._create_subscription(req)
        with self.state.lock:
            existing = self.state.subscriptions.get(sub_id)
            if existing is None:
                return _error(404, "The specified subscription could not be found.")
            if req.method == "GET":
                return json_reply(200, {"error": False, "data": dict(existing)})
            if req.method == "DELETE":
                del self.state.subscriptions[sub_id]
                return json_reply(200, {"id": sub_id, "message": "Subscription deleted."})
        return self._update_subscription(req, sub_id)

    def _create_subscription(self, req: Request) -> Reply:
        body = _json_object(req)
        if not isinstance(body, dict):
            return body
        if body.get("event_type") not in EVENT_TYPES:
            return _error(400, f"event_type must be one of {list(EVENT_TYPES)}.")
        if "active" not in body:
            return _error(400, "active is required.")
        if "callback_url" not in body:
            return _error(400, "callback_url is required.")
        problem = _validate_fields(body)
        if problem:
            return _error(400, problem)
        sub_id = uuid.uuid4().hex
        sub = {"id": sub_id, "event_type": body["event_type"], "active": body["active"],
               "callback_url": body["callback_url"], "period_s": body.get("period_s", 5),
               "max_webhooks_per_period": body.get("max_webhooks_per_period", 30)}
        with self.state.lock:
            self.state.subscriptions[sub_id] = sub
        return json_reply(200, {"id": sub_id,
                                "message": "Webhook subscription created successfully."})

    def _update_subscription(self, req: Request, sub_id: str) -> Reply:
        body = _json_object(req)
        if not isinstance(body, dict):
            return body
        with self.state.lock:
            sub = self.state.subscriptions.get(sub_id)
            if sub is None:
                return _error(404, "The specified subscription could not be found.")
            if "event_type" in body and body["event_type"] != sub["event_type"]:
                return _error(400, "event_type cannot be changed; delete and recreate.")
            problem = _validate_fields(body)
            if problem:
                return _error(400, problem)
            for name in ("active", "callback_url", "period_s", "max_webhooks_per_period"):
                if name in body:
                    sub[name] = body[name]
            return json_reply(200, {"id": sub_id, "message": "Subscription updated.",
                                    "data": dict(sub)})


def _validate_fields(body: dict[str, Any]) -> str | None:
    """Checks shared by create and edit (only for the fields present)."""
    if "active" in body and not isinstance(body["active"], bool):
        return "active must be a boolean."
    if "callback_url" in body:
        url = body["callback_url"]
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            return "callback_url must be an http(s) URL."
    if "period_s" in body and not (_is_int(body["period_s"]) and 1 <= body["period_s"] <= 60):
        return "period_s must be an integer between 1 and 60."
    if "max_webhooks_per_period" in body and not (
            _is_int(body["max_webhooks_per_period"])
            and 1 <= body["max_webhooks_per_period"] <= 100):
        return "max_webhooks_per_period must be an integer between 1 and 100."
    return None


def _json_object(req: Request) -> dict[str, Any] | Reply:
    """The request's JSON object body, or the 400 the vendor answers instead."""
    try:
        body = req.json()
    except (ValueError, UnicodeDecodeError):
        return _error(400, "Your request is invalid: the body must be JSON.")
    if not isinstance(body, dict):
        return _error(400, "Your request is invalid: the body must be an object.")
    return body
