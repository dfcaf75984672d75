"""429 bursts: short ones are waited out (``Retry-After``), long ones give up cleanly.

A 429 means the vendor did not act, so re-sending is free of risk; but a burst longer
than the retry budget must not turn into an exception for the whole call: the
provider counts as down for the rest of the call, its contacts go to the next
provider of the waterfall or become ``provider_unavailable`` (retryable, not stored),
and the next call asks them again.
"""

from __future__ import annotations

import pytest
from fault_helpers import exercise

from contact_udfs import Status

TARGETS = [
    ("dropcontact", "dropcontact.submit", 30),
    ("fullcontact", "fullcontact.submit", 30),
    ("fullcontact", "fullcontact.single", 1),
    ("coldlead", "coldlead.verify", 30),
]
IDS = [t[1] for t in TARGETS]
#: tries per call in the client's retry policy (contact_udfs.http.client.RetryPolicy.attempts)
ATTEMPTS = 5


def _calls(sb, size: int) -> list[list[str]]:
    emails = sb.world.sample_emails(30, seed=41)
    return [emails] if size > 1 else [[e] for e in emails[:3]]


@pytest.mark.parametrize(("provider", "endpoint", "size"), TARGETS, ids=IDS)
def test_short_429_burst_is_waited_out(sb, make_client, ledger, baseline, provider, endpoint, size):
    """Two 429s in a row with ``Retry-After: 1``: the call is re-sent after the wait and
    every contact is answered in the same call, each charged once."""
    sb.inject(endpoint, "429", times=2, retry_after=1)
    out = exercise(sb, make_client(provider), provider, _calls(sb, size), ledger, baseline)
    assert not out["hit"]
    assert sb.count_429(provider) == 2


@pytest.mark.parametrize(("provider", "endpoint", "size"), TARGETS, ids=IDS)
def test_long_429_burst_gives_up_per_contact(sb, make_client, provider, endpoint, size):
    """A burst longer than the retry budget: the provider counts as down for the rest of
    the call, its contacts are answered ``provider_unavailable`` (nothing was billed,
    nothing stored), the call itself does not fail, and the next call asks them again
    without any retry flag."""
    sb.inject(endpoint, "429", times=ATTEMPTS, retry_after=0)
    client = make_client(provider)
    calls = _calls(sb, size)
    runs = [client.run("verify", call) for call in calls]
    first = [r for run in runs for r in run.results]
    unavailable = [r for r in first if r.reason == "provider_unavailable"]
    assert len(unavailable) == len(calls[0]), "the refused call's contacts, no more"
    assert all(r.status is Status.UNKNOWN and r.retryable for r in unavailable)
    assert sb.credits_spent(provider) == len(first) - len(unavailable)
    sb.clear_faults()
    again = [r for call in calls for r in client.run("verify", call).results]
    assert not any(r.reason == "provider_unavailable" for r in again), "asked again, no flag"
    assert max(sb.charges(provider).values()) == 1


def test_outage_hands_contacts_to_the_next_provider(sb, make_client):
    """ColdLead refusing past the retry budget in a waterfall ``coldlead,dropcontact``:
    every contact is answered by Dropcontact in the same call, and ColdLead bills
    nothing."""
    sb.inject("coldlead.verify", "429", times=ATTEMPTS, retry_after=0)
    emails = sb.world.sample_emails(30, seed=42)
    run = make_client("coldlead,dropcontact").run("verify", emails)
    assert {r.provider for r in run.results} == {"dropcontact"}
    assert not any(r.reason == "provider_unavailable" for r in run.results)
    assert sb.requests("coldlead.verify") == ATTEMPTS, "one refused call, not one per contact"
    assert sb.credits_spent("coldlead") == 0
    assert sb.credits_spent("dropcontact") == len(emails)
