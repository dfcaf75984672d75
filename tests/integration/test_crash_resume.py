"""A process killed while polling: the next run resumes the journaled job, 0 new credits,
and without waiting for the dead process's claims to lapse.

Everything runs with the user's defaults (claim TTL, poll interval): no setting is
shortened to hide a wait. What proves there was no wait is counted, not timed: the
run's ``claim_waits``, cells shown ``PENDING``, polls and submits at the simulator.
A wall-clock bound appears only as the generous timeout of a subprocess.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis_server import fresh_db, redis_url  # noqa: F401  (the Redis case's server)

from contact_udfs import Client, Status
from contact_udfs.config import load_settings
from contact_udfs.sandbox import Sandbox
from contact_udfs.store import SQLiteStore

CHILD = """
import sys
import contact_udfs as cu
emails = sys.stdin.read().split()
cu.Client(providers=[sys.argv[1]]).verify_emails(emails)
print("finished", flush=True)
"""
#: a generous bound on a rerun that must not wait for dead claims (a timeout, not a measure)
RERUN_BOUND = 15.0


def wait_until(predicate, timeout=20.0):
    """Wait for an event the simulator reports; bounded, fails loudly."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the child process")
        time.sleep(0.02)


@pytest.fixture
def user_env(sandbox_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The simulator's URLs and keys, a private cache, and every other setting at its default."""
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    env = {**sandbox_env, "CONTACT_UDFS_CONFIG": str(empty)}
    env.pop("CONTACT_UDFS_POLL_INTERVAL")
    return env


@pytest.fixture
def job_delay(sandbox: Sandbox) -> Iterator[Sandbox]:
    yield sandbox
    sandbox.set_job_delay(0)


def kill_while_polling(sandbox: Sandbox, env: dict[str, str], provider: str,
                       emails: list[str]) -> None:  # fmt: skip
    """Start a run in a child process and SIGKILL it once the simulator saw it poll."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, provider], env={**os.environ, **env},
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    child.stdin.write("\n".join(emails))
    child.stdin.close()
    try:
        wait_until(lambda: sandbox.requests(f"{provider}.poll") >= 1)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL


@pytest.mark.parametrize("provider", ["dropcontact", "fullcontact"])
def test_sigkill_while_polling_then_resume(sandbox, user_env, provider):
    emails = sandbox.world.sample_emails(400, seed=11)
    sandbox.set_job_polls_before_ready(10**9)  # the job never gets ready while the child lives
    kill_while_polling(sandbox, user_env, provider, emails)
    spent = sandbox.credits_spent(provider)
    submits = sandbox.requests(f"{provider}.submit")
    assert spent == 400 and submits >= 1

    store = SQLiteStore(user_env["CONTACT_UDFS_CACHE"])
    assert store.journal_open(provider, "verify"), "the job was journaled before polling"
    assert store.stats()["claims"] > 0, "the dead run's claims are still there"
    store.close()

    sandbox.set_job_polls_before_ready(0)
    polls = sandbox.requests(f"{provider}.poll")
    settings = load_settings(environ=user_env, config_file=Path(user_env["CONTACT_UDFS_CONFIG"]))
    with Client(providers=[provider], settings=settings) as client:
        run = client.run("verify", emails)
    assert sandbox.credits_spent(provider) == spent, "resuming must not pay again"
    assert sandbox.requests(f"{provider}.submit") == submits
    assert sandbox.requests(f"{provider}.poll") > polls, "the journaled job was polled"
    assert run.report.claim_waits == 0, "the dead run's claims were not waited for"
    assert run.report.credits == {} and run.report.pending == 0
    assert all(r.status is not Status.UNKNOWN or r.retryable for r in run.results)
    assert sum(r.status is Status.DELIVERABLE for r in run.results) > 100


def test_python_rerun_collects_a_job_ready_4s_after_submit(sandbox, user_env, job_delay):
    emails = sandbox.world.sample_emails(120, seed=21)
    sandbox.set_job_polls_before_ready(0)
    sandbox.set_job_delay(4.0)  # the vendor needs 4 s; the child dies before that
    kill_while_polling(sandbox, user_env, "dropcontact", emails)
    spent, submits = sandbox.credits_spent("dropcontact"), sandbox.requests("dropcontact.submit")
    assert spent == 120 and submits == 1

    settings = load_settings(environ=user_env, config_file=Path(user_env["CONTACT_UDFS_CONFIG"]))
    with Client(providers=["dropcontact"], settings=settings) as client:
        run = client.run("verify", emails)
    assert run.report.claim_waits == 0 and run.report.pending == 0
    assert run.report.credits == {}
    assert sandbox.credits_spent("dropcontact") == spent
    assert sandbox.requests("dropcontact.submit") == submits
    assert not any(r.reason == "pending" for r in run.results)


def test_cli_rerun_collects_a_job_ready_4s_after_submit(sandbox, user_env, job_delay, tmp_path):
    emails = sandbox.world.sample_emails(120, seed=22)
    sandbox.set_job_polls_before_ready(0)
    sandbox.set_job_delay(4.0)
    kill_while_polling(sandbox, user_env, "dropcontact", emails)
    spent, submits = sandbox.credits_spent("dropcontact"), sandbox.requests("dropcontact.submit")
    polls = sandbox.requests("dropcontact.poll")
    sheet, out = tmp_path / "emails.csv", tmp_path / "out.csv"
    sheet.write_text("email\n" + "\n".join(emails) + "\n")
    cli = Path(sys.executable).with_name("contact-udfs")
    done = subprocess.run(
        [str(cli), "verify", str(sheet), "-o", str(out), "--no-progress"],
        env={**os.environ, **user_env, "CONTACT_UDFS_PROVIDERS": "dropcontact"},
        capture_output=True, text=True, timeout=RERUN_BOUND,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sandbox.credits_spent("dropcontact") == spent, "the rerun paid nothing"
    assert sandbox.requests("dropcontact.submit") == submits
    assert sandbox.requests("dropcontact.poll") > polls
    with out.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 120
    reasons = [row.get("email_reason") or row.get("reason") for row in rows]
    assert "pending" not in reasons


def test_excel_recalculation_after_a_crash_shows_the_answers(sandbox, user_env, monkeypatch):
    from contact_udfs.faces.excel import batching as excel_batch
    from contact_udfs.faces.excel import udfs as excel

    emails = sandbox.world.sample_emails(40, seed=23)
    sandbox.set_job_polls_before_ready(10**9)
    kill_while_polling(sandbox, user_env, "dropcontact", emails)
    spent, submits = sandbox.credits_spent("dropcontact"), sandbox.requests("dropcontact.submit")
    sandbox.set_job_polls_before_ready(0)  # the vendor finishes the job

    for name, value in {**user_env, "CONTACT_UDFS_PROVIDERS": "dropcontact"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CONTACT_UDFS_POLL_INTERVAL", raising=False)
    monkeypatch.delenv("CONTACT_UDFS_EXCEL_WAIT", raising=False)
    try:
        shown = [row[0] for row in excel.VERIFY_EMAIL([[e] for e in emails])]
    finally:
        assert excel_batch.wait_for_background(30)
    # the formula's own short wait was enough: the dead run's claims kept nobody waiting
    assert not [c for c in shown if str(c).startswith("PENDING")]
    assert {str(c) for c in shown} <= {s.value for s in Status}
    assert sandbox.credits_spent("dropcontact") == spent
    assert sandbox.requests("dropcontact.submit") == submits


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def cache_env(request: pytest.FixtureRequest) -> dict[str, str]:
    if request.param == "sqlite":
        return {}
    return {"CONTACT_UDFS_CACHE": fresh_db(request.getfixturevalue("redis_url"))}


def test_a_journaled_job_held_by_another_machine_is_polled_not_awaited(
    sandbox, client_for, cache_env
):
    """A live-looking owner elsewhere (another host: its pid means nothing here) holds the
    claims; its job is journaled, so the rerun polls it at once instead of waiting."""
    emails = sandbox.world.sample_emails(30, seed=24)
    sandbox.set_job_polls_before_ready(10**9)
    first = client_for("dropcontact", **cache_env)
    run = first.run("verify", emails, poll_timeout=0)  # partial results; the rest journaled
    keys = [e.strip().lower() for e, r in zip(emails, run.results) if r.reason == "pending"]
    assert keys and run.report.pending == len(keys)
    claim = first.store.claim("dropcontact", "verify", keys, owner="far-host:4242:1:abcd", ttl=60)
    assert claim.mine == keys, "another machine now holds the claims of the journaled keys"
    spent, submits = sandbox.credits_spent("dropcontact"), sandbox.requests("dropcontact.submit")

    sandbox.set_job_polls_before_ready(0)
    run = client_for("dropcontact", **cache_env).run("verify", emails)
    assert run.report.claim_waits == 0 and run.report.pending == 0
    assert sandbox.credits_spent("dropcontact") == spent
    assert sandbox.requests("dropcontact.submit") == submits
