"""Every HTTP error code each vendor documents, as the user sees it - and never the key.

One row per documented code (seeds 000/001 Dropcontact, 003 FullContact, 004 ColdLead):
how to provoke it at the simulator, the exception class, and a fragment of the vendor's
documented meaning that must reach the message next to provider, status and hint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from contact_udfs.exceptions import (
    AuthenticationError,
    BadRequestError,
    ProviderError,
    ProviderUnavailable,
    QuotaExceededError,
    RateLimitError,
)
from contact_udfs.models import Operation
from contact_udfs.providers.base import JobRef, Task
from contact_udfs.sandbox import Sandbox

WRONG_KEY = "wrong-key-0123456789"
EMAIL = "ada.lovelace@gmail.com"
Trigger = Callable[[Callable[..., Any], Sandbox], Any]


def _verify(provider: str, **kwargs: Any) -> Trigger:
    def run(make: Callable[..., Any], sb: Sandbox) -> Any:
        sub = make(provider, **kwargs).submit(Operation.VERIFY, [Task(EMAIL, {"email": EMAIL})])
        if sub.error:
            raise sub.error
        return sub
    return run


def _call(provider: str, method: str, path: str, *, paid: bool = False, **kw: Any) -> Trigger:
    return lambda make, sb: make(provider).client.call(method, path, paid=paid, **kw)


def _credits(provider: str, fault: str | None = None, **params: Any) -> Trigger:
    endpoint = {"dropcontact": "dropcontact.credits", "coldlead": "coldlead.account"}[provider]

    def run(make: Callable[..., Any], sb: Sandbox) -> Any:
        if fault:
            sb.inject(endpoint, fault, times=3, **params)
        return make(provider, key=WRONG_KEY if fault is None else None).credits()
    return run


def _broke(provider: str) -> Trigger:
    def run(make: Callable[..., Any], sb: Sandbox) -> Any:
        sb.set_balance(provider, 0)
        return _verify(provider)(make, sb)
    return run


def _fc_rate_limited(make: Callable[..., Any], sb: Sandbox) -> Any:
    sb.set_rate("fullcontact", 1, 60.0)
    _verify("fullcontact")(make, sb)
    return _verify("fullcontact")(make, sb)


def _fc_poll_500(make: Callable[..., Any], sb: Sandbox) -> Any:
    sb.inject("fullcontact.poll", "500", times=3)
    return make("fullcontact").poll(JobRef("fullcontact", Operation.VERIFY, "x-vs", (EMAIL,)))


CASES: list[tuple[str, int, Trigger, type[ProviderError], str]] = [
    # Dropcontact, seeds 000 + 001
    ("dropcontact", 400, _call("dropcontact", "POST", "/v1/enrich/all", json={"data": []}),
     BadRequestError, "your request is invalid"),
    ("dropcontact", 401, _credits("dropcontact"), AuthenticationError, "access token is wrong"),
    ("dropcontact", 403, _broke("dropcontact"), QuotaExceededError, "token exceeded quota"),
    ("dropcontact", 404, _call("dropcontact", "GET", "/v1/no-such-thing"), BadRequestError,
     "could not be found"),
    ("dropcontact", 429, _credits("dropcontact", "429", retry_after=0), RateLimitError,
     "too many requests"),
    ("dropcontact", 500, _credits("dropcontact", "500"), ProviderUnavailable,
     "internal server error"),
    ("dropcontact", 503, _credits("dropcontact", "503"), ProviderUnavailable, "maintenance"),
    ("dropcontact", 504, _credits("dropcontact", "504"), ProviderUnavailable, "gateway timeout"),
    ("dropcontact", 524, _credits("dropcontact", "524", html=True), ProviderUnavailable,
     "a timeout occurred"),
    # FullContact, seed 003
    ("fullcontact", 400, _call("fullcontact", "GET", "/v2/verification/email", paid=True,
                               params={"email": ""}), BadRequestError, "malformed"),
    ("fullcontact", 403, _verify("fullcontact", key=WRONG_KEY), AuthenticationError,
     "api key is missing or invalid"),
    ("fullcontact", 403, _broke("fullcontact"), QuotaExceededError, "quota"),
    ("fullcontact", 403, _fc_rate_limited, RateLimitError, "rate limit"),
    ("fullcontact", 404, _call("fullcontact", "GET", "/v2/verification/emails/nope-vs"),
     BadRequestError, "does not exist"),
    ("fullcontact", 500, _fc_poll_500, ProviderUnavailable, "unknown server error"),
    # ColdLead, seed 004
    ("coldlead", 400, _call("coldlead", "GET", "/v1/verify", paid=True, params={"email": ""}),
     BadRequestError, "parameters are invalid"),
    ("coldlead", 401, _credits("coldlead"), AuthenticationError, "api key is wrong"),
    ("coldlead", 402, _broke("coldlead"), QuotaExceededError, "over quota"),
    ("coldlead", 404, _call("coldlead", "GET", "/v1/no-such-thing"), BadRequestError,
     "does not exist"),
    ("coldlead", 422, _call("coldlead", "GET", "/v1/verify", paid=True,
                            params={"email": "not-an-email"}), BadRequestError,
     "validation error"),
    ("coldlead", 429, _credits("coldlead", "429", retry_after=0), RateLimitError,
     "too many requests"),
    ("coldlead", 500, _credits("coldlead", "500"), ProviderUnavailable, "internal server error"),
    ("coldlead", 503, _credits("coldlead", "503"), ProviderUnavailable, "maintenance"),
]


@pytest.mark.parametrize("provider, status, trigger, cls, meaning", CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[3].__name__}" for c in CASES])
def test_documented_error_reaches_the_user_without_the_key(
        make, sandbox, debug_logs, provider, status, trigger, cls, meaning) -> None:
    with pytest.raises(cls) as info:
        trigger(make, sandbox)
    exc = info.value
    text = str(exc)
    print(f"\n{provider} {status}: {text}")
    assert (exc.provider, exc.status_code) == (provider, status)
    assert text.startswith(f"{provider} (HTTP {status}): ")
    assert exc.hint and exc.hint in text
    assert meaning in text.lower()
    for secret in (sandbox.keys[provider], WRONG_KEY):
        assert secret not in text and secret not in repr(exc)
        assert secret not in str(exc.payload)
        assert secret not in debug_logs.text


def test_every_documented_code_has_a_row() -> None:
    documented = {
        "dropcontact": {400, 401, 403, 404, 429, 500, 503, 504, 524},
        "fullcontact": {400, 403, 404, 500},
        "coldlead": {400, 401, 402, 404, 422, 429, 500, 503},
    }
    covered: dict[str, set[int]] = {}
    for provider, status, *_ in CASES:
        covered.setdefault(provider, set()).add(status)
    assert covered == documented


def test_missing_key_is_a_configuration_error(sandbox_settings) -> None:
    from dataclasses import replace

    from contact_udfs.exceptions import ConfigurationError
    from contact_udfs.providers.registry import create_provider

    conf = replace(sandbox_settings.provider("coldlead"), api_key=None)
    settings = sandbox_settings.with_(
        provider_settings={**sandbox_settings.provider_settings, "coldlead": conf})
    with pytest.raises(ConfigurationError, match="COLDLEAD_API_KEY"):
        create_provider("coldlead", settings)
