"""Provider names -> classes, imported only when asked for.

Lazy imports keep ``import contact_udfs`` cheap (no ``requests`` session or limiter is
built for a provider nobody uses) and let the offline ``local`` provider work even where
the HTTP stack is broken.
"""

from __future__ import annotations

import importlib
from typing import Any

from ..config import Settings
from ..exceptions import UnknownProviderError
from .base import Provider

__all__ = ["PROVIDER_NAMES", "create_provider", "provider_class"]

#: name -> (module, class): adding a provider is one line here (see docs/providers.md)
_CLASSES: dict[str, tuple[str, str]] = {
    "dropcontact": ("contact_udfs.providers.dropcontact", "DropcontactProvider"),
    "fullcontact": ("contact_udfs.providers.fullcontact", "FullContactProvider"),
    "coldlead": ("contact_udfs.providers.coldlead", "ColdLeadProvider"),
    "local": ("contact_udfs.providers.local", "LocalProvider"),
}
#: every registered name, in the default waterfall order
PROVIDER_NAMES: tuple[str, ...] = tuple(_CLASSES)


def _canonical(name: str) -> str:
    key = str(name).strip().lower()
    if key not in _CLASSES:
        raise UnknownProviderError(
            f"unknown provider {name!r}; valid names: {', '.join(PROVIDER_NAMES)}"
        )
    return key


def provider_class(name: str) -> type[Any]:
    """The class registered as ``name`` (case-insensitive); UnknownProviderError otherwise."""
    module, attr = _CLASSES[_canonical(name)]
    return getattr(importlib.import_module(module), attr)


def create_provider(name: str, settings: Settings, store: Any = None) -> Provider:
    """A ready provider built from ``settings``.

    ``store`` is only used by ``local``, which reads learned domain patterns from it;
    the paid providers raise ConfigurationError when their key is missing.
    """
    key = _canonical(name)
    cls = provider_class(key)
    if key == "local":
        return cls.from_settings(settings, store)
    return cls.from_settings(settings)
