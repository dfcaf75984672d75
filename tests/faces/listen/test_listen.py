"""Webhooks as an accelerator: pushed jobs are stored like polled ones, polling still works.

The simulator pushes to a real listener on a loopback port (Dropcontact
``custom_callback_url`` and subscriptions, FullContact ``webhookUrl``). Polls and
credits are counted at the simulator.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from listen_helpers import comparable, contacts, entries, event, items_for, submit_then_close

from contact_udfs import Status
from contact_udfs.models import Operation

N = 12

CASES = [
    ("dropcontact", Operation.VERIFY, "custom_callback_url"),
    ("dropcontact", Operation.ENRICH, "custom_callback_url"),
    ("dropcontact", Operation.VERIFY, "subscription"),
    ("fullcontact", Operation.VERIFY, "webhookUrl"),
]


@pytest.mark.parametrize(("provider", "operation", "how"), CASES,
                         ids=[f"{p}-{o.value}-{h}" for p, o, h in CASES])
def test_a_pushed_job_is_stored_before_any_poll(sandbox, listener, client_for, http, tmp_path,
                                                provider, operation, how):
    items = items_for(sandbox, operation, N)
    if how == "subscription":  # the account's subscription pushes every job; no per-job URL
        client = client_for(provider)
        client.provider(provider).create_subscription(listener.urls[provider])
    else:
        client = client_for(provider, CONTACT_UDFS_WEBHOOK_URL=listener.url)
    sandbox.reset_counters()

    submit_then_close(client, provider, operation, items,
                      before_closing=lambda: sandbox.wait_webhooks(1))
    pushed = sandbox.webhook_deliveries
    assert [(d["url"], d["status"]) for d in pushed] == [(listener.urls[provider], 200)]
    assert sandbox.requests(f"{provider}.poll") == 0
    assert sandbox.credits_spent(provider) == N
    assert client.store.journal_open(provider, operation.value) == []
    assert listener.counts["saved"] == N

    sandbox.reset_counters()
    rerun = client_for(provider).run(operation, items)  # any later run: the cache answers
    assert sandbox.requests("*") == 0 and sandbox.credits_spent(provider) == 0
    assert rerun.report.from_cache == N and rerun.report.pending == 0

    # the vendor pushing the same job again changes nothing
    again = http.post(listener.urls[provider], json=pushed[0]["payload"], timeout=10)
    assert again.status_code == 200 and again.json()["ignored"] == 1

    # and they are exactly the answers polling alone gives
    alone = client_for(provider, CONTACT_UDFS_CACHE=str(tmp_path / "polled.sqlite"))
    polled = alone.run(operation, items)
    assert sandbox.requests(f"{provider}.poll") >= 1 and sandbox.credits_spent(provider) == N
    assert [comparable(a) for a in rerun.results] == [comparable(a) for a in polled.results]


@pytest.mark.parametrize("provider", ["dropcontact", "fullcontact"])
@pytest.mark.parametrize("hook", ["no webhook", "nobody listening"])
def test_polling_works_without_any_push(sandbox, listener, client_for, provider, hook):
    items = items_for(sandbox, Operation.VERIFY, N)
    extra = {}
    if hook == "nobody listening":
        extra["CONTACT_UDFS_WEBHOOK_URL"] = listener.url
        listener.stop()  # the vendor's push goes nowhere: it must not hold the run up
    run = client_for(provider, **extra).run(Operation.VERIFY, items)
    assert run.report.pending == 0
    assert all(a.provider == provider and a.reason != "pending" for a in run.results)
    assert sandbox.requests(f"{provider}.poll") >= 1 and sandbox.credits_spent(provider) == N
    if hook == "no webhook":
        assert sandbox.webhook_deliveries == []
    else:
        pushed = sandbox.wait_webhooks(1)
        assert pushed[0]["status"] is None and pushed[0]["error"]
    assert client_for(provider).store.journal_open(provider, "verify") == []


def test_a_push_while_the_run_still_polls_is_charged_once(sandbox, listener, client_for):
    items = items_for(sandbox, Operation.VERIFY, N)
    sandbox.set_job_polls_before_ready(3)
    client = client_for("fullcontact", CONTACT_UDFS_WEBHOOK_URL=listener.url)
    run = client.run(Operation.VERIFY, items)
    assert sandbox.wait_webhooks(1)[0]["status"] == 200
    assert sandbox.credits_spent("fullcontact") == N
    assert set(sandbox.charges("fullcontact").values()) == {1}
    assert run.report.pending == 0 and all(a.status is not Status.UNKNOWN or a.retryable
                                           for a in run.results)


def test_unknown_jobs_are_acknowledged_and_ignored(sandbox, listener, client_for, http, caplog):
    """Matched by the vendor's job id only: our own key in a foreign job stores nothing."""
    caplog.set_level("INFO")
    client = client_for("dropcontact")
    items = items_for(sandbox, Operation.VERIFY, 3)
    submit_then_close(client, "dropcontact", Operation.VERIFY, items)
    [job] = client.store.journal_open("dropcontact", "verify")
    foreign = [event("someone-elses-job", contacts(job.keys))]
    got = http.post(listener.urls["dropcontact"], json=foreign, timeout=10)
    assert got.status_code == 200 and got.json() == {"saved": 0, "jobs": 0, "ignored": 1}
    batch = {"batchId": "afacdb51-7ea8-46bf-846f-f60cf387d8a2-vs", "webhookUrl": None,
             "completed": True, "response": {"status": 200, "emails": {}}}
    got = http.post(listener.urls["fullcontact"], json=batch, timeout=10)
    assert got.status_code == 200 and got.json()["ignored"] == 1
    other = [{"event_type": "some_other_event", "data": {}}]
    assert http.post(listener.urls["dropcontact"], json=other, timeout=10).json()["jobs"] == 0
    # seed 003 does not show the pushed body: one naming no batchId is left to polling
    bare = {"status": 200, "emails": entries(job.keys)}
    got = http.post(listener.urls["fullcontact"], json=bare, timeout=10)
    assert got.status_code == 200 and got.json() == {"saved": 0, "jobs": 0, "ignored": 0}

    assert client.store.get_many("dropcontact", "verify", list(job.keys)) == {}
    assert client.store.journal_open("dropcontact", "verify")[0].keys == job.keys
    assert "someone-elses-job" in caplog.text and "ignored" in caplog.text
    assert sandbox.requests("*") == 1  # the submit; the listener itself never calls a vendor


