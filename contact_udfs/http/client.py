"""One HTTP client per provider: pacing, our own retry policy, redaction, typed errors.

* **Pacing**: requests-ratelimiter's ``LimiterSession`` over a pyrate-limiter bucket of
  ``N`` requests per ``S`` seconds (``ProviderSettings.rate_limit``). With a file cache
  the bucket is pyrate-limiter's SQLite bucket in ``<cache>.ratelimit.sqlite`` (0600,
  file-locked when ``filelock`` is installed), so Excel, a notebook and the CLI on one
  machine share one limit; with a ``redis://`` cache it is the Redis bucket; otherwise
  memory (:mod:`contact_udfs.http.ratelimit` picks it). The vendor's headers win over our
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
  ``Retry-After``/``X-RateLimit-Reset``), 503, a refusal the vendor's error table marks
  ``resend`` (FullContact's rate-limit 403), or a connection that failed before the
  request went out. After a read timeout, a connection closed after sending,
  500/502/504/524 or an unreadable 200 the call may have been billed: :class:`Ambiguous`
  is raised and the provider answers ``unknown`` + ``retryable`` instead of paying again.
* **Secrets** never leave in clear: logs use :func:`redact_url`, messages go through
  :func:`redact` and never chain the raw ``requests`` exception (its text embeds the
  URL, ``apiKey`` included), and urllib3's own debug line is filtered too.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import requests
import tenacity as tn
from requests.auth import AuthBase
from requests_ratelimiter import LimiterSession

from .. import exceptions as err
from ..config import RateLimit, Secret
from .policy import (
    DEFAULT_ERRORS,
    Ambiguous,
    ErrorRule,
    RetryPolicy,
    _free_deadline,
    _past_free_deadline,
    _Resend,
    _seconds_header,
    _sent,
    vendor_message,
)
from .ratelimit import limiter_for
from .redaction import redact, redact_url

__all__ = ["Auth", "HttpClient"]

log = logging.getLogger(__name__)


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
        refused = rule is not None and status not in (429, 503) and rule.resent(said)
        if status == 429 or status == 503 or refused:
            cls = (rule.exception_class(said) if refused and rule else
                   err.RateLimitError if status == 429 else err.ProviderUnavailable)
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
