"""Hostile values through the Python API: one clear answer each, nothing raised, and
not one credit spent on anything rejected locally (counted at the simulator)."""

from __future__ import annotations

import pytest
from hostile_inputs import CURATED, FIXED, hostile_value
from hypothesis import given
from hypothesis import strategies as st

from contact_udfs import Client, Status
from contact_udfs.identity import ERROR_MESSAGES, normalize_email


def check_answers(items: list, results: list) -> None:
    """One answer per input, in order; a rejected one says why, in a known code."""
    assert len(results) == len(items)
    for item, answer in zip(items, results, strict=True):
        norm = normalize_email(item)
        assert isinstance(answer.email, str)
        if norm.key is None:
            assert answer.status is Status.INVALID and answer.provider == "validation"
            assert answer.reason in ERROR_MESSAGES, answer.reason
        else:
            assert answer.provider != "validation"
            assert answer.address is not None


def test_local_provider_answers_every_hostile_value(offline_env):
    """Curated attacks plus generated cells, offline: a clear answer each, no error."""
    seen: list = []
    with Client() as client:

        @FIXED
        @given(st.lists(hostile_value, min_size=5, max_size=20))
        def check(items: list) -> None:
            seen.extend(items)
            check_answers(items, client.verify_emails(items))

        check()
        check_answers(CURATED, client.verify_emails(CURATED))
    assert len(seen) + len(CURATED) >= 200


@pytest.mark.parametrize("provider", ["dropcontact", "fullcontact", "coldlead"])
def test_paid_provider_is_never_charged_for_hostile_input(sandbox_env, provider):
    """The same values against a paid provider: what is rejected locally is never sent;
    the simulator bills exactly the distinct addresses that passed local checks."""
    sb = sandbox_env
    sent: set[str] = set()
    rejected: set[str] = set()  # refused by the vendor itself (422): answered, not billed
    seen: list = []
    with Client(providers=provider) as client:

        @FIXED
        @given(st.lists(hostile_value, min_size=5, max_size=20))
        def check(items: list) -> None:
            seen.extend(items)
            results = client.verify_emails(items)
            check_answers(items, results)
            for item, answer in zip(items, results, strict=True):
                key = normalize_email(item).key
                if key:
                    sent.add(key)
                    if answer.reason == "provider_rejected":
                        rejected.add(key)
            assert sb.credits_spent(provider) == len(sent - rejected)

        check()
        client.verify_emails(CURATED)
    sent.update(k for k in (normalize_email(i).key for i in CURATED) if k)
    assert len(seen) + len(CURATED) >= 200
    assert len(sent) >= 10, "IDN, confusable and odd-but-valid addresses were sent too"
    assert sb.credits_spent(provider) <= len(sent)
    assert max(sb.charges(provider).values(), default=1) == 1
    only_bad = [v for v in CURATED if normalize_email(v).key is None]
    before = sb.requests("*")
    with Client(providers=provider) as client:
        results = client.verify_emails(only_bad)
    assert {r.status for r in results} == {Status.INVALID}
    assert sb.requests("*") == before, "locally invalid input makes no HTTP call"
