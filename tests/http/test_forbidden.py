"""A 403 is "out of credits" only where a vendor documents it so (Dropcontact, seed 001)."""

from __future__ import annotations

from contact_udfs.exceptions import AuthenticationError, QuotaExceededError
from contact_udfs.http import DEFAULT_ERRORS, ErrorRule
from contact_udfs.providers.coldlead import ColdLeadProvider
from contact_udfs.providers.dropcontact import DropcontactProvider
from contact_udfs.providers.fullcontact import FullContactProvider


def test_an_undocumented_403_is_never_out_of_credits() -> None:
    rule = {**DEFAULT_ERRORS, **ColdLeadProvider.errors}[403]
    assert rule.exception_class("") is AuthenticationError
    assert not rule.resent("")


def test_fullcontacts_silent_403_is_resent_and_never_quota() -> None:
    rule = FullContactProvider.errors[403]
    for message in ("", "Forbidden", "Something happened"):
        assert rule.exception_class(message) is not QuotaExceededError
        assert rule.resent(message)


def test_dropcontacts_documented_quota_403_stays_quota() -> None:
    assert DropcontactProvider.errors[403].exception_class("") is QuotaExceededError


def test_resend_may_be_a_constant() -> None:
    assert ErrorRule(AuthenticationError, "x", resend=True).resent("anything")
    assert not ErrorRule(AuthenticationError, "x").resent("anything")
