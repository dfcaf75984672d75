"""What may be sent again, and what a vendor's status code means (DESIGN 5.6).

A *free* call (job poll, balance, webhook CRUD) is re-sent with backoff on any
transient failure. A *paid* call is re-sent only when the vendor surely did not
act (429, 503, a refusal a vendor's :class:`ErrorRule` marks ``resend`` such as
FullContact's rate-limit 403, a connection that failed before sending); otherwise its fate is
:class:`Ambiguous` and the caller answers ``unknown`` + ``retryable``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import requests
import tenacity as tn
import urllib3.exceptions as u3

from .. import exceptions as err

__all__ = [
    "DEFAULT_ERRORS", "Ambiguous", "ErrorRule", "RetryPolicy", "free_call_deadline",
    "vendor_message",
]  # fmt: skip

#: a monotonic time after which free calls stop retrying (set by whoever waits on them)
_free_deadline: ContextVar[float | None] = ContextVar("contact_udfs_free_deadline", default=None)


@contextmanager
def free_call_deadline(seconds: float) -> Iterator[None]:
    """Within the block, free calls (job polls) stop retrying after ``seconds``.

    A caller that promised to answer within a time (Excel's short wait, a
    ``poll_timeout``) must not sit out a whole backoff schedule of a failing poll.
    """
    token = _free_deadline.set(time.monotonic() + max(0.0, seconds))
    try:
        yield
    finally:
        _free_deadline.reset(token)


def _past_free_deadline(state: tn.RetryCallState) -> bool:
    deadline = _free_deadline.get()
    return deadline is not None and time.monotonic() >= deadline

class Ambiguous(Exception):
    """A paid call whose fate is unknown: the vendor may have acted and billed.

    ``reason`` is ``"connection_lost"`` (no response) or ``"provider_error"`` (a 5xx
    or an unreadable answer). Providers turn it into retryable ``unknown`` answers.
    """

    def __init__(self, reason: str, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.reason, self.status_code = reason, status_code


class _Resend(Exception):
    """Internal: safe to send again, after ``after`` seconds (None: use backoff)."""

    def __init__(self, final: err.ProviderError, after: float | None = None) -> None:
        super().__init__(str(final))
        self.final, self.after = final, after


@dataclass(frozen=True)
class ErrorRule:
    """How one HTTP status of one vendor maps to our errors.

    ``error`` is the exception class, or a function of the vendor's message when the
    vendor uses one status for several things (FullContact 403: bad key *or* quota).
    ``meaning`` is the vendor's documented description, shown when the body says nothing.
    """

    error: type[err.ProviderError] | Callable[[str], type[err.ProviderError]]
    meaning: str
    #: the vendor refused without acting (e.g. FullContact's rate-limit 403): the call,
    #: paid or not, is re-sent after the server's wait or the backoff, like a 429.
    #: A function of the vendor's message when only some answers of the status qualify.
    resend: bool | Callable[[str], bool] = False

    def exception_class(self, message: str) -> type[err.ProviderError]:
        return self.error if isinstance(self.error, type) else self.error(message)

    def resent(self, message: str) -> bool:
        """Whether this answer is a refusal that may be sent again (DESIGN 5.6)."""
        return self.resend if isinstance(self.resend, bool) else self.resend(message)


DEFAULT_ERRORS: Mapping[int, ErrorRule] = {
    400: ErrorRule(err.BadRequestError, "Bad request"),
    401: ErrorRule(err.AuthenticationError, "Unauthorized: the API key is wrong"),
    402: ErrorRule(err.QuotaExceededError, "Over quota"),
    # a 403 a vendor does not document is a refusal of the key, never "out of credits"
    403: ErrorRule(err.AuthenticationError, "Forbidden: the key was refused"),
    404: ErrorRule(err.BadRequestError, "Not found"),
    422: ErrorRule(err.BadRequestError, "Validation error"),
    429: ErrorRule(err.RateLimitError, "Too many requests"),
    503: ErrorRule(err.ProviderUnavailable, "Service unavailable"),
}


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds of the retry loop; the defaults suit interactive use."""

    #: tries per call, the first included
    attempts: int = 5
    #: stop retrying once this many seconds have passed since the first try
    max_time: float = 120.0
    #: first backoff (seconds), doubled per try, jittered, capped at ``max_backoff``
    backoff: float = 0.5
    max_backoff: float = 15.0
    #: the longest ``Retry-After``/``X-RateLimit-Reset`` wait honoured before RateLimitError
    max_wait: float = 120.0
    #: the longest wait for our own rate limiter (shared with other processes)
    limiter_wait: float = 600.0


def _sent(exc: requests.RequestException) -> bool:
    """Whether a failed request may have reached the vendor (and so may be billed)."""
    if isinstance(
        exc, (requests.ConnectTimeout, requests.exceptions.SSLError, requests.exceptions.ProxyError)
    ):
        return False
    if isinstance(exc, requests.ConnectionError) and not isinstance(exc, requests.ReadTimeout):
        inner = exc.args[0] if exc.args else None
        inner = getattr(inner, "reason", inner)  # urllib3 MaxRetryError wraps the cause
        return not isinstance(inner, (u3.NewConnectionError, u3.ConnectTimeoutError))
    return True


def _seconds_header(headers: Mapping[str, str], now: float) -> float | None:
    """The wait the server asks for: ``Retry-After`` (seconds or date) or the reset time."""
    waits: list[float] = []
    if retry_after := headers.get("Retry-After"):
        try:
            waits.append(float(retry_after))
        except ValueError:
            with contextlib.suppress(TypeError, ValueError):
                waits.append(parsedate_to_datetime(retry_after).timestamp() - now)
    with contextlib.suppress(TypeError, ValueError):
        reset = float(headers.get("X-RateLimit-Reset", ""))
        waits.append(reset - now if reset > 1e9 else reset)  # epoch seconds, or a delay
    return max(0.0, max(waits)) if waits else None


def vendor_message(body: Any) -> str:
    """The vendor's own error text from a JSON body, if any (trimmed)."""
    texts = [body.get(k) for k in ("message", "reason", "error", "detail")] if isinstance(
        body, dict) else []  # fmt: skip
    return next((t.strip()[:300] for t in texts if isinstance(t, str) and t.strip()), "")
