"""One fault at a time, on every paid endpoint: 5xx (JSON and HTML bodies), dropped
connections, lost responses, malformed JSON, slow answers and 429 bursts.

Each test proves the four invariants of :mod:`fault_helpers` for one fault: contacts
end answered or retryable, paid answers are kept, nobody is charged twice, and a
conscious ``retry_unknown=True`` heals everything once the fault is gone.
"""

from __future__ import annotations

import pytest
from fault_helpers import exercise, label

#: (provider, endpoint, addresses per call): FullContact has a single-address endpoint too
TARGETS = [
    ("dropcontact", "dropcontact.submit", 30),
    ("fullcontact", "fullcontact.submit", 30),
    ("fullcontact", "fullcontact.single", 1),
    ("coldlead", "coldlead.verify", 30),
]
#: the vendor may have acted and billed: the contact becomes unknown + retryable
AMBIGUOUS = [
    ("500", {}), ("502", {}), ("504", {}), ("524", {}),
    ("500", {"html": True}), ("502", {"html": True}), ("504", {"html": True}),
    ("524", {"html": True}), ("drop", {}), ("lost_response", {}), ("malformed_json", {}),
    ("slow", {"delay": 1.0}),
]  # fmt: skip
#: the vendor surely did not act: re-sent at once, answered in the same call
#: (429 has its own tests in test_fault_bursts.py)
SAFE = [("503", {}), ("503", {"html": True})]


def _batches(sb, size: int) -> list[list[str]]:
    emails = sb.world.sample_emails(30, seed=7)
    return [emails] if size > 1 else [[e] for e in emails[:4]]


@pytest.mark.parametrize(("provider", "endpoint", "size"), TARGETS, ids=[t[1] for t in TARGETS])
@pytest.mark.parametrize(("fault", "params"), AMBIGUOUS, ids=[label(f, p) for f, p in AMBIGUOUS])
def test_ambiguous_fault_is_kept_not_resent(
    sb, make_client, ledger, baseline, provider, endpoint, size, fault, params
):
    """An ambiguous failure on a paid call answers unknown/retryable, is never re-sent
    automatically (one charge at most) and is settled by a later conscious retry."""
    sb.inject(endpoint, fault, times=2, **params)
    out = exercise(sb, make_client(provider), provider, _batches(sb, size), ledger, baseline)
    assert out["hit"], "the fault reached the client"
    reasons = {out["first"][k].reason for k in out["hit"]}
    assert reasons <= {"connection_lost", "provider_error"}
    assert sb.requests(endpoint) >= 2


@pytest.mark.parametrize(("provider", "endpoint", "size"), TARGETS, ids=[t[1] for t in TARGETS])
@pytest.mark.parametrize(("fault", "params"), SAFE, ids=[label(f, p) for f, p in SAFE])
def test_safe_fault_is_resent_at_once(
    sb, make_client, ledger, baseline, provider, endpoint, size, fault, params
):
    """503 and 429 mean the vendor did not act: the call is re-sent after the wait the
    vendor asks for and every contact is answered in the same call, each charged once."""
    sb.inject(endpoint, fault, times=1, **params)
    out = exercise(sb, make_client(provider), provider, _batches(sb, size), ledger, baseline)
    assert not out["hit"], {k: out["first"][k].reason for k in out["hit"]}
    assert sb.stats()["faults"][endpoint] == {fault: 1}
