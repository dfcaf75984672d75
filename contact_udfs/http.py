"""One HTTP client per provider: pacing, our own retry policy, redaction, typed errors.

* **Pacing**: requests-ratelimiter's ``LimiterSession`` over a pyrate-limiter bucket of
  ``N`` requests per ``S`` seconds (``ProviderSettings.rate_limit``). With a file cache
  the bucket is pyrate-limiter's SQLite bucket in ``<cache>.ratelimit.sqlite`` (0600,
  file-locked when ``filelock`` is installed), so Excel, a notebook and the CLI on one
  machine share one limit; with a ``redis://`` cache it is the Redis bucket; otherwise
  memory (:mod:`contact_udfs.ratelimit` picks it). The vendor's headers win over our
  guess: ``X-RateLimit-Remaining: 0`` makes the next call wait for the reset instead of
  provoking a 429.
* **No requests-cache**: the engine's store already caches every answer per contact,
  with claims so two processes never pay twice. A URL-keyed cache of the same answers
  adds nothing but a place where FullContact's ``apiKey`` parameter could reach disk,
  and job polls and POSTs must never be cached anyway.
* **Retries** follow DESIGN 5.6, not urllib3's ``Retry`` (no POSTs, no
  ``X-RateLimit-Reset``). A *free* call (job poll, balance, webhook CRUD) is re-sent
  with jittered exponential backoff on 429, any 5xx, any connection error and bad
  JSON. A *paid* call is re-sent only when the vendor surely did not act: 429 (after
  ``Retry-After``/``X-RateLimit-Reset``), 503, or a connection that failed before the
  request went out. After a read timeout, a connection closed after sending,
  500/502/504/524 or an unreadable 200 the call may have been billed: :class:`Ambiguous`
  is raised and the provider answers ``unknown`` + ``retryable`` instead of paying again.
* **Secrets** never leave in clear: logs use :func:`redact_url`, messages go through
  :func:`redact` and never chain the raw ``requests`` exception (its text embeds the
  URL, ``apiKey`` included), and urllib3's own debug line is filtered too.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import requests
import tenacity as tn
import urllib3.exceptions as u3
from requests.auth import AuthBase
from requests_ratelimiter import LimiterSession

from . import exceptions as err
from .config import RateLimit, Secret

# the limiter lives in .ratelimit; these stay importable from here
from .ratelimit import _UPSTREAM_COUNT as _UPSTREAM_COUNT
from .ratelimit import _WHOLE_WINDOW_COUNT as _WHOLE_WINDOW_COUNT
from .ratelimit import SharedRedisBucket as SharedRedisBucket
from .ratelimit import limiter_for

__all__ = [
    "Ambiguous", "Auth", "ErrorRule", "HttpClient", "RetryPolicy", "limiter_for",
    "redact", "redact_url",
]  # fmt: skip

log = logging.getLogger(__name__)

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
class Auth:
    """Where a provider wants its key: a header, a Bearer token or a query parameter."""

    kind: Literal["header", "bearer", "query"]
    name: str = ""

    def bind(self, secret: Secret) -> AuthBase:
        return _KeyAuth(self, secret)


class _KeyAuth(AuthBase):
    """Adds the key when the request is prepared, so no URL we build or log carries it."""

    def __init__(self, auth: Auth, secret: Secret) -> None:
        self.auth, self.secret = auth, secret

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        key = self.secret.get()
        if self.auth.kind == "header":
            r.headers[self.auth.name] = key
        elif self.auth.kind == "bearer":
            r.headers["Authorization"] = f"Bearer {key}"
        else:
            r.prepare_url(r.url, {self.auth.name: key})
        return r

    def __repr__(self) -> str:
        return f"<KeyAuth {self.auth.kind} {self.auth.name or 'Authorization'}=***>"


@dataclass(frozen=True)
class ErrorRule:
    """How one HTTP status of one vendor maps to our errors.

    ``error`` is the exception class, or a function of the vendor's message when the
    vendor uses one status for several things (FullContact 403: bad key *or* quota).
    ``meaning`` is the vendor's documented description, shown when the body says nothing.
    """

    error: type[err.ProviderError] | Callable[[str], type[err.ProviderError]]
    meaning: str

    def exception_class(self, message: str) -> type[err.ProviderError]:
        return self.error if isinstance(self.error, type) else self.error(message)


DEFAULT_ERRORS: Mapping[int, ErrorRule] = {
    400: ErrorRule(err.BadRequestError, "Bad request"),
    401: ErrorRule(err.AuthenticationError, "Unauthorized: the API key is wrong"),
    402: ErrorRule(err.QuotaExceededError, "Over quota"),
    403: ErrorRule(err.QuotaExceededError, "Forbidden"),
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


class HttpClient:
    """One provider's session: every call goes through :meth:`call`."""

    def __init__(self, provider: str, base_url: str, *, auth: Auth, secret: Secret,
                 rate_limit: RateLimit, timeout: tuple[float, float] = (5.0, 60.0),
                 cache: str = "", errors: Mapping[int, ErrorRule] | None = None,
                 policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:  # fmt: skip
        if not base_url.startswith(("http://", "https://")):
            raise err.ConfigurationError(f"{provider} base URL must start with http(s)://")
        self.provider, self.base_url, self.timeout = provider, base_url.rstrip("/"), timeout
        self.policy = policy or RetryPolicy()
        self.errors = {**DEFAULT_ERRORS, **(errors or {})}
        self._secret, self._sleep, self._lock = secret, sleep, threading.Lock()
        #: server-side window: no call before ``_not_before`` (epoch seconds)
        self._not_before = self._window_opened = 0.0
        self._window_s = rate_limit.seconds
        self._limiter = limiter_for(provider, rate_limit, cache)
        self.session = LimiterSession(
            limiter=self._limiter,
            per_host=False,
            bucket_name=provider,
            limit_statuses=(),  # on 429 we wait what the server says, not a whole window
            max_delay=self.policy.limiter_wait,
        )
        self.session.auth = auth.bind(secret)
        self.session.headers.update({"Accept": "application/json", "User-Agent": "contact-udfs"})

    def __repr__(self) -> str:
        return f"<HttpClient {self.provider} {redact_url(self.base_url)}>"

    def close(self) -> None:
        self.session.close()
        self._limiter.bucket_factory.close()

    def scrub(self, value: Any) -> Any:
        """A copy of a vendor object with the key masked wherever it appears (for ``raw``)."""
        if isinstance(value, dict):
            return {k: self.scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.scrub(v) for v in value]
        if isinstance(value, str):
            return redact(value, self._secret.get())
        return value

    def call(self, method: str, path: str, *, paid: bool, params: Mapping[str, Any] | None = None,
             json: Any = None) -> Any:  # fmt: skip
        """Send one request under the retry policy and return its parsed JSON body.

        Raises a :class:`~contact_udfs.exceptions.ProviderError` subclass, or
        :class:`Ambiguous` for a paid call that may have been billed.
        """
        policy = self.policy

        def give_up(state: tn.RetryCallState) -> Any:
            raise state.outcome.exception().final  # type: ignore[union-attr] # only _Resend

        def wait(state: tn.RetryCallState) -> float:
            after = getattr(state.outcome.exception() if state.outcome else None, "after", None)
            seconds = after if after is not None else backoff(state)
            deadline = None if paid else _free_deadline.get()
            if deadline is not None:
                seconds = min(seconds, max(0.0, deadline - time.monotonic()))
            return seconds

        backoff = tn.wait_exponential(
            multiplier=policy.backoff, max=policy.max_backoff
        ) + tn.wait_random(0, policy.backoff)
        retrying = tn.Retrying(
            retry=tn.retry_if_exception_type(_Resend),
            stop=(
                tn.stop_after_attempt(policy.attempts)
                | tn.stop_after_delay(policy.max_time)
                | (tn.stop_never if paid else _past_free_deadline)
            ),
            wait=wait,
            sleep=self._sleep,
            retry_error_callback=give_up,
        )
        return retrying(self._attempt, method, path, paid, params, json)

    # ----- one try ---------------------------------------------------------------------
    def _attempt(self, method: str, path: str, paid: bool, params: Any, json: Any) -> Any:
        self._wait_for_window()
        url = f"{self.base_url}{path}"
        started = time.monotonic()
        try:
            resp = self.session.request(
                method, url, params=params, json=json, timeout=self.timeout, allow_redirects=False
            )
        except requests.RequestException as exc:
            raise self._transport_error(exc, method, url, paid) from None
        log.debug("%s %s %s -> %s in %.2fs", self.provider, method, redact_url(url),
                  resp.status_code, time.monotonic() - started)  # fmt: skip
        self._note_window(resp.headers, time.time())
        if resp.status_code < 300:
            return self._parse(resp, paid)
        raise self._status_error(resp, paid)

    def _transport_error(
        self, exc: requests.RequestException, method: str, url: str, paid: bool
    ) -> Exception:
        what = redact(f"{type(exc).__name__}: {exc}", self._secret.get())[:300]
        log.debug("%s %s %s failed: %s", self.provider, method, redact_url(url), what)
        if type(exc) is requests.Timeout:  # raised by the limiter, before sending
            return err.RateLimitError(self.provider, "our own rate limiter did not clear in time")
        if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema)):
            return err.ConfigurationError(f"{self.provider} base URL is not usable: {what}")
        if paid and _sent(exc):
            return Ambiguous("connection_lost", f"{self.provider}: no answer after sending")
        return _Resend(err.ProviderUnavailable(self.provider, f"cannot reach it ({what})"))

    def _parse(self, resp: requests.Response, paid: bool) -> Any:
        try:
            return resp.json()
        except ValueError:
            message = f"the answer (HTTP {resp.status_code}) is not valid JSON"
            if paid:
                raise Ambiguous("provider_error", f"{self.provider}: {message}",
                                resp.status_code) from None  # fmt: skip
            raise _Resend(
                err.ProviderResponseError(self.provider, message, status_code=resp.status_code)
            ) from None

    def _status_error(self, resp: requests.Response, paid: bool) -> Exception:
        status, rule = resp.status_code, self.errors.get(resp.status_code)
        try:
            body: Any = resp.json()
        except ValueError:
            body = None
        said = redact(vendor_message(body), self._secret.get()).rstrip(". ")
        meaning = rule.meaning if rule else resp.reason or "unexpected answer"
        message = f"{said} ({meaning})" if said and said.lower() not in meaning.lower() else meaning
        safe_body = self.scrub(body) if isinstance(body, (dict, list)) else None
        if status == 429 or status == 503:
            cls = err.RateLimitError if status == 429 else err.ProviderUnavailable
            final = cls(self.provider, message, status_code=status, payload=safe_body)
            after = _seconds_header(resp.headers, time.time())
            if after is not None and after > self.policy.max_wait:
                return final  # the vendor asks for longer than we are willing to block
            return _Resend(final, after)
        if status >= 500:
            # 500/502/504/524 and any other 5xx but 503: the vendor may have acted
            if paid:
                return Ambiguous("provider_error", f"{self.provider} (HTTP {status})", status)
            return _Resend(err.ProviderUnavailable(self.provider, message, status_code=status))
        cls = rule.exception_class(said) if rule else (
            err.BadRequestError if 400 <= status < 500 else err.ProviderResponseError)  # fmt: skip
        return cls(self.provider, message, status_code=status, payload=safe_body)

    # ----- server-side pacing ------------------------------------------------------------
    def _note_window(self, headers: Mapping[str, str], now: float) -> None:
        """Remember a server window that is used up, so the next call waits it out.

        ColdLead sends ``X-RateLimit-Reset`` only with its 429; before that, the reset is
        estimated as the first answer of the window plus our configured window length.
        """
        remaining = _int(headers.get("X-RateLimit-Remaining"))
        if remaining is None:
            return
        limit = _int(headers.get("X-RateLimit-Limit"))
        with self._lock:
            if limit is not None and remaining >= limit - 1:
                self._window_opened = now
            if remaining > 0:
                return
            reset = {"X-RateLimit-Reset": headers.get("X-RateLimit-Reset", "")}
            after = _seconds_header(reset, now)
            if after is None:
                after = (self._window_opened or now) + self._window_s - now
            until = now + min(max(after, 0.0), self.policy.max_wait)
            self._not_before = max(self._not_before, until)

    def _wait_for_window(self) -> None:
        with self._lock:
            delay = self._not_before - time.time()
        if delay > 0:
            log.debug("%s: rate-limit window used up, waiting %.2fs", self.provider, delay)
            self._sleep(delay)


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.strip().isdigit() else None
