"""Knobs for the places where the FullContact and ColdLead documents are silent.

Seeds 003 and 004 leave some answers undescribed. The sandbox does not pick one
reading and let the client grow used to it: each plausible reading is a value here,
and the client's tests run under every one of them. The defaults are the readings
the sandbox always had; docs/providers.md lists each knob with the seed's words.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

__all__ = ["READINGS", "Readings"]

#: knob -> the values it accepts (the first is the default)
READINGS: dict[str, tuple[Any, ...]] = {
    # seed 003: "403 if no api key was supplied, or the api key has exceeded its rate
    # limits" - no body is documented, so a 403 may or may not say which it is
    "fullcontact_403": ("worded", "bare"),
    # seed 003: "risky: this email address is registered as a spamtrap" - whether a
    # given world has any is up to the vendor's lists
    "spamtraps": (False, True),
    # seed 004: the finder's answer for nobody found is not shown; 404 "The resource
    # does not exist" is one reading, ``"email": null`` in a 200 the other
    "coldlead_finder_miss": ("null", "404"),
    # seed 004: ``invalid_email`` is a documented verify reason, 422 "A validation error
    # occurred" a documented status; bad syntax may come back as either
    "coldlead_bad_syntax": ("422", "billed"),
    # seed 003: "we will deliver the information associated with this batch when it is
    # complete" - the body is not shown: the batch status object a poll answers, or
    # only its ``response`` (which names no batch)
    "fullcontact_push": ("status", "response"),
}


@dataclass(frozen=True)
class Readings:
    """The readings in force; change them with :meth:`Sandbox.set_readings`."""

    fullcontact_403: str = "worded"
    spamtraps: bool = False
    coldlead_finder_miss: str = "null"
    coldlead_bad_syntax: str = "422"
    fullcontact_push: str = "status"

    def with_(self, **changes: Any) -> Readings:
        """A copy with ``changes``; an unknown knob or value is a ValueError."""
        for name, value in changes.items():
            if name not in READINGS:
                raise ValueError(f"unknown reading {name!r}; expected one of {sorted(READINGS)}")
            if value not in READINGS[name]:
                raise ValueError(f"{name} takes one of {READINGS[name]}, not {value!r}")
        return replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
