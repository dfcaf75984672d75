"""The Python API: :class:`Client` and the one-call functions built on it.

Every face (Excel, pandas, CLI) goes through a ``Client``, so they share one
store, one credit ledger and one waterfall.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from .config import PAID_PROVIDERS, Settings, load_settings, redact_cache
from .core.engine import Engine, Progress
from .core.reports import Estimate, Run
from .exceptions import ConfigurationError, UnknownProviderError
from .identity import normalize_email
from .models import Enrichment, FoundEmail, Operation, Verification
from .providers.base import Provider
from .store import Store, open_store
from .store.hot import HotStore, memory_for

__all__ = [
    "Client",
    "default_client",
    "enrich_contacts",
    "find_emails",
    "verify_emails",
]

KNOWN_PROVIDERS = (*PAID_PROVIDERS, "local")


class Client:
    """One cache, one ledger, one waterfall of providers.

    >>> client = Client(providers=["local"], cache="contacts.sqlite")  # doctest: +SKIP
    >>> client.verify_emails(["ada@gmial.com"])[0].suggestion          # doctest: +SKIP
    'ada@gmail.com'

    Args:
        providers: waterfall order, e.g. ``["dropcontact", "local"]``; default
            from ``CONTACT_UDFS_PROVIDERS`` or every provider with a key, then ``local``.
        cache: SQLite file path or ``redis://`` URL (default from settings).
        budget: most credits one call may spend (default ``CONTACT_UDFS_BUDGET``).
        settings: a resolved :class:`~contact_udfs.config.Settings`; default
            read from the environment and the config file.
        store: an already open store (shared between clients in tests).
    """

    def __init__(
        self,
        providers: Sequence[str] | str | None = None,
        cache: str | os.PathLike[str] | None = None,
        budget: float | None = None,
        *,
        settings: Settings | None = None,
        store: Store | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        base = settings or load_settings(environ)
        changes: dict[str, Any] = {}
        if providers is not None:
            changes["providers"] = _parse_names(providers)
        if cache is not None:
            changes["cache"] = os.fspath(cache)
        if budget is not None:
            changes["budget"] = float(budget)
        self.settings = base.with_(**changes) if changes else base
        for name in self.settings.providers:
            _check_name(name)
        self._store = store
        self._providers: dict[str, Provider] = {}
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return (
            f"Client(providers={list(self.settings.providers)!r}, "
            f"cache={redact_cache(self.settings.cache)!r}, budget={self.settings.budget!r})"
        )

    # -- plumbing ---------------------------------------------------------------
    @property
    def store(self) -> Store:
        with self._lock:
            if self._store is None:
                self._store = _hot(open_store(self.settings.cache), self.settings)
            return self._store

    def provider(self, name: str) -> Provider:
        """The provider object for ``name`` (created once per client)."""
        _check_name(name)
        with self._lock:
            if name not in self._providers:
                from .providers.registry import create_provider

                if name != "local" and not self.settings.provider(name).enabled:
                    raise ConfigurationError(
                        f"provider {name!r} has no API key: set {name.upper()}_API_KEY "
                        "(environment) or api_key in the config file"
                    )
                self._providers[name] = create_provider(name, self.settings, self.store)
            return self._providers[name]

    def engine(self, providers: Sequence[str] | str | None = None) -> Engine:
        names = _parse_names(providers) if providers is not None else self.settings.providers
        return Engine([self.provider(n) for n in names], self.store, self.settings)

    def close(self) -> None:
        with self._lock:
            for provider in self._providers.values():
                provider.close()
            self._providers.clear()
            if self._store is not None:
                self._store.close()
                self._store = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- operations -----------------------------------------------------------------
    def run(
        self,
        operation: Operation | str,
        items: Iterable[object],
        *,
        providers: Sequence[str] | str | None = None,
        retry_unknown: bool = False,
        budget: float | None = None,
        progress: Progress | None = None,
        poll_timeout: float | None = None,
    ) -> Run[Any]:
        """Answers plus a :class:`~contact_udfs.core.reports.RunReport` (what was spent).

        A single address (a ``str``) or a single record (a mapping) is taken as
        one item, not as a sequence of characters or keys.
        """
        return self.engine(providers).run(
            Operation(operation), _as_items(items), retry_unknown=retry_unknown, budget=budget,
            progress=progress, poll_timeout=poll_timeout,
        )  # fmt: skip

    def verify_emails(self, emails: Iterable[object], **kwargs: Any) -> list[Verification]:
        """One :class:`Verification` per input, in input order (bad cells: ``invalid``)."""
        return cast(list[Verification], self.run(Operation.VERIFY, emails, **kwargs).results)

    def find_emails(self, people: Iterable[Mapping[str, Any]], **kwargs: Any) -> list[FoundEmail]:
        """People as dicts with ``first_name``, ``last_name`` and ``domain``/``company``/``website``
        (or ``full_name``); one :class:`FoundEmail` per input."""
        return cast(list[FoundEmail], self.run(Operation.FIND, people, **kwargs).results)

    def enrich_contacts(
        self, contacts: Iterable[Mapping[str, Any]], **kwargs: Any
    ) -> list[Enrichment]:
        """Dropcontact input fields per contact; one :class:`Enrichment` per input."""
        return cast(list[Enrichment], self.run(Operation.ENRICH, contacts, **kwargs).results)

    def estimate(
        self,
        items: Iterable[object],
        operation: Operation | str = Operation.VERIFY,
        *,
        providers: Sequence[str] | str | None = None,
        retry_unknown: bool = False,
    ) -> Estimate:
        """Credits each provider would charge now (cache taken into account); sends nothing."""
        return self.engine(providers).estimate(
            Operation(operation), _as_items(items), retry_unknown=retry_unknown
        )

    def credits(self, provider: str | None = None) -> dict[str, int | None]:
        """Credits left per paid provider (free balance checks; None where unknown)."""
        names = [provider] if provider else [n for n in self.settings.providers if n != "local"]
        return {name: self.provider(name).credits() for name in names}

    def forget(self, email: str) -> int:
        """Erase everything stored about ``email`` (every provider and operation)."""
        norm = normalize_email(email)
        subject = norm.key or str(email).strip().lower()
        return self.store.forget(subject)


def _hot(store: Store, settings: Settings) -> Store:
    """The store behind the process's memory of its answers (``hot_cache`` answers)."""
    if settings.hot_cache <= 0:
        return store
    memory = memory_for(store.location, settings.hot_cache)
    return HotStore(store, memory, ttl=settings.ttl_seconds)


