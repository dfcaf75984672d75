"""A Dropcontact submit acknowledged without a ``request_id`` (seed 001, with
``custom_callback_url``) is journaled under our batch reference; the push is matched by
the keys we put in ``custom_fields`` and saved like any other. Counted at the simulator.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from listen_helpers import items_for, submit_then_close

from contact_udfs.models import Operation


@pytest.fixture
def callback_ack(sandbox) -> Iterator[None]:
    sandbox.dropcontact_reading(submit_reply="callback_ack")
    yield
    sandbox.dropcontact_reading(reset=True)


@pytest.mark.parametrize("push_id", [True, False], ids=["push-names-an-id", "push-id-empty"])
@pytest.mark.parametrize("operation", [Operation.VERIFY, Operation.ENRICH])
def test_a_callback_only_job_is_saved_from_its_push(sandbox, listener, client_for, callback_ack,
                                                    operation, push_id):
    sandbox.dropcontact_reading(push_request_id=push_id)
    items = items_for(sandbox, operation, 10)
    client = client_for("dropcontact", CONTACT_UDFS_WEBHOOK_URL=listener.url)
    sandbox.reset_counters()
    submit_then_close(client, "dropcontact", operation, items,
                      before_closing=lambda: sandbox.wait_webhooks(1))
    pushed = sandbox.webhook_deliveries
    assert [(d["url"], d["status"]) for d in pushed] == [(listener.urls["dropcontact"], 200)]
    assert set(pushed[0]["payload"][0]["data"]["data"][0]["custom_fields"]) == {
        "cu_key", "cu_batch"}  # how the push is recognised
    assert bool(pushed[0]["payload"][0]["data"]["request_id"]) is push_id
    assert sandbox.credits_spent("dropcontact") == 10
    assert sandbox.requests("dropcontact.poll") == 0  # there is no id to poll
    assert listener.counts["saved"] == 10
    assert client.store.journal_open("dropcontact", operation.value) == []

    sandbox.reset_counters()
    rerun = client_for("dropcontact").run(operation, items)
    assert sandbox.requests("*") == 0 and rerun.report.from_cache == 10
    assert all(a.provider == "dropcontact" and a.reason != "pending" for a in rerun.results)


def test_the_submitting_run_takes_the_pushed_answers(sandbox, listener, client_for,
                                                     callback_ack):
    """The run that submitted does not wait out its deadline: the push closes its job."""
    emails = items_for(sandbox, Operation.VERIFY, 8)
    client = client_for("dropcontact", CONTACT_UDFS_WEBHOOK_URL=listener.url)
    sandbox.reset_counters()
    run = client.run(Operation.VERIFY, emails)
    assert run.report.pending == 0
    assert all(a.reason not in ("pending", "not_returned") for a in run.results)
    assert sandbox.requests("dropcontact.poll") == 0 and sandbox.credits_spent("dropcontact") == 8
    assert listener.counts["saved"] == 8
