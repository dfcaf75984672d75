"""A worker dies in the middle of a paid job: nothing it paid for is paid again.

FullContact's batch is paid when it is submitted; the engine journals the job id
in the shared store before the first poll. The worker is killed (``os._exit``, no
cleanup) while it polls. Dask gives the task to another worker, which does not
wait for the dead worker's claims: polls are free, so it resumes the journaled job
at once (and a dead process of its own host hands its claims over), then saves
the answers. The simulator is the judge: no second submit, one credit per contact.
"""

from __future__ import annotations

import contextlib
import os

import dask.dataframe as dd
import pytest
from frame_helpers import distinct_valid, sheet, until

import contact_udfs  # noqa: F401  (registers ddf.contacts)
from contact_udfs.sandbox import Sandbox

pytestmark = pytest.mark.slow


def executing(cluster) -> dict[str, list[str]]:
    return cluster.run(lambda dask_worker: [str(ts.key) for ts in dask_worker.state.executing])


def test_a_worker_killed_while_polling_costs_nothing_more(
    team: Sandbox, cluster, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("CONTACT_UDFS_PROVIDERS", "fullcontact")
    df = sheet(distinct=600, duplicates=100, seed=13)
    distinct = distinct_valid(df["email"])
    ddf = dd.from_pandas(df, npartitions=4)
    team.set_job_polls_before_ready(10**6)  # the batches stay in the vendor's queue

    job = cluster.compute(ddf.contacts.verify("email", groups=1, progress=False))
    until(lambda: team.requests("fullcontact.poll") > 0, 60, "the first poll")
    paid, posts = team.credits_spent("fullcontact"), team.requests("fullcontact.submit")
    assert paid == distinct and posts == 2  # submitted, journaled, polling
    victim = next(w for w, keys in executing(cluster).items()
                  if any("contacts-ask" in k for k in keys))  # fmt: skip
    with contextlib.suppress(Exception):  # the worker dies without answering
        cluster.run(os._exit, 1, workers=[victim])
    team.set_job_polls_before_ready(1)  # the vendor finishes the batches

    got = job.result(timeout=300)

    assert team.requests("fullcontact.submit") == posts  # resumed, not submitted again
    assert team.credits_spent("fullcontact") == distinct
    assert max(team.charges("fullcontact").values()) == 1
    assert (got["email_provider"] == "fullcontact").all()
    assert not got["email_reason"].eq("pending").any()
    team.reset_counters()
    again = ddf.contacts.verify("email", progress=False).compute()
    assert team.requests("*") == 0 and again["email_from_cache"].all()
