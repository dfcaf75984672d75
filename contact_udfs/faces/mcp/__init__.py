"""``contact-udfs mcp``: the pay-once cache served to AI agents over the Model Context Protocol.

Needs the ``[mcp]`` extra (the official ``mcp`` SDK). Six tools, one
:class:`~contact_udfs.api.Client` behind them all; see docs/mcp.md.
"""

from __future__ import annotations

from .server import build_server, serve
from .tools import MAX_ITEMS, ContactTools

__all__ = ["MAX_ITEMS", "ContactTools", "build_server", "serve"]
