"""One real cluster for the module: ``LocalCluster(n_workers=4, processes=True)``, the
vendor simulator and a real redis-server, configured the way a team would.

* The simulator and the cluster are started once per module (a cluster takes a
  second or two; the tests only reset the simulator's counters and take a fresh
  Redis database each, so no test sees another's cache).
* The workers get the vendors' keys from their own environment (the nanny's
  ``env``), and nothing else: the driver - this test process - has no key at all,
  only the base URLs and the cache, which travel with the tasks.
* pytest-socket keeps blocking every host but the loopback: the cluster's comms,
  the simulator and Redis are all on 127.0.0.1, and the worker processes are
  spawned interpreters that only ever reach those.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from redis_server import fresh_db, redis_url  # noqa: E402, F401

from contact_udfs.sandbox import Sandbox  # noqa: E402

_VENDOR_ENV = ("CONTACT_UDFS_", "DROPCONTACT_", "FULLCONTACT_", "COLDLEAD_")
#: plenty of credits: the tests count what is spent
BALANCES = {"dropcontact": 10**6, "fullcontact": 10**6, "coldlead": 10**6}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=0, job_polls_before_ready=1, balances=BALANCES) as sb:
        yield sb


@pytest.fixture(scope="module")
def cluster(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A distributed client on four worker processes that hold the keys."""
    home = tmp_path_factory.mktemp("workers")
    (home / "config.toml").write_text("")
    worker_env = {f"{p.upper()}_API_KEY": key for p, key in sandbox.keys.items()}
    worker_env["CONTACT_UDFS_CONFIG"] = str(home / "config.toml")
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):  # the developer's own keys never reach the workers
            if name.startswith(_VENDOR_ENV):
                mp.delenv(name)
        cluster = distributed.LocalCluster(
            n_workers=4, processes=True, threads_per_worker=1, dashboard_address="127.0.0.1:0",
            env=worker_env,
        )  # fmt: skip
    with cluster, distributed.Client(cluster) as client:
        yield client


@pytest.fixture
def team(
    cluster: object, sandbox: Sandbox, redis_url: str, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
    tmp_path: Path,
) -> Sandbox:  # fmt: skip
    """The driver's settings: the simulator's URLs and a fresh Redis database, no keys."""
    sandbox.reset_counters()
    sandbox.clear_faults()
    sandbox.set_job_polls_before_ready(1)
    sandbox.set_job_delay(0)
    for provider in BALANCES:
        sandbox.set_rate(provider, None)
    sandbox.set_rate("coldlead", 200, 60.0)
    for provider, url in sandbox.base_urls.items():
        monkeypatch.setenv(f"{provider.upper()}_BASE_URL", url)
    monkeypatch.setenv("CONTACT_UDFS_CACHE", fresh_db(redis_url))
    monkeypatch.setenv("CONTACT_UDFS_POLL_INTERVAL", "0")
    monkeypatch.setenv("CONTACT_UDFS_POLL_TIMEOUT", "30")
    return sandbox
