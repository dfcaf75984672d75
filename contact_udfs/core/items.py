"""One input row, validated locally: the first step of every run.

Bad input is answered here, at zero credits, before any cache or provider
is asked; the rest of the engine only ever sees valid, normalized items.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..identity import normalize_contact, normalize_email, normalize_person
from ..models import RESULT_TYPES, Answer, FoundEmail, Operation, Status, Verification

__all__ = ["Item", "emails_in", "invalid_answer", "normalize_item"]


@dataclass
class Item:
    """One input row after normalization."""

    display: str
    key: str | None
    payload: dict[str, Any]
    error: str | None


def normalize_item(operation: Operation, value: object) -> Item:
    """Local validation: bad input is answered here, at zero credits."""
    if operation is Operation.VERIFY:
        ne = normalize_email(value)
        payload = {"email": ne.key} if ne.key else {}
        return Item(ne.display, ne.key, payload, ne.error)
    if not isinstance(value, dict):
        if hasattr(value, "items"):
            value = dict(value.items())  # type: ignore[union-attr]
        else:
            return Item(str(value), None, {}, "not_a_record")
    person = normalize_person(value) if operation is Operation.FIND else normalize_contact(value)
    return Item(person.key or "", person.key, dict(person.payload), person.error)


def invalid_answer(operation: Operation, item: Item) -> Answer:
    """The answer for input rejected locally."""
    if operation is Operation.VERIFY:
        return Verification(
            email=item.display, status=Status.INVALID, reason=item.error,
            syntax_valid=False, provider="validation",
        )  # fmt: skip
    cls = RESULT_TYPES[operation]
    return cls(status=Status.INVALID, reason=item.error, provider="validation")


def emails_in(answer: Answer) -> set[str]:
    """Every address an answer mentions, so ``forget`` can find it."""
    found: set[str] = set()
    for name in ("email", "address", "suggestion"):
        value = getattr(answer, name, None)
        if isinstance(value, str) and "@" in value:
            found.add(value.strip().lower())
    if isinstance(answer, FoundEmail):
        found.update(c.lower() for c in answer.candidates if "@" in c)
    for entry in getattr(answer, "emails", None) or ():
        value = entry.get("email") if isinstance(entry, dict) else None
        if isinstance(value, str) and "@" in value:
            found.add(value.strip().lower())
    return found
