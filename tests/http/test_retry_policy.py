"""DESIGN 5.6 at the simulator: what is re-sent, what becomes a retryable unknown.

Paid calls are re-sent only when the vendor surely did not act (503, 429, refused
connection). Everything ambiguous - a 5xx other than 503, a connection closed after the
request went out (``drop``, ``lost_response``), a read timeout, an unreadable 200 -
becomes ``unknown`` + ``retryable`` with no second request, so a contact is never
charged twice. Note on ``drop``: the simulator closes after *receiving* the request, so
from the client's side it is indistinguishable from a lost answer: it is ambiguous.
Free calls (polls, balances) are retried through all of them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from contact_udfs.exceptions import (
    ProviderResponseError,
    ProviderUnavailable,
    RateLimitError,
)
from contact_udfs.models import Operation, Status
from contact_udfs.providers.base import Submission, Task

PAID = [
    ("coldlead", "coldlead.verify", 1),
    ("fullcontact", "fullcontact.single", 1),
    ("fullcontact", "fullcontact.submit", 3),
    ("dropcontact", "dropcontact.submit", 3),
]
AMBIGUOUS = [  # fault, injection params, reason, billed by the simulator
    ("500", {}, "provider_error", False),
    ("502", {}, "provider_error", False),
    ("504", {}, "provider_error", False),
    ("524", {}, "provider_error", False),
    ("524", {"html": True}, "provider_error", False),
    ("drop", {}, "connection_lost", False),
    ("lost_response", {}, "connection_lost", True),
    ("malformed_json", {}, "provider_error", True),
]
SAFE = [("503", {}), ("503", {"html": True}), ("429", {"retry_after": 0})]


def _eventually(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Wait for the simulator's own thread (a slow request bills after we gave up)."""
    tick = threading.Event()
    for _ in range(int(timeout / 0.05)):
        if check():
            return True
        tick.wait(0.05)
    return check()


def _submit(make: Callable[..., Any], provider: str, n: int, tag: str,
            **kwargs: Any) -> tuple[list[str], Submission]:
    emails = [f"{tag}-{i}@example.org" for i in range(n)]
    sub = make(provider, **kwargs).submit(Operation.VERIFY, [Task(e, {"email": e})
                                                             for e in emails])
    return emails, sub


@pytest.mark.parametrize("provider, endpoint, n", PAID)
@pytest.mark.parametrize("fault, params, reason, billed", AMBIGUOUS)
def test_ambiguous_paid_call_is_not_resent(make, sandbox, provider, endpoint, n, fault, params,
                                           reason, billed) -> None:
    sandbox.inject(endpoint, fault, **params)
    emails, sub = _submit(make, provider, n, f"amb{fault}")
    assert sub.job is None and sub.error is None
    assert set(sub.answers) == set(emails)
    for answer in sub.answers.values():
        assert (answer.status, answer.reason, answer.retryable) == (Status.UNKNOWN, reason, True)
    assert sandbox.requests(endpoint) == 1
    assert sandbox.charges(provider) == ({e: 1 for e in emails} if billed else {})


@pytest.mark.parametrize("provider, endpoint, n", [PAID[0], PAID[3]])
def test_read_timeout_on_a_paid_call_is_ambiguous(make, sandbox, provider, endpoint, n) -> None:
    sandbox.inject(endpoint, "slow", delay=0.8)
    emails, sub = _submit(make, provider, n, "slow", http_timeout=(2.0, 0.3))
    assert {a.reason for a in sub.answers.values()} == {"connection_lost"}
    assert all(a.retryable for a in sub.answers.values())
    assert sandbox.requests(endpoint) == 1
    assert _eventually(lambda: sandbox.charges(provider) == {e: 1 for e in emails})


@pytest.mark.parametrize("provider, endpoint, n", PAID)
@pytest.mark.parametrize("fault, params", SAFE)
def test_paid_call_is_resent_when_the_vendor_did_not_act(make, sandbox, provider, endpoint, n,
                                                         fault, params) -> None:
    sandbox.inject(endpoint, fault, **params)
    emails, sub = _submit(make, provider, n, f"safe{fault}")
    assert sub.error is None
    if sub.job is None:
        assert all(a.reason not in ("provider_error", "connection_lost")
                   for a in sub.answers.values())
    assert sandbox.requests(endpoint) == 2
    assert sandbox.charges(provider) == {e: 1 for e in emails}


def test_persistent_503_on_a_paid_call_stores_nothing(make, sandbox) -> None:
    sandbox.inject("coldlead.verify", "503", times=3)
    emails, sub = _submit(make, "coldlead", 2, "down")
    assert sub.answers == {} and isinstance(sub.error, ProviderUnavailable)
    assert sandbox.requests("coldlead.verify") == 3 and sandbox.credits_spent("coldlead") == 0
    sandbox.inject("dropcontact.submit", "503", times=3)
    with pytest.raises(ProviderUnavailable):
        _submit(make, "dropcontact", 2, "down")
    assert sandbox.credits_spent("dropcontact") == 0


FREE_FAULTS = [("500", {}), ("502", {}), ("503", {}), ("504", {}), ("524", {"html": True}),
               ("429", {"retry_after": 0}), ("drop", {}), ("lost_response", {}),
               ("malformed_json", {})]


@pytest.mark.parametrize("fault, params", FREE_FAULTS)
@pytest.mark.parametrize("provider, endpoint", [("dropcontact", "dropcontact.poll"),
                                                ("fullcontact", "fullcontact.poll")])
def test_job_polls_are_retried_through_everything(make, sandbox, provider, endpoint, fault,
                                                  params) -> None:
    sandbox.set_job_polls_before_ready(0)
    p = make(provider)
    emails = [f"poll{fault}-{i}@example.org" for i in range(3)]
    job = p.submit(Operation.VERIFY, [Task(e, {"email": e}) for e in emails]).job
    sandbox.inject(endpoint, fault, times=2, **params)
    answers = p.poll(job)
    assert set(answers) == set(emails)
    assert sandbox.requests(endpoint) == 3
    assert sandbox.charges(provider) == {e: 1 for e in emails}


@pytest.mark.parametrize("fault, params", FREE_FAULTS)
@pytest.mark.parametrize("provider, endpoint", [("dropcontact", "dropcontact.credits"),
                                                ("coldlead", "coldlead.account")])
def test_balance_checks_are_retried_through_everything(make, sandbox, provider, endpoint,
                                                       fault, params) -> None:
    sandbox.inject(endpoint, fault, times=2, **params)
    assert make(provider).credits() == sandbox.balance(provider)
    assert sandbox.requests(endpoint) == 3


@pytest.mark.parametrize("fault, params, error", [
    ("500", {}, ProviderUnavailable), ("drop", {}, ProviderUnavailable),
    ("malformed_json", {}, ProviderResponseError), ("429", {"retry_after": 0}, RateLimitError),
])
def test_free_call_gives_up_after_the_attempts(make, sandbox, fault, params, error) -> None:
    sandbox.inject("coldlead.account", fault, times=3, **params)
    with pytest.raises(error):
        make("coldlead").credits()
    assert sandbox.requests("coldlead.account") == 3
