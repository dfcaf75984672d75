"""Claims die with their owner: dead processes of this host are known at once, live owners
beat, and nothing about another host is guessed."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from contact_udfs.core.claims import Heartbeat, new_owner, owner_is_dead, take_over_dead
from contact_udfs.store import SQLiteStore


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=30)
    return child.pid


def test_an_owner_id_names_host_and_process() -> None:
    host, pid, thread, nonce = new_owner().rsplit(":", 3)
    assert pid == str(os.getpid()) and thread == str(threading.get_ident()) and len(nonce) == 8
    assert new_owner() != new_owner()


def test_only_a_process_of_this_host_that_is_gone_counts_as_dead() -> None:
    host = new_owner().rsplit(":", 3)[0]
    gone = dead_pid()
    assert owner_is_dead(f"{host}:{gone}:1:abcd")
    assert not owner_is_dead(new_owner())  # this very process
    assert not owner_is_dead(f"{host}:1:1:abcd")  # init is alive (or not ours to signal)
    assert not owner_is_dead(f"another-host:{gone}:1:abcd")  # its pids mean nothing here
    for odd in ("", "one", "x:y:z", f"{host}:notapid:1:ab", "live", f"{host}:0:1:ab"):
        assert not owner_is_dead(odd)


def test_an_unreaped_child_is_dead_too() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    host = new_owner().rsplit(":", 3)[0]
    try:
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # exited, not yet reaped
        assert owner_is_dead(f"{host}:{child.pid}:1:abcd")
    finally:
        child.wait(timeout=30)


def test_take_over_dead_hands_over_only_the_dead_owners_keys(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "c.sqlite")
    host = new_owner().rsplit(":", 3)[0]
    dead, alive = f"{host}:{dead_pid()}:1:dead", new_owner()
    store.claim("p", "verify", ["a", "b"], owner=dead, ttl=60)
    store.claim("p", "verify", ["c"], owner=alive, ttl=60)
    me = new_owner()
    assert take_over_dead(store, "p", "verify", ["a", "b", "c"], owner=me, ttl=60) == ["a", "b"]
    assert store.claim_holders("p", "verify", ["a", "b", "c"]) == {"a": me, "b": me, "c": alive}
    assert take_over_dead(store, "p", "verify", [], owner=me, ttl=60) == []
    store.close()


class Recorder:
    """A store stub that records the heartbeat's renewals."""

    def __init__(self, wanted: int) -> None:
        self.calls: list[tuple[list[str], float]] = []
        self.enough = threading.Event()
        self.wanted = wanted

    def extend(self, provider: str, operation: str, keys: Sequence[str], *, owner: str,
               ttl: float) -> None:  # fmt: skip
        self.calls.append((sorted(keys), ttl))
        if len(self.calls) >= self.wanted:
            self.enough.set()


def test_the_heartbeat_renews_held_claims_until_it_stops() -> None:
    store = Recorder(wanted=2)
    beat = Heartbeat(store, "p", "verify", owner="me", ttl=0.3)  # type: ignore[arg-type]
    beat.hold(["a", "b"])
    with beat:
        assert store.enough.wait(10), "the heartbeat never renewed the claims"
        beat.drop(["a"])
        store.enough.clear()
        store.wanted = len(store.calls) + 1
        assert store.enough.wait(10)
    stopped = len(store.calls)
    assert store.calls[0] == (["a", "b"], 0.3) and store.calls[-1] == (["b"], 0.3)
    assert beat._thread is not None and not beat._thread.is_alive()
    assert len(store.calls) == stopped


def test_a_silent_machine_keeps_nobody_waiting_longer_than_one_claim_ttl(tmp_path: Path) -> None:
    """Claims of another host are never judged: they stop counting once their owner's
    heartbeat stops renewing them - one ``claim_ttl`` (the default), on the store's clock."""
    from fakes import FakeProvider

    from contact_udfs.config import DEFAULT_CLAIM_TTL, load_settings
    from contact_udfs.core.engine import Engine
    from contact_udfs.models import Operation

    class Clock:
        now = 1_700_000_000.0

        def __call__(self) -> float:
            return self.now

        def sleep(self, seconds: float) -> None:
            self.now += seconds

    clock = Clock()
    (tmp_path / "empty.toml").write_text("")
    settings = load_settings(environ={"CONTACT_UDFS_CACHE": str(tmp_path / "c.sqlite")},
                             config_file=tmp_path / "empty.toml")  # fmt: skip
    assert settings.claim_ttl == DEFAULT_CLAIM_TTL == 15.0
    store = SQLiteStore(settings.cache, clock=clock)
    keys = ["a@x.com", "b@x.com"]
    store.claim("fake", "verify", keys, owner="far-host:77:1:beat", ttl=settings.claim_ttl)
    fake = FakeProvider()
    engine = Engine([fake], store, settings, sleep=clock.sleep, clock=clock)
    run = engine.run(Operation.VERIFY, keys)
    assert sorted(fake.charges.elements()) == keys, "asked once the silent claims lapsed"
    assert run.report.claim_waits > 0 and run.report.pending == 0
    waited = clock.now - 1_700_000_000.0
    assert settings.claim_ttl <= waited < settings.claim_ttl + 2 * 1.0  # one TTL, one wait step
    store.close()
