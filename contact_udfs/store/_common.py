"""Helpers both store backends share, so SQLite and Redis treat data the same way."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable
from typing import Any

__all__ = ["addresses", "dumps", "erase_mentions", "norm", "unique"]


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


def dumps(value: Any) -> str:
    return _ENCODER.encode(value)


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
