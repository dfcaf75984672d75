"""Helpers both store backends share, so SQLite and Redis treat data the same way."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Sequence
from typing import Any

import orjson

__all__ = ["addresses", "dumps", "erase_mentions", "loads_many", "norm", "nothing_to_write",
           "unique"]  # fmt: skip


def nothing_to_write() -> None:
    """The write ``put_many_later`` returns when nothing is left to write (no answers, or a
    store that wrote at once)."""


def unique(keys: Iterable[str]) -> list[str]:
    """Keys in first-seen order, without repeats."""
    return list(dict.fromkeys(keys))


def norm(address: str) -> str:
    return str(address).strip().lower()


def addresses(key: str, extra: Collection[str] | str) -> list[str]:
    """Addresses an answer mentions: the listed ones plus the key when it is an address."""
    listed = [extra] if isinstance(extra, str) else list(extra)
    if "@" in key:
        listed.append(key)
    return sorted({n for a in listed if a and (n := norm(a))})


#: one encoder for every write (``json.dumps`` with options builds a new one per call)
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _not_json(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# The C encoder ``JSONEncoder.encode`` builds on each call, built once: a bulk write
# encodes an answer every few microseconds, and building it was a third of the cost.
# Stored values are trees (no circular check). Without the C module, the plain encoder.
_C_ENCODE = (
    None
    if json.encoder.c_make_encoder is None
    else json.encoder.c_make_encoder(
        None, _not_json, json.encoder.encode_basestring, None, ":", ",", False, False, True
    )
)


#: orjson's own types stay the stdlib's business: a datetime or a dataclass is refused, as
#: ``json.dumps`` refuses it, rather than written in a form no reader expects
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dumps(value: Any) -> str:
    """``value`` as compact JSON text, non-ASCII kept as it is.

    Why orjson: a first run writes every answer, and encoding was a tenth of it with the
    standard library's C encoder (about 2.3 µs for an answer of a dozen fields, 0.4 µs
    with orjson; the text is the same). What orjson refuses and the standard library
    takes - an integer beyond 64 bits, a key that is not a string - is encoded by the
    standard library, as before; what neither takes raises the standard library's
    ``TypeError``.
    """
    try:
        return orjson.dumps(value, default=_not_json, option=_ORJSON_OPTIONS).decode()
    except TypeError:
        pass
    if _C_ENCODE is None or isinstance(value, str):
        return _ENCODER.encode(value)
    return "".join(_C_ENCODE(value, 0))


def loads_many(texts: Sequence[str]) -> list[Any]:
    """Each JSON text decoded, as ``[json.loads(t) for t in texts]`` gives them.

    Why: a bulk read decodes thousands of small answers, and each ``json.loads`` call
    pays its own Python overhead (a third of decoding one answer). Texts that each hold
    one JSON object (what the stores write) are decoded as one JSON array, in one call
    of the C scanner. Anything else - a text that is not one object, or an array that
    does not come out as one object per text - is decoded text by text, so a bad one
    fails as it would alone.
    """
    if len(texts) < 2 or not all(t[:1] == "{" and t[-1:] == "}" for t in texts):
        return [json.loads(t) for t in texts]
    try:
        values = json.loads("[" + ",".join(texts) + "]")
    except (TypeError, ValueError):
        values = None
    if (
        not isinstance(values, list)
        or len(values) != len(texts)
        or not all(type(v) is dict for v in values)
    ):
        return [json.loads(t) for t in texts]
    return values


def erase_mentions(value: Any, address: str) -> Any:
    """``value`` (JSON data such as job meta) with no dict entry, list item or text naming
    ``address`` - what ``forget`` leaves behind in a job that still has other keys."""
    if isinstance(value, dict):
        return {
            k: erase_mentions(v, address)
            for k, v in value.items()
            if norm(k) != address and not (isinstance(v, str) and norm(v) == address)
        }
    if isinstance(value, list):
        return [
            erase_mentions(v, address)
            for v in value
            if not (isinstance(v, str) and norm(v) == address)
        ]
    if isinstance(value, str) and address in value.lower():
        return re.sub(re.escape(address), "", value, flags=re.IGNORECASE)
    return value