MALFORMED = {
    "dropcontact": {
        "not JSON": lambda job: b"not json",
        "cut short": lambda job: b'[{"event_type": "enrich_api_result", "data": {',
        "not events": lambda job: [1, 2],
        "no request_id": lambda job: [event(None, contacts(job.keys))],
        "data not a list": lambda job: [event(job.job_id, {"email": "x"})],
        "good event then a bad one": lambda job: [event(job.job_id, contacts(job.keys)),
                                                  event(job.job_id, "oops")],
    },
    "fullcontact": {
        "not JSON": lambda job: b"\xff\xfe not utf-8",
        "not an object": lambda job: [{"batchId": job.job_id}],
        "batchId not a string": lambda job: {"batchId": 42, "completed": True},
        "no response": lambda job: {"batchId": job.job_id, "completed": True},
        "unknownEmails not a list": lambda job: {
            "batchId": job.job_id, "completed": True,
            "response": {"emails": entries(job.keys), "unknownEmails": "x@y.com"}},
    },
}
MALFORMED_CASES = [(p, name) for p, cases in MALFORMED.items() for name in cases]


@pytest.mark.parametrize(("provider", "case"), MALFORMED_CASES,
                         ids=[f"{p}-{c}" for p, c in MALFORMED_CASES])
def test_a_malformed_push_gets_400_and_stores_nothing(sandbox, listener, client_for, http,
                                                      provider, case):
    client = client_for(provider)
    items = items_for(sandbox, Operation.VERIFY, 3)
    submit_then_close(client, provider, Operation.VERIFY, items)
    [job] = client.store.journal_open(provider, "verify")
    body = MALFORMED[provider][case](job)
    sent = dict(data=body) if isinstance(body, bytes) else dict(json=body)
    got = http.post(listener.urls[provider], timeout=10,
                    headers={"Content-Type": "application/json"}, **sent)
    assert got.status_code == 400 and "error" in got.json()
    assert client.store.get_many(provider, "verify", list(job.keys)) == {}
    assert client.store.journal_open(provider, "verify")[0].keys == job.keys
    assert listener.counts["malformed"] == 1 and listener.counts["saved"] == 0


