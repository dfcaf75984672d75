"""Errors as Excel cell text: one short line, never a traceback, never an API key.

A formula must not raise: Excel would show ``#VALUE!`` and hide the reason. So
every provider, budget, cache or configuration problem becomes one short message
a spreadsheet user can act on, and every API key in use (from the environment
or the config file) is blanked out of it, and out of any other text a formula
returns.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable

from ... import exceptions as errors
from ...api import Client, default_client

__all__ = ["error_text", "known_secrets", "redact"]

# the batching module's logger: users filter formula failures under its name
log = logging.getLogger("contact_udfs.faces.excel.batching")

_MAX_MESSAGE = 200


def _secrets(client: Client | None) -> set[str]:
    found = {v for k, v in os.environ.items() if k.endswith("_API_KEY") and len(v) >= 4}
    if client is not None:
        for prov in client.settings.provider_settings.values():
            if prov.api_key and len(prov.api_key.get()) >= 4:
                found.add(prov.api_key.get())
    return found


def known_secrets() -> set[str]:
    """Every API key in use (environment and config file), to keep them out of cells."""
    try:
        return _secrets(default_client())
    except Exception:  # a broken config still has environment keys to hide
        return _secrets(None)


def redact(text: str, secrets: Iterable[str] | None = None) -> str:
    """``text`` with every API key (default: :func:`known_secrets`) replaced by ``***``."""
    for secret in known_secrets() if secrets is None else secrets:
        if secret in text:
            text = text.replace(secret, "***")
    return text


def error_text(exc: BaseException, client: Client | None = None) -> str:
    """One short line for a cell: what went wrong, never a key or a traceback."""
    if isinstance(exc, errors.AuthenticationError):
        text = f"{exc.provider}: API key refused (check {exc.provider.upper()}_API_KEY)"
    elif isinstance(exc, errors.QuotaExceededError):
        text = f"{exc.provider}: out of credits (or over quota)"
    elif isinstance(exc, errors.RateLimitError):
        text = f"{exc.provider}: rate limited; try again in a minute"
    elif isinstance(exc, errors.ProviderError):
        text = f"{exc.provider}: {exc.message}"
    elif isinstance(exc, errors.BudgetExceededError):
        total = sum(exc.estimate.values())
        text = f"over budget: needs {total} credits, budget {exc.budget:g}; nothing was sent"
    elif isinstance(exc, errors.StoreError):
        text = f"cache: {exc}"
    elif isinstance(exc, errors.ContactUDFError):
        text = str(exc)
    else:
        log.exception("contact_udfs formula failed")
        text = f"internal error ({type(exc).__name__}); see the Python log"
    secrets = _secrets(client) if client is not None else known_secrets()
    text = redact(" ".join(text.split()), secrets).rstrip(".")
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "\u2026"
