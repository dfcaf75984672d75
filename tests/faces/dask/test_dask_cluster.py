"""``ddf.contacts`` on a real four-process cluster: credits counted at the simulator."""

from __future__ import annotations

import math

import dask.dataframe as dd
import pytest
from frame_helpers import VERIFY_DTYPES, distinct_valid, sheet, until
from pandas.testing import assert_frame_equal

import contact_udfs  # noqa: F401  (registers ddf.contacts)
from contact_udfs.sandbox import Sandbox


def test_4000_rows_with_1000_duplicates_fill_fullcontact_batches_and_pay_once(
    team: Sandbox, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("CONTACT_UDFS_PROVIDERS", "fullcontact")
    df = sheet(distinct=3_000, duplicates=1_000, seed=3)
    distinct = distinct_valid(df["email"])
    ddf = dd.from_pandas(df, npartitions=8)
    seen: list[tuple[int, int]] = []

    out = ddf.contacts.verify("email", progress=lambda done, total: seen.append((done, total)))
    assert team.requests("*") == 0  # lazy: nothing sent yet
    got = out.compute()

    assert team.credits_spent("fullcontact") == distinct  # counted at the simulator
    assert max(team.charges("fullcontact").values()) == 1
    posts = team.requests("fullcontact.submit")
    assert posts <= math.ceil(distinct / 300) + 4
    assert out.npartitions == 8 and out.divisions == ddf.divisions
    assert_frame_equal(got[["email", "row"]], ddf.compute())
    assert {c: str(got[c].dtype) for c in VERIFY_DTYPES} == VERIFY_DTYPES
    assert {c: str(out.dtypes[c]) for c in VERIFY_DTYPES} == VERIFY_DTYPES  # the meta
    assert (got["email_provider"] == "fullcontact").all()
    assert (got.groupby(got["email"].str.lower())["email_status"].nunique() == 1).all()
    assert seen[-1] == (distinct, distinct)
    print(f"\n{len(df)} rows, {distinct} distinct: {posts} POSTs, "
          f"{team.credits_spent('fullcontact')} credits")  # fmt: skip

    team.reset_counters()
    again = ddf.contacts.verify("email", progress=False).compute()
    assert team.requests("*") == 0 and team.credits_spent("fullcontact") == 0
    assert again["email_from_cache"].all()
    assert (again["email_status"] == got["email_status"]).all()


def ask_workers(stream: list[dict]) -> set[str]:
    return {t["worker"] for t in stream if "contacts-ask" in str(t["key"])}


def test_coldlead_at_a_shared_limit_of_20_per_2s_never_sees_a_429(
    team: Sandbox, monkeypatch: pytest.MonkeyPatch
):
    """Four workers ask at once; together they stay under the vendor's window."""
    from distributed import get_task_stream

    team.set_rate("coldlead", 20, 2.0)
    monkeypatch.setenv("CONTACT_UDFS_PROVIDERS", "coldlead")
    monkeypatch.setenv("COLDLEAD_RATE_LIMIT", "20/2")
    df = sheet(distinct=120, duplicates=0, seed=5)
    ddf = dd.from_pandas(df, npartitions=8)

    with get_task_stream() as stream:
        got = ddf.contacts.verify("email", progress=False).compute()

    assert team.count_429("coldlead") == 0
    assert team.requests("coldlead.verify") == team.credits_spent("coldlead") == 120
    assert (got["email_provider"] == "coldlead").all()
    assert len(ask_workers(stream.data)) >= 2  # the limit was shared, not serialized
    print(f"\nColdLead: 120 verifies from {len(ask_workers(stream.data))} workers, "
          f"{team.count_429('coldlead')} x 429")  # fmt: skip


def test_estimate_sums_every_partition_and_sends_nothing(
    team: Sandbox, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("CONTACT_UDFS_PROVIDERS", "fullcontact")
    df = sheet(distinct=700, duplicates=300, seed=7)
    df.loc[::100, "email"] = "not an address"
    distinct = distinct_valid(df["email"])
    ddf = dd.from_pandas(df, npartitions=8)

    est = ddf.contacts.estimate("verify", "email")
    assert team.requests("*") == 0
    assert est.rows == len(df) and est.distinct == distinct and est.invalid == 1
    assert est.credits == {"fullcontact": distinct}

    ddf.contacts.verify("email", progress=False).compute()
    assert team.credits_spent("fullcontact") == distinct
    assert ddf.contacts.estimate("verify", "email").credits == {"fullcontact": 0}


def wait_idle(cluster, timeout: float = 60.0) -> None:
    """Until no worker is executing a task (a failed job's other tasks finish their step)."""

    until(lambda: not any(cluster.run(lambda dask_worker: len(dask_worker.state.executing))
                          .values()), timeout, "the workers to go idle")  # fmt: skip


def test_a_budget_of_n_stops_the_whole_job_at_n_credits(
    team: Sandbox, cluster, monkeypatch: pytest.MonkeyPatch
):
    from contact_udfs import BudgetExceededError
    from contact_udfs.faces.dask.errors import BudgetSpentError

    monkeypatch.setenv("CONTACT_UDFS_PROVIDERS", "fullcontact")
    df = sheet(distinct=1_000, duplicates=200, seed=11)
    distinct = distinct_valid(df["email"])
    ddf = dd.from_pandas(df, npartitions=8)

    with pytest.raises(BudgetExceededError) as caught:
        ddf.contacts.verify("email", budget=450, progress=False).compute()
    wait_idle(cluster)
    assert isinstance(caught.value, BudgetSpentError)
    assert "budget of 450 credits is spent" in str(caught.value)
    assert team.credits_spent("fullcontact") == 450  # not 450 per partition or per group
    assert max(team.charges("fullcontact").values()) == 1

    got = ddf.contacts.verify("email", budget=distinct, progress=False).compute()
    assert team.credits_spent("fullcontact") == distinct  # the rerun paid only the rest
    assert max(team.charges("fullcontact").values()) == 1
    assert got["email_from_cache"].sum() > 0 and (got["email_provider"] == "fullcontact").all()


def test_keys_are_in_no_task_no_log_and_no_dashboard_page(
    team: Sandbox, cluster, monkeypatch: pytest.MonkeyPatch
):
    """The driver has no key; the workers' keys show in no graph, log, event or page."""
    import cloudpickle
    import requests
    from distributed import wait

    monkeypatch.setenv("CONTACT_UDFS_PROVIDERS", "fullcontact,coldlead")
    ddf = dd.from_pandas(sheet(distinct=300, duplicates=50, seed=17), npartitions=4)
    out = ddf.contacts.verify("email")
    persisted = out.persist()
    wait(persisted)
    assert team.credits_spent("fullcontact") > 0  # the keys were used, on the workers

    keys = [key for key in team.keys.values()]
    graph = cloudpickle.dumps(dict(out.__dask_graph__()))
    tasks = cluster.run_on_scheduler(
        lambda dask_scheduler: "\n".join(
            f"{ts.key!r} {ts.run_spec!r}" for ts in dask_scheduler.tasks.values()
        )
    )
    logs = repr(cluster.get_worker_logs()) + repr(cluster.get_scheduler_logs())
    events = repr(cluster.get_events())
    base = cluster.dashboard_link.rsplit("/", 1)[0]
    pages = ["/info/main/workers.html", "/info/main/logs.html"]
    pages += [f"/info/worker/{w}.html" for w in cluster.nthreads()]
    pages += [f"/info/logs/{w}.html" for w in cluster.nthreads()]
    names = cluster.run_on_scheduler(
        lambda dask_scheduler: [str(k) for k in dask_scheduler.tasks if "contacts-" in str(k)]
    )
    assert any("contacts-ask" in n for n in names)
    html = "".join(requests.get(base + p, timeout=10).text for p in pages)
    for key in keys:
        assert key.encode() not in graph
        assert key not in tasks and key not in logs and key not in events and key not in html
    del persisted


def test_pytest_socket_still_blocks_other_hosts(cluster):
    """The cluster runs on the loopback; every other host stays blocked, here too."""
    import socket

    from pytest_socket import SocketConnectBlockedError

    with pytest.warns(UserWarning), pytest.raises(SocketConnectBlockedError):
        socket.create_connection(("192.0.2.1", 80), timeout=0.1)


def test_a_sqlite_file_serves_the_worker_processes_of_one_machine(
    team: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path
):
    monkeypatch.setenv("CONTACT_UDFS_PROVIDERS", "fullcontact")
    monkeypatch.setenv("CONTACT_UDFS_CACHE", str(tmp_path / "team.sqlite"))
    df = sheet(distinct=900, duplicates=300, seed=19)
    distinct = distinct_valid(df["email"])
    ddf = dd.from_pandas(df, npartitions=8)

    ddf.contacts.verify("email", progress=False).compute()
    assert team.credits_spent("fullcontact") == distinct
    assert team.requests("fullcontact.submit") <= math.ceil(distinct / 300) + 4

    team.reset_counters()
    again = ddf.contacts.verify("email", progress=False).compute()
    assert team.requests("*") == 0 and again["email_from_cache"].all()