def test_a_well_formed_push_of_the_same_job_is_saved(sandbox, listener, client_for, http):
    """The control of the test above: the same hand-built bodies, well formed, are taken."""
    client = client_for("dropcontact")
    for n in (2, 3):  # one push may carry several events (a subscription's period)
        submit_then_close(client, "dropcontact", Operation.VERIFY,
                          sandbox.world.sample_emails(n, seed=n))
    jobs = client.store.journal_open("dropcontact", "verify")
    got = http.post(listener.urls["dropcontact"], timeout=10,
                    json=[event(j.job_id, contacts(j.keys)) for j in jobs])
    assert got.json() == {"saved": 5, "jobs": 2, "ignored": 0}
    assert client.store.journal_open("dropcontact", "verify") == []
    client.store.clear()
    for provider in ("dropcontact", "fullcontact"):
        client = client_for(provider)
        submit_then_close(client, provider, Operation.VERIFY,
                          items_for(sandbox, Operation.VERIFY, 3))
        [job] = client.store.journal_open(provider, "verify")
        body = ([event(job.job_id, contacts(job.keys))] if provider == "dropcontact" else
                {"batchId": job.job_id, "completed": True,
                 "response": {"status": 200, "emails": entries(job.keys)}})
        got = http.post(listener.urls[provider], json=body, timeout=10)
        assert got.status_code == 200 and got.json() == {"saved": 3, "jobs": 1, "ignored": 0}
        stored = client.store.get_many(provider, "verify", list(job.keys))
        assert {a["status"] for a in stored.values()} == {"deliverable"}
        assert client.store.journal_open(provider, "verify") == []


def test_paths_and_methods(listener, http):
    assert http.get(listener.url, timeout=10).json() == {"listening": ["dropcontact",
                                                                       "fullcontact"]}
    assert http.post(listener.url + "/coldlead", json={}, timeout=10).status_code == 404
    # a prefix is fine (a reverse proxy that keeps its path); the last segment names the vendor
    assert http.post(listener.url + "/hooks/x/fullcontact?a=b", json={"completed": False},
                     timeout=10).status_code == 200


def test_the_listener_needs_a_pushing_provider(client_for, tmp_path: Path):
    from contact_udfs.exceptions import ConfigurationError
    from contact_udfs.faces.listen import Listener

    with pytest.raises(ConfigurationError, match="DROPCONTACT_API_KEY"):
        Listener(client_for("coldlead", DROPCONTACT_API_KEY="", FULLCONTACT_API_KEY=""))


@pytest.mark.parametrize("body", ["status", "response"])
def test_fullcontact_pushes_under_either_body(sandbox, listener, client_for, body):
    """Seed 003 does not show the webhook body: the batch status object is saved at once;
    the bare ``response`` names no batch, so the run's own polls collect the job."""
    sandbox.set_readings(fullcontact_push=body)
    items = items_for(sandbox, Operation.VERIFY, N)
    client = client_for("fullcontact", CONTACT_UDFS_WEBHOOK_URL=listener.url)
    if body == "status":
        submit_then_close(client, "fullcontact", Operation.VERIFY, items,
                          before_closing=lambda: sandbox.wait_webhooks(1))
        assert sandbox.requests("fullcontact.poll") == 0 and listener.counts["saved"] == N
    else:
        run = client.run(Operation.VERIFY, items)
        assert sandbox.wait_webhooks(1)[0]["status"] == 200  # acknowledged, not matched
        assert run.report.pending == 0 and listener.counts["saved"] == 0
        assert sandbox.requests("fullcontact.poll") >= 1
    assert sandbox.credits_spent("fullcontact") == N
    assert client.store.journal_open("fullcontact", "verify") == []
    sandbox.reset_counters()
    again = client_for("fullcontact").run(Operation.VERIFY, items)
    assert again.report.from_cache == N and sandbox.requests("*") == 0
