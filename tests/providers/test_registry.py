"""providers.registry: names, lazy classes, construction from settings."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from contact_udfs.exceptions import UnknownProviderError
from contact_udfs.models import Operation
from contact_udfs.providers.base import Provider
from contact_udfs.providers.registry import PROVIDER_NAMES, create_provider, provider_class


def test_names() -> None:
    assert PROVIDER_NAMES == ("dropcontact", "fullcontact", "coldlead", "local")


@pytest.mark.parametrize("name, batch", [("dropcontact", 250), ("fullcontact", 300),
                                         ("coldlead", 25)])
def test_paid_providers_follow_the_protocol(sandbox_settings, name: str, batch: int) -> None:
    cls = provider_class(name.upper())
    assert cls.name == name and cls.max_batch == batch
    provider = create_provider(f" {name} ", sandbox_settings)
    try:
        assert isinstance(provider, Provider)
        assert provider.cost(Operation.VERIFY) == 1
    finally:
        provider.close()


def test_unknown_name_lists_the_valid_ones(sandbox_settings) -> None:
    with pytest.raises(UnknownProviderError) as info:
        create_provider("hunter", sandbox_settings)
    for name in PROVIDER_NAMES:
        assert name in str(info.value)
    with pytest.raises(UnknownProviderError):
        provider_class("")


def test_local_gets_the_store(monkeypatch, sandbox_settings) -> None:
    seen: dict[str, Any] = {}

    class FakeLocal:
        @classmethod
        def from_settings(cls, settings: Any, store: Any = None) -> FakeLocal:
            seen.update(settings=settings, store=store)
            return cls()

    module = types.ModuleType("contact_udfs.providers.local")
    module.LocalProvider = FakeLocal  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "contact_udfs.providers.local", module)
    store = object()
    assert isinstance(create_provider("local", sandbox_settings, store), FakeLocal)
    assert seen == {"settings": sandbox_settings, "store": store}
