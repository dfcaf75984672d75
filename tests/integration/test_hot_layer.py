"""The hot layer seen from the clients: shared per cache in the process, never hiding
what another process saved, emptied by forget and clear; and a recalculated range
that reads nothing from the store. Credits and requests are counted at the simulator,
store reads with a counting wrapper."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import contact_udfs.api as api
from contact_udfs import Client
from contact_udfs.sandbox import Sandbox
from contact_udfs.store.hot import HotStore

CHILD = """
import sys
from contact_udfs import Client
with Client(providers=["coldlead"]) as client:
    got = client.verify_emails(sys.argv[1:])
print(sum(1 for a in got if not a.from_cache))
"""


class Reads:
    """Wraps every store a Client opens; counts the keys read and claimed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.keys = 0
        opener = api.open_store
        outer = self

        class Counting:
            def __init__(self, store: Any) -> None:
                self.store, self.location = store, store.location

            def get_many(self, provider: str, operation: str, keys: Any) -> Any:
                outer.keys += len(keys)
                return self.store.get_many(provider, operation, keys)

            def claim(self, provider: str, operation: str, keys: Any, **kw: Any) -> Any:
                outer.keys += len(keys)
                return self.store.claim(provider, operation, keys, **kw)

            def __getattr__(self, name: str) -> Any:
                return getattr(self.store, name)

        monkeypatch.setattr(api, "open_store", lambda location: Counting(opener(location)))


@pytest.fixture
def env(sandbox: Sandbox, sandbox_env: dict[str, str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:  # fmt: skip
    for name, value in sandbox_env.items():
        monkeypatch.setenv(name, value)
    return {**os.environ, **sandbox_env}


def test_two_clients_share_what_one_read(sandbox: Sandbox, env: dict[str, str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    emails = sandbox.world.sample_emails(40, seed=3)
    reads = Reads(monkeypatch)
    with Client(providers=["coldlead"]) as one:
        assert isinstance(one.store, HotStore)
        one.verify_emails(emails)
        paid = sandbox.credits_spent("coldlead")
        reads.keys = 0
        with Client(providers=["coldlead"]) as two:  # another face of the same process
            again = two.verify_emails(emails)
        assert all(a.from_cache for a in again)
        # only retryable unknowns are read again: another process may have settled them
        assert reads.keys == sum(a.retryable for a in again) < len(emails)
        assert sandbox.credits_spent("coldlead") == paid


def test_a_miss_falls_through_to_what_another_process_saved(
    sandbox: Sandbox, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    held, new = sandbox.world.sample_emails(30, seed=4)[:20], sandbox.world.sample_emails(
        30, seed=4)[20:]  # fmt: skip
    with Client(providers=["coldlead"]) as client:
        client.verify_emails(held)
        child = subprocess.run([sys.executable, "-c", CHILD, *new], env=env,
                               capture_output=True, text=True, timeout=120)  # fmt: skip
        assert child.returncode == 0, child.stderr
        assert int(child.stdout) == len(new)  # the other process paid for them
        paid = sandbox.credits_spent("coldlead")
        got = client.verify_emails(held + new)
    assert all(a.from_cache for a in got)
    assert sandbox.credits_spent("coldlead") == paid  # nothing asked twice


def test_forget_and_clear_reach_every_client_of_the_process(
    sandbox: Sandbox, env: dict[str, str]
) -> None:
    emails = sandbox.world.sample_emails(5, seed=5)
    with Client(providers=["coldlead"]) as one, Client(providers=["coldlead"]) as two:
        one.verify_emails(emails)
        assert sandbox.credits_spent("coldlead") == 5
        assert two.forget(emails[0].upper()) >= 1
        got = one.verify_emails(emails)
        assert [a.from_cache for a in got] == [False, True, True, True, True]
        assert sandbox.credits_spent("coldlead") == 6  # only the forgotten one again
        two.store.clear()
        one.verify_emails(emails)
        assert sandbox.credits_spent("coldlead") == 11


def test_hot_cache_zero_turns_it_off(sandbox: Sandbox, env: dict[str, str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("CONTACT_UDFS_HOT_CACHE", "0")
    reads = Reads(monkeypatch)
    emails = sandbox.world.sample_emails(10, seed=6)
    with Client(providers=["coldlead"]) as client:
        assert not isinstance(client.store, HotStore)
        client.verify_emails(emails)
        reads.keys = 0
        client.verify_emails(emails)
    assert reads.keys == 10 and sandbox.credits_spent("coldlead") == 10


RETRY_CHILD = """
import sys
from contact_udfs import Client
with Client(providers=["coldlead"]) as client:
    got = client.verify_emails(sys.argv[1:], retry_unknown=True)
print(",".join(a.status.value for a in got))
"""


def test_a_retryable_unknown_settled_elsewhere_is_never_paid_again_downstream(
    sandbox: Sandbox, env: dict[str, str]
) -> None:
    """A retryable unknown is not held in memory: once another process settles it, a
    waterfall here reads the settled answer instead of paying the next provider."""
    emails = sandbox.world.sample_emails(3, seed=7)
    with Client(providers=["coldlead"]) as client:
        sandbox.inject("coldlead.verify", "500", times=10)  # one address: its fate unknown
        first = client.verify_emails(emails[:1])
        sandbox.clear_faults()
        assert first[0].status.value == "unknown" and first[0].retryable
        child = subprocess.run([sys.executable, "-c", RETRY_CHILD, emails[0]], env=env,
                               capture_output=True, text=True, timeout=120)  # fmt: skip
        assert child.returncode == 0, child.stderr
        assert child.stdout.strip() != "unknown"  # the other process settled it
    with Client(providers=["coldlead", "fullcontact"]) as waterfall:
        got = waterfall.verify_emails(emails[:1])
    assert got[0].provider == "coldlead" and got[0].from_cache
    assert sandbox.credits_spent("fullcontact") == 0
