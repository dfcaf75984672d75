"""Every error ``contact_udfs`` raises, in one tree.

Outcomes such as ``invalid``, ``risky`` or ``unknown`` are *values* of a result's
``status``; an exception always means "no answer could be produced".

* ``ContactUDFError`` - base of everything below
  * ``ConfigurationError(ValueError)`` - bad settings, missing key, bad config file
    * ``UnknownProviderError`` - a provider name that is not registered
  * ``InputFileError(ValueError)`` - a CLI input file that cannot be read
  * ``BudgetExceededError`` - the estimate is above the budget; nothing was sent
  * ``StoreError`` - the cache/journal backend failed
  * ``ProviderError`` - a provider refused or failed; carries ``provider``,
    ``status_code`` and ``message`` (never the key)
    * ``AuthenticationError`` - wrong or missing key (401, FullContact 403)
    * ``QuotaExceededError`` - out of credits (Dropcontact 403, ColdLead 402; FullContact
      403 only when its message says quota)
    * ``RateLimitError`` - 429 that did not clear in time
    * ``BadRequestError`` - 400/404/422: the request itself was refused
    * ``ProviderUnavailable`` - 5xx or connection failure
    * ``ProviderResponseError`` - an answer we could not parse

Auth and quota errors stop all spending on that provider: the engine saves what
was already answered, releases its claims and re-raises them for the user.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "BudgetExceededError",
    "ConfigurationError",
    "ContactUDFError",
    "InputFileError",
    "ProviderError",
    "ProviderResponseError",
    "ProviderUnavailable",
    "QuotaExceededError",
    "RateLimitError",
    "StoreError",
    "UnknownProviderError",
]


def _rebuild(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(state)
    return exc


class ContactUDFError(Exception):
    """Base class: catch this to handle anything the package raises.

    Errors cross process boundaries (a Dask worker's task, a multiprocessing
    pool) by pickle. Their constructors take keyword details (provider, status
    code, budget...) that the default exception pickling cannot replay, so each
    one is rebuilt from its message and attributes instead, exactly as raised.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (type(self), self.args, dict(self.__dict__))


class ConfigurationError(ContactUDFError, ValueError):
    """Settings are missing or malformed (env var, config file, argument)."""


class UnknownProviderError(ConfigurationError):
    """A provider name that is not in the registry."""


class InputFileError(ContactUDFError, ValueError):
    """An input file (CSV/XLSX) is missing, unreadable or lacks the column asked for."""


class StoreError(ContactUDFError):
    """The cache / journal backend failed."""


class BudgetExceededError(ContactUDFError):
    """The credits a call would spend exceed the budget; nothing was sent.

    ``estimate`` maps provider name to the credits it would cost.
    """

    def __init__(self, estimate: dict[str, int], budget: float) -> None:
        self.estimate = dict(estimate)
        self.budget = budget
        total = sum(self.estimate.values())
        detail = ", ".join(f"{name}: {n}" for name, n in self.estimate.items() if n)
        super().__init__(
            f"this call would spend {total} credits ({detail or 'none'}), "
            f"above the budget of {budget:g}; nothing was sent. "
            "Raise the budget (budget=..., --budget or CONTACT_UDFS_BUDGET) or send fewer rows."
        )


class ProviderError(ContactUDFError):
    """A provider refused or failed a call.

    The message names the provider, the HTTP status and the provider's own
    message. Keys are never part of it (URLs are redacted before they get here).
    """

    #: what the user should do, appended to the message
    hint: str = ""

    def __init__(
        self,
        provider: str,
        message: str,
        *,
        status_code: int | None = None,
        payload: object | None = None,
    ) -> None:
        self.provider = provider
        self.status_code = status_code
        self.message = message
        self.payload = payload
        status = f" (HTTP {status_code})" if status_code is not None else ""
        hint = f" {self.hint}" if self.hint else ""
        super().__init__(f"{provider}{status}: {message}.{hint}".replace("..", "."))


class AuthenticationError(ProviderError):
    """The key was refused (wrong, missing or revoked)."""

    hint = "Check the provider's API key (environment variable or config file)."


class QuotaExceededError(ProviderError):
    """The account is out of credits or over its quota; spending stopped."""

    hint = "The account is out of credits or over its quota; no more requests were sent."


class RateLimitError(ProviderError):
    """The provider kept answering "too many requests" past the longest wait."""

    hint = "The provider's rate limit did not clear in time; try again later or lower *_RATE_LIMIT."


class BadRequestError(ProviderError):
    """The provider refused the request itself (400/404/422)."""

    hint = "The provider refused the request as malformed."


class ProviderUnavailable(ProviderError):
    """The provider is down or unreachable and surely did not act on the call."""

    hint = "The provider is down or unreachable; try again later."


class ProviderResponseError(ProviderError):
    """The provider answered something that could not be read."""

    hint = "The provider sent an answer that could not be read."
