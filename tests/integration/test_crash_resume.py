"""A process killed while polling: the next run resumes the journaled job, 0 new credits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from contact_udfs import Client, Status
from contact_udfs.config import load_settings
from contact_udfs.store import SQLiteStore

CHILD = """
import sys
import contact_udfs as cu
emails = sys.stdin.read().split()
cu.Client(providers=[sys.argv[1]]).verify_emails(emails)
print("finished", flush=True)
"""


def wait_until(predicate, timeout=20.0):
    """Wait for an event the simulator reports; bounded, fails loudly."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the child process")
        time.sleep(0.02)


@pytest.mark.parametrize(
    ("provider", "poll"),
    [
        ("dropcontact", "dropcontact.poll"),
        ("fullcontact", "fullcontact.poll"),
    ],
)
def test_sigkill_while_polling_then_resume(sandbox, sandbox_env, tmp_path, provider, poll):
    emails = sandbox.world.sample_emails(400, seed=11)
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    env = {
        **os.environ,
        **sandbox_env,
        "CONTACT_UDFS_CONFIG": str(empty),
        "CONTACT_UDFS_CLAIM_TTL": "2",
    }
    sandbox.set_job_polls_before_ready(10**9)  # the job never gets ready while the child lives
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, provider],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    child.stdin.write("\n".join(emails))
    child.stdin.close()
    try:
        wait_until(lambda: sandbox.requests(poll) >= 2)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    spent = sandbox.credits_spent(provider)
    submits = sandbox.requests(f"{provider}.submit")
    assert spent == 400 and submits >= 1

    store = SQLiteStore(sandbox_env["CONTACT_UDFS_CACHE"])
    assert store.journal_open(provider, "verify"), "the job was journaled before polling"
    store.close()

    sandbox.set_job_polls_before_ready(0)
    settings = load_settings(
        environ={**sandbox_env, "CONTACT_UDFS_CLAIM_TTL": "2"}, config_file=empty
    )
    with Client(providers=[provider], settings=settings) as client:
        run = client.run("verify", emails)
    assert sandbox.credits_spent(provider) == spent, "resuming must not pay again"
    assert sandbox.requests(f"{provider}.submit") == submits
    assert run.report.credits == {} and run.report.pending == 0
    assert all(r.status is not Status.UNKNOWN or r.retryable for r in run.results)
    assert sum(r.status is Status.DELIVERABLE for r in run.results) > 100
