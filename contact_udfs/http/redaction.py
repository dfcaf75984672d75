"""Keys out of every text that leaves the client: log lines, messages, stored answers.

FullContact's key travels as the ``apiKey`` query parameter, Dropcontact's as an
``X-Access-Token`` header, ColdLead's as a Bearer token; any of them can end up
in a URL, an exception's text or urllib3's debug line. Everything the HTTP layer
logs or raises passes through :func:`redact`; urllib3's logger gets a filter.
"""

from __future__ import annotations

import logging
import re

__all__ = ["redact", "redact_url"]

_SECRET_QUERY = re.compile(r"(?i)\b(apikey|api_key|access_token|token)=([^&\s#'\"<>]+)")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[^\s'\",]+")
_TOKEN_HEADER = re.compile(r"(?i)\b(x-access-token['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+")


def redact_url(url: str) -> str:
    """``url`` with the value of any key-like query parameter (``apiKey``...) masked."""
    return _SECRET_QUERY.sub(r"\1=***", url)


def redact(text: str, *secrets: str) -> str:
    """``text`` with known secrets and key-looking fragments masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return _TOKEN_HEADER.sub(r"\1***", _BEARER.sub(r"\1***", redact_url(text)))


class _RedactFilter(logging.Filter):
    """Masks keys in urllib3's debug line, which prints the full URL (``apiKey`` too)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if (clean := redact(message := record.getMessage())) != message:
            record.msg, record.args = clean, ()
        return True


_URLLIB3_LOGGER = logging.getLogger("urllib3.connectionpool")
if not any(isinstance(f, _RedactFilter) for f in _URLLIB3_LOGGER.filters):
    _URLLIB3_LOGGER.addFilter(_RedactFilter())
