"""ColdLead v1 (seed 004): account, verify and finder, one call per address.

ColdLead has no batch endpoint, so its fixed rate window (200 per minute by default,
``X-RateLimit-*`` headers on every answer, 429 with ``Retry-After`` beyond) is what a
client's pacing is tested against. Every answered verify or finder call costs a credit,
a finder miss answered ``"email": null`` included.

Seed 004 does not show a finder miss nor bad syntax on verify; the readings
``coldlead_finder_miss`` ("null": a billed 200 with ``"email": null``, or "404": a free
Not Found) and ``coldlead_bad_syntax`` ("422": a free Validation Error, or "billed": a
billed 200 ``undeliverable``/``invalid_email``) choose the answer.
"""

from __future__ import annotations

import math
import time
import uuid
from typing import Any

from .emailaddr import domain_from_website, fold, normalize_email, valid_syntax
from .faults import Fault
from .messages import Reply, Request, json_reply
from .state import RateDecision, State
from .world import World

PROVIDER = "coldlead"


def _message(status: int, message: str, errors: dict[str, list[str]] | None = None) -> Reply:
    body: dict[str, Any] = {"message": message}
    if errors:
        body["errors"] = errors
    return json_reply(status, body)


def _rate_headers(decision: RateDecision, throttled: bool) -> dict[str, str]:
    headers = {"X-RateLimit-Limit": str(decision.limit),
               "X-RateLimit-Remaining": str(decision.remaining)}
    if throttled:
        headers["X-RateLimit-Reset"] = str(decision.reset_epoch)
        headers["Retry-After"] = str(decision.retry_after)
    return headers


class ColdLeadAPI:
    """Handlers for every ColdLead path under ``/coldlead``."""

    provider = PROVIDER

    def __init__(self, state: State, world: World, key: str) -> None:
        self.state, self.world, self.key = state, world, key
        self.account_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"coldlead-sandbox-{world.seed}"))

    def endpoint(self, req: Request) -> str | None:
        if req.method not in ("GET", "POST"):
            return None
        return {"/v1/account": "coldlead.account", "/v1/verify": "coldlead.verify",
                "/v1/finder": "coldlead.finder"}.get(req.path)

    def error_reply(self, status: int, message: str) -> Reply:
        return _message(status, message)

    def throttled_reply(self, retry_after: int) -> Reply:
        peek = self.state.rate_peek(PROVIDER)
        limit = peek.limit if peek else 200
        reset = math.ceil(time.time() + retry_after)
        decision = RateDecision(False, limit, 0, reset, retry_after)
        return Reply(429, {"message": "Too Many Attempts."}, _rate_headers(decision, True))

    def handle(self, endpoint: str, req: Request, fault: Fault | None) -> Reply:
        auth = (req.headers.get("Authorization") or "").strip()
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self.key:
            return _message(401, "Unauthenticated.")
        decision = self.state.rate_hit(PROVIDER)
        if decision is not None and not decision.allowed:
            self.state.count_429(PROVIDER)
            return Reply(429, {"message": "Too Many Attempts."}, _rate_headers(decision, True))
        if endpoint == "coldlead.account":
            reply = self._account()
        elif endpoint == "coldlead.verify":
            reply = self._verify(req.params())
        else:
            reply = self._finder(req.params())
        if decision is not None:
            reply.headers.update(_rate_headers(decision, False))
        return reply

    def _account(self) -> Reply:
        return json_reply(200, {"data": {
            "id": self.account_id, "email": "sandbox@contact-udfs.test",
            "name": "Sandbox User", "company_name": "contact_udfs sandbox", "plan": "Pro",
            "credit_balance": self.state.balance(PROVIDER)}})

    def _verify(self, params: dict[str, str]) -> Reply:
        email = (params.get("email") or "").strip()
        if not email:
            return _message(400, "The email field is required.",
                            {"email": ["The email field is required."]})
        billed_bad_syntax = self.state.readings.coldlead_bad_syntax == "billed"
        if not valid_syntax(email) and not billed_bad_syntax:
            msg = "The email must be a valid email address."
            return _message(422, msg, {"email": [msg]})
        key = normalize_email(email)
        if self.state.charge(PROVIDER, [key]) is None:
            return _message(402, "Over quota")
        v = self.world.verdict(key)
        if not v.syntax_valid:  # the documented reason for it, in a documented status
            return json_reply(200, {"data": {
                "email": key, "username": v.local, "domain": v.domain,
                "status": "undeliverable", "reason": "invalid_email", "accept_all": False,
                "disposable": False, "role_address": False, "free": False}})
        return json_reply(200, {"data": {
            "email": key, "username": v.local, "domain": v.domain, "status": v.status,
            "reason": v.reason, "accept_all": v.accept_all, "disposable": v.disposable,
            "role_address": v.role, "free": v.free}})

    def _finder(self, params: dict[str, str]) -> Reply:
        name = " ".join((params.get("name") or "").split())
        raw_domain = (params.get("domain") or "").strip()
        missing = [f for f, v in (("name", name), ("domain", raw_domain)) if not v]
        if missing:
            return _message(400, f"The {' and '.join(missing)} field(s) are required.",
                            {f: [f"The {f} field is required."] for f in missing})
        domain = domain_from_website(raw_domain)
        if not valid_syntax(f"x@{domain}"):
            msg = "The domain must be a valid domain."
            return _message(422, msg, {"domain": [msg]})
        person = self.world.find_person(name, domain)
        missed = person is None or not person.coldlead_findable
        if missed and self.state.readings.coldlead_finder_miss == "404":
            if self.state.balance(PROVIDER) < 1:
                return _message(402, "Over quota")
            return _message(404, "No email address found for this person.")
        if self.state.charge(PROVIDER, [f"finder:{fold(name)}@{domain}"]) is None:
            return _message(402, "Over quota")
        company = self.world.company_by_domain(domain)
        accept_all = company.catch_all if company else self.world.verdict(f"x@{domain}").accept_all
        if person is None or not person.coldlead_findable:
            return json_reply(200, {"data": {"email": None, "name": name, "domain": domain,
                                             "status": "unknown", "accept_all": accept_all}})
        status = self.world.verdict(person.email).status
        return json_reply(200, {"data": {
            "email": person.email, "name": name, "domain": domain,
            "status": status if status in ("deliverable", "risky") else "unknown",
            "accept_all": accept_all}})
