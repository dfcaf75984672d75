"""A long provider job never freezes Excel: PENDING now, the answer on a later recalculation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from excel_helpers import column

import contact_udfs as cu
from contact_udfs.faces.excel import batching as excel_batch
from contact_udfs.faces.excel import udfs as excel
from contact_udfs.sandbox import Sandbox, get_world


@pytest.fixture
def slow_jobs(excel_env: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """Jobs that stay "not ready" until the test lets them finish."""
    monkeypatch.setenv("CONTACT_UDFS_EXCEL_WAIT", "0.2")
    excel_env.set_job_polls_before_ready(10**9)
    yield excel_env
    excel_env.set_job_polls_before_ready(0)  # let background runs end before teardown


def test_range_shows_pending_then_answers_from_the_store(slow_jobs: Sandbox) -> None:
    sb = slow_jobs
    emails = get_world(0).sample_emails(10, 7)
    first = [row[0] for row in excel.VERIFY_EMAIL(column(emails))]
    pending = [c for c in first if c.startswith("PENDING (")]
    # what the job had finished when the wait ended is shown; the rest is pending
    assert pending and set(pending) == {f"PENDING ({10 - len(pending)}/10)"}
    assert sb.requests("dropcontact.submit") == 1

    # recalculating while the job runs: still pending, nothing sent again
    again = [row[0] for row in excel.VERIFY_EMAIL(column(emails))]
    assert [c.startswith("PENDING (") for c in again] == [c.startswith("PENDING (") for c in first]
    assert [c for c in again if not c.startswith("PENDING")] == [
        c for c in first if not c.startswith("PENDING")
    ]
    waiting = emails[first.index(pending[0])]
    assert excel.VERIFY_EMAIL(waiting)[0][0].startswith("PENDING (")  # a single cell too
    assert sb.requests("dropcontact.submit") == 1

    sb.set_job_polls_before_ready(0)
    assert excel_batch.wait_for_background(30)
    total = sb.requests("*")
    done = excel.VERIFY_EMAIL(column(emails))
    assert [row[0] for row in done] == [v.status.value for v in cu.verify_emails(emails)]
    assert sb.requests("*") == total
    assert sb.requests("dropcontact.submit") == 1 and sb.credits_spent("dropcontact") == 10


def test_single_cell_pending_then_answered(slow_jobs: Sandbox) -> None:
    sb = slow_jobs
    person = get_world(0).people()[0]
    assert excel.FIND_EMAIL("Ada", "Lovelace", "acme-robotics.com") == [["PENDING (0/1)"]]
    sb.set_job_polls_before_ready(0)
    assert excel_batch.wait_for_background(30)
    assert excel.FIND_EMAIL("Ada", "Lovelace", "acme-robotics.com") == [[person["email"]]]
    assert sb.requests("dropcontact.submit") == 1


def test_pending_flows_through_a_chained_formula(slow_jobs: Sandbox) -> None:
    found = excel.FIND_EMAIL("Ada", "Lovelace", "acme-robotics.com")
    assert excel.VERIFY_EMAIL(found) == found  # =VERIFY_EMAIL(FIND_EMAIL(...)) waits too
    slow_jobs.set_job_polls_before_ready(0)
