"""The HTTP layer every paid provider shares: one client per provider.

* :mod:`.client` - the session: pacing, the retry loop, typed errors;
* :mod:`.policy` - what may be re-sent and what each status means (DESIGN 5.6);
* :mod:`.ratelimit` - our own limit, shared through the cache (file or Redis);
* :mod:`.redaction` - keys out of logs, messages and stored answers.
"""

from __future__ import annotations

from .client import Auth, HttpClient
from .policy import DEFAULT_ERRORS, Ambiguous, ErrorRule, RetryPolicy, free_call_deadline
from .ratelimit import SharedRedisBucket, limiter_for
from .redaction import redact, redact_url

__all__ = [
    "DEFAULT_ERRORS",
    "Ambiguous",
    "Auth",
    "ErrorRule",
    "HttpClient",
    "RetryPolicy",
    "SharedRedisBucket",
    "free_call_deadline",
    "limiter_for",
    "redact",
    "redact_url",
]
