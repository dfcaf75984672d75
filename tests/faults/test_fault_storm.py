"""A seeded storm: a fifth of the paid calls and of the job polls fail with a mix of
every fault, while a few hundred addresses arrive in overlapping calls of 1 to 40
(as Excel recalculations and notebook cells send them).

Proves the fault invariants at scale: each contact answered or retryable/pending,
nothing paid for lost, nobody charged twice, and one conscious retry after the storm
gives exactly the answers a fault-free run gives.
"""

from __future__ import annotations

import random

import pytest
from fault_helpers import PAID, POLLS, exercise

#: 20 % of paid calls fail; the faults that make the client wait (503, 429) stay rare
PAID_MIX = {
    "500": 0.03, "502": 0.02, "503": 0.02, "504": 0.02, "524": 0.02, "429": 0.02,
    "drop": 0.02, "lost_response": 0.02, "malformed_json": 0.02, "slow": 0.01,
}  # fmt: skip
#: ColdLead sends one paid call per address: fewer waits keep the run short
COLDLEAD_MIX = {**PAID_MIX, "500": 0.05, "503": 0.01, "429": 0.01}
#: polls are free and retried with backoff: 10 % keeps the storm's run time bounded
POLL_MIX = {
    "malformed_json": 0.03, "500": 0.01, "502": 0.01, "503": 0.01, "drop": 0.01,
    "lost_response": 0.01, "429": 0.01, "slow": 0.01,
}  # fmt: skip
SEEDS = {"dropcontact": 101, "fullcontact": 202, "coldlead": 303}


def overlapping_calls(emails: list[str], seed: int) -> list[list[str]]:
    """Calls of 1 to 40 addresses walking through ``emails``, each also re-asking a few
    earlier ones (some in upper case), so cache hits and new contacts mix."""
    rng = random.Random(seed)
    calls, start = [], 0
    while start < len(emails):
        size = rng.choice([1, 2, 5, 12, 25, 40])
        again = rng.sample(emails[:start], min(start, rng.randint(0, 5)))
        calls.append(emails[start : start + size] + [e.upper() for e in again[:2]] + again[2:])
        start += size
    return calls


@pytest.mark.parametrize("provider", ["dropcontact", "fullcontact", "coldlead"])
def test_fault_storm(sb, make_client, ledger, baseline, provider):
    """A 20 % mixed-fault storm over 300 addresses: every invariant holds."""
    seed = SEEDS[provider]
    mix = COLDLEAD_MIX if provider == "coldlead" else PAID_MIX
    for endpoint in PAID[provider]:
        sb.fault_rates(endpoint, mix, seed=seed)
    if provider in POLLS:
        sb.fault_rates(POLLS[provider], POLL_MIX, seed=seed)
    emails = sb.world.sample_emails(300, seed=seed)
    client = make_client(provider, CONTACT_UDFS_POLL_TIMEOUT="5")
    out = exercise(sb, client, provider, overlapping_calls(emails, seed), ledger, baseline)
    assert out["contacts"] == len(emails)
    assert out["faults"] >= 10, "the storm struck"
    assert out["hit"], "some contacts were left for a conscious retry"
    assert out["answered"] > len(emails) / 2
