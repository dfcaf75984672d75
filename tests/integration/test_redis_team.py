"""A team on one Redis, counted at the simulator: one credit per address across machines,
a crash resumed from the shared journal, one ColdLead limit for everyone, and nothing
private or secret left behind.

"Machines" are separate interpreters with their own config directory and nothing in
common but ``CONTACT_UDFS_CACHE=redis://...``. They start together on a line read from
stdin; waiting is only ever bounded polling of something observable.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyrate_limiter import RateItem

from contact_udfs import Client
from contact_udfs.config import RateLimit, load_settings
from contact_udfs.http import limiter_for

redis = pytest.importorskip("redis")
from redis_server import fresh_db, redis_url  # noqa: E402, F401

from contact_udfs.store.redis import RedisStore  # noqa: E402

pytestmark = pytest.mark.redis

WORKER = r"""
import json, sys
import contact_udfs as cu
provider = sys.argv[1]
emails = json.loads(sys.stdin.readline())
client = cu.Client(providers=[provider])
print("ready", flush=True)
sys.stdin.readline()  # everyone starts together
run = client.run("verify", emails)
client.close()
answers = {e: [r.status.value, r.reason, r.retryable] for e, r in zip(emails, run.results)}
print(json.dumps({"answers": answers, "pending": run.report.pending}), flush=True)
"""


@pytest.fixture
def team_url(redis_url: str) -> str:  # noqa: F811
    """A Redis database of this test's own, as every machine of the team would configure it."""
    return fresh_db(redis_url)


@pytest.fixture
def machine_env(sandbox_env: dict[str, str], team_url: str, tmp_path: Path) -> Any:
    """The environment of one team machine: its own config dir, the shared Redis cache."""

    def make(name: str, **extra: str) -> dict[str, str]:
        home = tmp_path / name
        home.mkdir(exist_ok=True)
        (home / "config.toml").write_text("")
        return {**os.environ, **sandbox_env, "CONTACT_UDFS_CONFIG": str(home / "config.toml"),
                "CONTACT_UDFS_CACHE": team_url, **extra}  # fmt: skip

    return make


def run_together(jobs: list[tuple[dict[str, str], str, list[str]]]) -> tuple[list[Any], float]:
    """Start one worker per (env, provider, emails), release them at once, collect results."""
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, provider], env=env, text=True,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for env, provider, _ in jobs
    ]  # fmt: skip
    try:
        for proc, (_, _, emails) in zip(procs, jobs, strict=True):
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(json.dumps(emails) + "\n")
            proc.stdin.flush()
            assert proc.stdout.readline().strip() == "ready", proc.communicate(timeout=30)[1]
        started = time.monotonic()
        for proc in procs:
            proc.stdin.write("go\n")  # type: ignore[union-attr]
            proc.stdin.flush()  # type: ignore[union-attr]
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            assert "Traceback" not in err, err
            results.append(json.loads(out))
        return results, time.monotonic() - started
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()


def dump(url: str) -> str:
    """Every key and every value in the database, as one lower-cased text to search in."""
    client = redis.Redis.from_url(url, decode_responses=True)
    parts: list[str] = []
    try:
        for name in client.scan_iter(count=1000):
            read = {"string": client.get, "hash": client.hgetall, "set": client.smembers,
                    "zset": lambda n: client.zrange(n, 0, -1, withscores=True),
                    "list": lambda n: client.lrange(n, 0, -1)}[client.type(name)]  # fmt: skip
            parts.append(f"{name} => {read(name)}")
    finally:
        client.close()
    return "\n".join(parts).lower()


def test_two_machines_eight_processes_pay_once(sandbox, machine_env) -> None:
    pool = sandbox.world.sample_emails(1600, seed=21)
    rng = random.Random(21)
    lists = [rng.sample(pool, 1000) for _ in range(8)]
    distinct = {e.strip().lower() for batch in lists for e in batch}
    machines = [machine_env("machine-a"), machine_env("machine-b")]
    results, elapsed = run_together(
        [(machines[n % 2], "dropcontact", batch) for n, batch in enumerate(lists)]
    )
    print(f"8 processes x 1000 addresses ({len(distinct)} distinct): {elapsed:.1f} s")
    assert sandbox.credits_spent("dropcontact") == len(distinct)
    assert max(sandbox.charges("dropcontact").values()) == 1
    seen: dict[str, set[str]] = {}
    for result in results:
        assert result["pending"] == 0 and len(result["answers"]) == 1000
        for email, (status, reason, _) in result["answers"].items():
            assert reason not in ("pending", "provider_unavailable", "connection_lost"), reason
            seen.setdefault(email.strip().lower(), set()).add(status)
    assert all(len(statuses) == 1 for statuses in seen.values()), "one shared answer each"