def _as_items(items: Iterable[object]) -> list[object]:
    """One address or one record given alone is one item."""
    if isinstance(items, (str, bytes, Mapping)):
        return [items]
    return list(items)


def _parse_names(providers: Sequence[str] | str) -> tuple[str, ...]:
    items = providers.split(",") if isinstance(providers, str) else list(providers)
    names = tuple(str(p).strip().lower() for p in items if str(p).strip())
    if not names:
        raise ConfigurationError("no provider given")
    return names


def _check_name(name: str) -> None:
    if name not in KNOWN_PROVIDERS:
        raise UnknownProviderError(
            f"unknown provider {name!r}; choose from {', '.join(KNOWN_PROVIDERS)}"
        )


_default: tuple[tuple[tuple[str, str], ...], Client] | None = None
_default_lock = threading.Lock()
_ENV_PREFIXES = ("CONTACT_UDFS_", "DROPCONTACT_", "FULLCONTACT_", "COLDLEAD_")


def default_client() -> Client:
    """A process-wide client, rebuilt when the relevant environment changes."""
    global _default
    snapshot = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(_ENV_PREFIXES)))
    with _default_lock:
        if _default is None or _default[0] != snapshot:
            if _default is not None:
                _default[1].close()
            _default = (snapshot, Client())
        return _default[1]


def verify_emails(emails: Iterable[object], **kwargs: Any) -> list[Verification]:
    """Verify addresses with the default client; see :meth:`Client.verify_emails`."""
    return default_client().verify_emails(emails, **kwargs)


def find_emails(people: Iterable[Mapping[str, Any]], **kwargs: Any) -> list[FoundEmail]:
    """Find addresses with the default client; see :meth:`Client.find_emails`."""
    return default_client().find_emails(people, **kwargs)


def enrich_contacts(contacts: Iterable[Mapping[str, Any]], **kwargs: Any) -> list[Enrichment]:
    """Enrich contacts with the default client; see :meth:`Client.enrich_contacts`."""
    return default_client().enrich_contacts(contacts, **kwargs)
