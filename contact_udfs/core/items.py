"""One input row, validated locally: the first step of every run.

Bad input is answered here, at zero credits, before any cache or provider
is asked; the rest of the engine only ever sees valid, normalized items.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..identity import (
    email_parts,
    fast_email_keys,
    fast_email_parts,
    normalize_contact,
    normalize_email,
    normalize_person,
)
from ..models import RESULT_TYPES, Answer, FoundEmail, Operation, Status, Verification
from ..store.base import Store

__all__ = [
    "Item",
    "cached_answers",
    "email_items",
    "emails_in",
    "invalid_answer",
    "normalize_item",
]


@dataclass(slots=True)
class Item:
    """One input row after normalization.

    A face that had to normalize a cell anyway (Excel screens empty and error
    cells) hands the engine the ``Item`` itself: :func:`normalize_item` takes it
    as it is, so each cell is normalized once per call.
    """

    display: str
    key: str | None
    payload: dict[str, Any]
    error: str | None


def normalize_item(operation: Operation, value: object) -> Item:
    """Local validation: bad input is answered here, at zero credits."""
    if type(value) is Item:
        return value
    if operation is Operation.VERIFY:
        if type(value) is str:
            display, key, error = email_parts(value)
        else:
            ne = normalize_email(value)
            display, key, error = ne.display, ne.key, ne.error
        return Item(display, key, {"email": key} if key else {}, error)
    if not isinstance(value, dict):
        if hasattr(value, "items"):
            value = dict(value.items())  # type: ignore[union-attr]
        else:
            return Item(str(value), None, {}, "not_a_record")
    person = normalize_person(value) if operation is Operation.FIND else normalize_contact(value)
    return Item(person.key or "", person.key, dict(person.payload), person.error)


def email_items(cells: Any, *, shown: bool = True) -> list[Item]:
    """:func:`normalize_item` of ``verify`` for each cell of an Arrow text array, the plain
    addresses parsed column-wise (:func:`~contact_udfs.identity.fast_email_parts`).

    With ``shown=False`` a valid cell's display is its key: for a caller that shows no
    ``email`` field, so the engine need not rebuild the answer of each other spelling
    of an address (``Ann@X.com`` next to ``ann@x.com``) only to carry that spelling.
    """
    if shown:
        displays, keys = fast_email_parts(cells)
    else:  # the display is the key: the cells as typed are not even made Python strings
        keys = fast_email_keys(cells).to_pylist()
        displays = keys
    out: list[Item] = []
    add = out.append
    for at, key in enumerate(keys):
        if key is None:  # left to the full parser (and null cells: "empty")
            item = normalize_item(Operation.VERIFY, cells[at].as_py())
            if not shown and item.key is not None:
                item.display = item.key
            add(item)
        else:
            display = displays[at]
            add(Item(key if display == key else display, key, {"email": key}, None))
    return out


def cached_answers(
    store: Store, provider: str, operation: Operation, keys: Sequence[str], retry_unknown: bool
) -> dict[str, Answer]:
    """Stored answers of ``provider`` for ``keys``, marked ``from_cache``.

    A store that holds decoded answers (:class:`~contact_udfs.store.hot.HotStore`)
    hands out its objects as they are: a cached rerun builds no answer again.
    With ``retry_unknown`` the retryable ones are left out (to be asked again).
    """
    if not keys:
        return {}
    kind = RESULT_TYPES[operation]
    decoded = getattr(store, "get_answers", None)
    if decoded is not None:
        found: dict[str, Answer] = decoded(provider, operation.value, keys, kind)
        if retry_unknown:
            return {key: a for key, a in found.items() if not a.retryable}
        return found
    read = store.get_many(provider, operation.value, keys)
    if retry_unknown:
        read = {key: data for key, data in read.items() if not data.get("retryable")}
    return dict(zip(read, kind.from_stored_many(read.values()), strict=True))


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
    state = answer.__dict__  # fields read directly: this runs once per answer saved
    for name in ("email", "address", "suggestion"):
        value = state.get(name)
        if isinstance(value, str) and "@" in value:
            found.add(value.strip().lower())
    if isinstance(answer, FoundEmail):
        found.update(c.lower() for c in answer.candidates if "@" in c)
    for entry in state.get("emails") or ():
        value = entry.get("email") if isinstance(entry, dict) else None
        if isinstance(value, str) and "@" in value:
            found.add(value.strip().lower())
    return found
