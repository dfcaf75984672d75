"""Many processes and threads asking overlapping lists at once, one SQLite cache file.

Proves DESIGN §5.4 under real contention: however many clients ask for the same
address at the same moment, the simulator bills it once; nobody sees ``database is
locked`` or any other error; everyone gets one answer per input.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading

import pytest

from contact_udfs import Client, Status
from contact_udfs.config import load_settings

N = 1000  # addresses per worker
PROCESSES, THREADS = 8, 16
PROVIDERS = ["dropcontact", "coldlead"]  # jobs of 250, and one paid call per address

CHILD = """
import json, sys
import contact_udfs as cu
emails = open(sys.argv[2], encoding="utf-8").read().split()
print("ready", flush=True)
sys.stdin.readline()  # "go": every child starts at once
run = cu.Client(providers=[sys.argv[1]]).run("verify", emails)
print(json.dumps({
    "answers": len(run.results),
    "emails": [r.email for r in run.results],
    "reasons": sorted({str(r.reason) for r in run.results}),
    "pending": run.report.pending,
}), flush=True)
"""


def windows(pool: list[str], workers: int) -> list[list[str]]:
    """``workers`` lists of N addresses, each shifted a little: most addresses are
    asked by several workers at once."""
    step = (len(pool) - N) // (workers - 1)
    return [pool[i * step : i * step + N] for i in range(workers)]


#: reasons saying a run could not get an answer (vs. a vendor's own ``unknown`` verdict)
FAULT_REASONS = frozenset(
    {"pending", "connection_lost", "provider_error", "provider_unavailable", "no_provider"}
)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_processes_share_one_cache_and_pay_once(sandbox, sandbox_env, tmp_path, provider):
    """8 processes, each its own Client on the same cache file, 1,000 overlapping
    addresses each: credits == distinct addresses, 1,000 answers each, clean stderr."""
    pool = sandbox.world.sample_emails(N + 875, seed=61)
    lists = windows(pool, PROCESSES)
    distinct = len({e for chunk in lists for e in chunk})
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    env = {**os.environ, **sandbox_env, "CONTACT_UDFS_CONFIG": str(empty),
           "CONTACT_UDFS_POLL_TIMEOUT": "120"}  # fmt: skip
    inputs = []
    for i, chunk in enumerate(lists):
        inputs.append(tmp_path / f"emails{i}.txt")
        inputs[-1].write_text("\n".join(chunk), encoding="utf-8")
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, provider, str(path)],
            env=env,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for path in inputs
    ]
    try:
        for child in children:  # every child has imported the package and read its list
            assert child.stdout.readline().strip() == "ready"
        for child in children:
            child.stdin.write("go\n")
            child.stdin.flush()
        outputs = [child.communicate(timeout=180) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
    for child, (out, err), chunk in zip(children, outputs, lists, strict=True):
        assert child.returncode == 0, err
        assert "locked" not in err and "Traceback" not in err
        assert err.strip() == "", err
        summary = json.loads(out)
        assert summary["answers"] == N and summary["pending"] == 0
        assert summary["emails"] == chunk, "one answer per input, in input order"
        assert not FAULT_REASONS.intersection(summary["reasons"]), summary["reasons"]
    assert sandbox.credits_spent(provider) == distinct
    assert len(sandbox.charges(provider)) == distinct
    assert max(sandbox.charges(provider).values()) == 1


@pytest.mark.parametrize(
    ("provider", "shared"), [("dropcontact", False), ("coldlead", True)],
    ids=["dropcontact-client-per-thread", "coldlead-one-shared-client"],
)  # fmt: skip
def test_threads_share_one_cache_and_pay_once(
    sandbox, sandbox_env, tmp_path, caplog, provider, shared
):
    """16 threads at once (a client each, or one shared client), 1,000 overlapping
    addresses each: credits == distinct addresses, no error and no warning logged."""
    caplog.set_level(logging.WARNING)
    pool = sandbox.world.sample_emails(N + 930, seed=62)
    lists = windows(pool, THREADS)
    distinct = len({e for chunk in lists for e in chunk})
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    settings = load_settings(environ=sandbox_env, config_file=empty)
    one = Client(providers=provider, settings=settings) if shared else None
    clients = [one or Client(providers=provider, settings=settings) for _ in range(THREADS)]
    start = threading.Barrier(THREADS)
    results: dict[int, list] = {}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            start.wait(timeout=30)
            results[i] = clients[i].run("verify", lists[i]).results
        except BaseException as exc:  # every failure is reported below, none is lost
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)
    finally:
        for client in set(clients):
            client.close()
    assert not errors, errors[:3]
    assert sorted(results) == list(range(THREADS))
    for i, answers in results.items():
        assert len(answers) == N
        assert not FAULT_REASONS.intersection(a.reason for a in answers)
        assert [a.email for a in answers] == lists[i]
        assert sum(a.status is Status.DELIVERABLE for a in answers) > N / 4
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert sandbox.credits_spent(provider) == distinct
    assert max(sandbox.charges(provider).values()) == 1
