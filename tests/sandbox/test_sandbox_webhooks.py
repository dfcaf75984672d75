"""Webhook deliveries to a tiny local listener (Dropcontact and FullContact)."""

from __future__ import annotations

EMAIL = "contact@acme-robotics.com"


def test_dropcontact_custom_callback(api, sb, sink):
    rid = api.dc_submit([{"email": EMAIL, "custom_fields": {"id": "r1"}}], language="en",
                        custom_callback_url=sink.url + "/dc/hook").json()["request_id"]
    received = sink.wait(1)
    assert received[0]["path"] == "/dc/hook"
    event = received[0]["body"][0]
    assert event["event_type"] == "enrich_api_result" and event["version"] == 1
    assert isinstance(event["occurred_at"], int) and event["id"]
    assert event["data"]["request_id"] == rid
    contact = event["data"]["data"][0]
    assert contact["custom_fields"] == {"id": "r1"}
    assert contact["email"][0]["qualification"] == "generic@pro"
    record = sb.wait_webhooks(1)[0]
    assert record["status"] == 200 and record["provider"] == "dropcontact"
    assert record["url"] == sink.url + "/dc/hook" and record["error"] is None
    assert api.dc_poll(rid).json()["success"] is True  # a delivered job is complete


def test_dropcontact_subscriptions_receive_results(api, sb, sink):
    sub = api.dc("POST", "/v1/webhooks/subscriptions", json={
        "event_type": "enrich_api_result", "active": True, "callback_url": sink.url + "/sub",
        "period_s": 5, "max_webhooks_per_period": 30}).json()
    api.dc_submit([{"email": EMAIL}])
    assert sink.wait(1)[0]["path"] == "/sub"
    api.dc("PUT", f"/v1/webhooks/subscriptions/{sub['id']}", json={"active": False})
    api.dc_submit([{"email": EMAIL}], custom_callback_url=sink.url + "/custom")
    got = sink.wait(2)
    assert [g["path"] for g in got] == ["/sub", "/custom"]


def test_fullcontact_webhook(api, sb, sink):
    batch = api.fc_submit([EMAIL], webhookUrl=sink.url + "/fc").json()
    assert batch["webhookUrl"] == sink.url + "/fc"
    body = sink.wait(1)[0]["body"]
    assert body["batchId"] == batch["batchId"] and body["completed"] is True
    assert EMAIL in body["response"]["emails"]


def test_non_local_callbacks_are_refused(api, sb):
    api.dc_submit([{"email": EMAIL}], custom_callback_url="http://example.com/hook")
    record = sb.wait_webhooks(1)[0]
    assert record["status"] is None and record["error"].startswith("refused")


def test_lost_submit_still_delivers(api, sb, sink):
    sb.inject("fullcontact.submit", "lost_response")
    try:
        api.fc_submit([EMAIL], webhookUrl=sink.url + "/lost")
    except Exception as exc:  # the client never learns the batch id...
        assert "Connection" in type(exc).__name__
    assert sink.wait(1)[0]["path"] == "/lost"  # ...but the vendor did the work
    assert sb.credits_spent("fullcontact") == 1
