"""The shared provider contract, run against every registered provider.

A new provider adds one class here; the last test fails until it does.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from contact_udfs.config import (
    DEFAULT_BASE_URLS,
    DEFAULT_RATE_LIMITS,
    PAID_PROVIDERS,
    RateLimit,
)
from contact_udfs.providers.base import Provider
from contact_udfs.providers.registry import PROVIDER_NAMES, provider_class

sys.path.insert(0, os.path.dirname(__file__))  # the shared contract sits beside this file
from provider_contract import ProviderContract  # noqa: E402


class TestDropcontactContract(ProviderContract):
    name = "dropcontact"
    verify_endpoint = "dropcontact.submit"


class TestFullContactContract(ProviderContract):
    name = "fullcontact"
    verify_endpoint = "fullcontact.submit"


class TestColdLeadContract(ProviderContract):
    name = "coldlead"
    verify_endpoint = "coldlead.verify"


class TestLocalContract(ProviderContract):
    name = "local"
    paid = False

    def build(self, make: Callable[..., Any], **kwargs: Any) -> Provider:
        return provider_class("local")(check_dns=False)  # tests never leave the machine


def test_every_registered_provider_runs_the_contract() -> None:
    covered = {cls.name for cls in ProviderContract.__subclasses__()}
    assert covered == set(PROVIDER_NAMES)


def test_every_paid_provider_has_its_settings_defaults() -> None:
    paid = [n for n in PROVIDER_NAMES if n != "local"]
    assert set(paid) == set(PAID_PROVIDERS)
    for name in paid:
        assert DEFAULT_BASE_URLS[name].startswith("https://")
        assert RateLimit.parse(DEFAULT_RATE_LIMITS[name])
