"""A strict local simulator of the Dropcontact, FullContact and ColdLead APIs.

Tests, notebooks and demos run against it instead of the paid vendors: it follows the
vendors' documents (auth, limits, batch sizes, error codes, job delays, credits per
contact, rate windows) and can inject faults, including the ambiguous ones (a request
that was billed but whose answer never arrived).

    from contact_udfs.sandbox import Sandbox, Fault
    with Sandbox(seed=0) as sb:
        sb.inject("coldlead.verify", Fault.LOST_RESPONSE)
        ...
"""

from __future__ import annotations

from .cli import main
from .faults import ENDPOINTS, Fault
from .sandbox import KEYS, Sandbox
from .world import Verdict, World, get_world

__all__ = ["ENDPOINTS", "KEYS", "Fault", "Sandbox", "Verdict", "World", "get_world", "main"]
