"""How a Dropcontact answer is read: the qualification table and the contact shapes.

Seed 000 documents the qualification as ``local@domain`` with five local parts
(``nominative``, ``non_confirm``, ``generic``, ``random``, ``invalid``) and three
domain parts (``pro``, ``perso``, ``invalid``). Those labels, and only those, are
mapped: an unknown label is ``unknown`` (reason ``unrecognized_qualification``) with
the vendor's contact, label included, kept in ``raw`` - guessing at vocabulary no seed
documents would turn a vendor change into silent wrong verdicts.

``generic`` says the address is a role mailbox (support@, contact@), not that the
mailbox was verified: it is ``risky`` with ``role=True`` and reason ``role``, which
:attr:`~contact_udfs.models.Verification.settled` treats as "ask the next provider".

The tables below are the data the code reads; docs/providers.md shows the same
rows and a test keeps the two equal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..models import Status

__all__ = ["DOMAIN_PARTS", "LOCAL_PARTS", "emails_of", "is_processed", "qualification_fields",
           "ranked"]

#: local part -> (status, reason, flags); seed 000 "Local Part Qualification"
LOCAL_PARTS: dict[str, tuple[Status, str, dict[str, bool]]] = {
    "nominative": (Status.DELIVERABLE, "accepted_email", {}),
    "non_confirm": (Status.RISKY, "accept_all", {"catch_all": True}),
    "generic": (Status.RISKY, "role", {"role": True}),
    "random": (Status.RISKY, "random", {}),
    "invalid": (Status.UNDELIVERABLE, "rejected_email", {}),
}
#: domain part -> flags, or a verdict that overrides the local part; seed 000
#: "Domain Qualification"
DOMAIN_PARTS: dict[str, tuple[Status, str] | dict[str, bool]] = {
    "pro": {"free": False},
    "perso": {"free": True},
    "invalid": (Status.UNDELIVERABLE, "invalid_domain"),
}
#: which address is "the" address of a contact: lower is better; invalid ones never are
PREFERENCE = {"nominative": 0, "non_confirm": 1, "generic": 2, "random": 3}


def parse(qualification: Any) -> tuple[str, str] | None:
    """``("nominative", "pro")`` for a documented label (case and spaces ignored)."""
    if not isinstance(qualification, str) or "@" not in qualification:
        return None
    local, _, domain = qualification.strip().lower().rpartition("@")
    if local not in LOCAL_PARTS or domain not in DOMAIN_PARTS:
        return None
    return local, domain


def qualification_fields(qualification: Any) -> dict[str, Any] | None:
    """Verification fields for a documented qualification; None if unrecognised."""
    parsed = parse(qualification)
    if parsed is None:
        return None
    local, domain = parsed
    effect = DOMAIN_PARTS[domain]
    if isinstance(effect, tuple):
        return {"status": effect[0], "reason": effect[1]}
    status, reason, flags = LOCAL_PARTS[local]
    return {"status": status, "reason": reason, "role": False, "catch_all": False,
            **effect, **flags}


def emails_of(contact: Mapping[str, Any]) -> list[dict[str, str]]:
    """The ``[{email, qualification}]`` list of an answered contact ([] otherwise)."""
    value = contact.get("email")
    if not isinstance(value, list):
        return []
    return [{"email": str(e["email"]), "qualification": str(e.get("qualification") or "")}
            for e in value if isinstance(e, dict) and e.get("email")]


def is_processed(contact: Mapping[str, Any]) -> bool:
    """Did Dropcontact process this contact, or is it its input handed back?

    Seed 001: with ``forceResults=true`` "unprocessed contacts will return their input
    data". What processing adds is the qualified address list: ``email`` becomes
    ``[{email, qualification}]``. So a contact whose ``email`` is still a string (or
    null, or absent) and that carries no qualification at all is unprocessed - however
    the vendor serializes the rest (exact echo, or output fields padded with null).
    """
    value = contact.get("email")
    return isinstance(value, list) and any(
        isinstance(e, dict) and e.get("qualification") for e in value
    )


def ranked(emails: list[dict[str, str]]) -> list[tuple[dict[str, str], str, str]]:
    """Usable addresses, best first, with their parsed qualification."""
    out = []
    for entry in emails:
        parsed = parse(entry["qualification"])
        if parsed and parsed[0] in PREFERENCE and parsed[1] != "invalid":
            out.append((entry, *parsed))
    return sorted(out, key=lambda item: (PREFERENCE[item[1]], item[2] != "pro"))