def test_sigkill_while_polling_resumes_from_redis(sandbox, machine_env, team_url) -> None:
    emails = sandbox.world.sample_emails(400, seed=12)
    env = machine_env("crashing")
    sandbox.set_job_polls_before_ready(10**9)  # never ready while the child lives
    child = subprocess.Popen([sys.executable, "-c", WORKER, "dropcontact"], env=env, text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)  # fmt: skip
    try:
        child.stdin.write(json.dumps(emails) + "\ngo\n")  # type: ignore[union-attr]
        child.stdin.close()  # type: ignore[union-attr]
        deadline = time.monotonic() + 30
        while sandbox.requests("dropcontact.poll") < 2:
            assert time.monotonic() < deadline, "the child never polled"
            time.sleep(0.02)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        for pipe in (child.stdout, child.stderr):
            pipe.close()  # type: ignore[union-attr]
    assert child.returncode == -signal.SIGKILL
    spent, submits = sandbox.credits_spent("dropcontact"), sandbox.requests("dropcontact.submit")
    assert spent == 400 and submits >= 1
    store = RedisStore.from_url(team_url)
    assert store.journal_open("dropcontact", "verify"), "journaled before polling"
    store.close()

    sandbox.set_job_polls_before_ready(0)
    other = machine_env("resuming")
    settings = load_settings(environ=other, config_file=Path(other["CONTACT_UDFS_CONFIG"]))
    with Client(providers=["dropcontact"], settings=settings) as client:
        run = client.run("verify", emails)
    assert sandbox.credits_spent("dropcontact") == spent, "resuming must not pay again"
    assert sandbox.requests("dropcontact.submit") == submits
    assert run.report.credits == {} and run.report.pending == 0
    assert run.report.claim_waits == 0, "the journaled job was polled, not waited for"
    store = RedisStore.from_url(team_url)
    assert store.journal_open("dropcontact", "verify") == []
    store.close()


def test_coldlead_limit_is_shared_through_redis(sandbox, machine_env) -> None:
    sandbox.set_rate("coldlead", 20, 2.0)
    emails = sandbox.world.sample_emails(80, seed=13)
    jobs = [
        (machine_env(f"machine-{n}", COLDLEAD_RATE_LIMIT="20/2"), "coldlead", emails[n::2])
        for n in range(2)
    ]
    results, elapsed = run_together(jobs)
    print(f"2 processes x 40 ColdLead verifies at 20/2 s: {elapsed:.1f} s")
    assert sandbox.count_429("coldlead") == 0
    assert sandbox.requests("coldlead.verify") == 80 == sandbox.credits_spent("coldlead")
    assert all(r["pending"] == 0 and len(r["answers"]) == 40 for r in results)


def test_shared_limiter_counts_entries_stamped_after_our_clock_read(team_url) -> None:
    first, second = (limiter_for("coldlead", RateLimit(20, 2.0), team_url) for _ in range(2))
    try:
        bucket = second.bucket_factory.get(second.bucket_factory.wrap_item("coldlead"))
        late = RateItem("coldlead", bucket.now() - 5)  # read its clock, then was descheduled
        assert sum(first.try_acquire("coldlead", blocking=False) for _ in range(20)) == 20
        assert not bucket.put(late), "a 21st request within 2 s was admitted"
    finally:
        first.bucket_factory.close()
        second.bucket_factory.close()


@pytest.fixture
def team_client(client_for, team_url) -> Iterator[Any]:
    def make(providers: str, **env: str) -> Client:
        return client_for(providers, CONTACT_UDFS_CACHE=team_url, **env)

    yield make


def test_forget_erases_the_address_from_redis(sandbox, team_client, team_url) -> None:
    person = next(p for p in sandbox.world.people() if p["dropcontact_findable"])
    address, others = person["email"].lower(), sandbox.world.sample_emails(5, seed=14)
    client = team_client("dropcontact")
    client.verify_emails([person["email"].upper(), *others])
    found = client.find_emails([{k: person[k] for k in ("first_name", "last_name", "domain")}])
    assert found[0].email and found[0].email.lower() == address
    sandbox.set_job_polls_before_ready(10**9)  # and a job left open in the journal
    pending = team_client("fullcontact", CONTACT_UDFS_POLL_TIMEOUT="0.2")
    assert pending.verify_emails([address, others[0]])[0].reason == "pending"
    store = RedisStore.from_url(team_url)
    assert any(address in job.keys for job in store.journal_open("fullcontact", "verify"))
    assert address in dump(team_url)

    assert client.forget(address.title()) >= 2
    assert address not in dump(team_url)
    assert [job.keys for job in store.journal_open("fullcontact", "verify")] == [[others[0]]]
    assert client.verify_emails(others) and sandbox.credits_spent("dropcontact") == 7
    store.close()


def test_no_provider_key_in_redis(sandbox, team_client, team_url) -> None:
    emails = sandbox.world.sample_emails(30, seed=15)
    for provider in ("dropcontact", "fullcontact", "coldlead"):
        team_client(provider).verify_emails(emails)
    person = sandbox.world.people()[0]
    team_client("coldlead").find_emails([{k: person[k] for k in ("full_name", "domain")}])
    text = dump(team_url)
    assert "ratelimit" in text and "dropcontact" in text  # the limiter and the store are here
    for provider, key in sandbox.keys.items():
        assert key.lower() not in text, f"the {provider} key reached Redis"
