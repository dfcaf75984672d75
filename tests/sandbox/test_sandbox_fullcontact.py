"""FullContact email verification v2 as seed 003 describes it."""

from __future__ import annotations

import pytest


def _address(world, predicate):
    """First synthetic address outside the world whose verdict matches."""
    for i in range(5000):
        email = f"probe{i}@probe-domain-{i}.com"
        if predicate(world.verdict(email)):
            return email
    raise AssertionError("no such address")


@pytest.mark.parametrize("key", ["", "wrong"])
def test_missing_or_wrong_key_is_403(api, sb, key):
    r = api.fc_single("contact@acme-robotics.com", key=key)
    assert r.status_code == 403 and r.json()["status"] == 403
    assert sb.credits_spent("fullcontact") == 0


def test_single_verify_shape_and_charge(api, sb):
    r = api.fc_single("contact@acme-robotics.com")
    body = r.json()
    assert r.status_code == 200 and body["status"] == 200 and body["requestId"]
    result = body["emails"]["contact@acme-robotics.com"]
    assert result["attributes"] == {"validSyntax": True, "deliverable": True, "catchall": False,
                                    "risky": False, "disposable": False}
    assert result["sendSafely"] is True and result["corrected"] is False
    assert result["person"].endswith("&apiKey=") and result["company"].endswith("&apiKey=")
    assert sb.keys["fullcontact"] not in r.text
    assert sb.credits_spent("fullcontact") == 1
    assert sb.charges("fullcontact") == {"contact@acme-robotics.com": 1}


def test_single_missing_email_is_400(api, sb):
    assert api.fc("GET", "/v2/verification/email").status_code == 400
    assert sb.credits_spent("fullcontact") == 0


def test_single_quota(api, sb):
    sb.set_balance("fullcontact", 0)
    r = api.fc_single("contact@acme-robotics.com")
    assert r.status_code == 403 and "quota" in r.json()["message"].lower()
    assert sb.credits_spent("fullcontact") == 0


def test_typos_are_corrected(api):
    r = api.fc_single("Ada.Lovelace@acme-robotics.ocm").json()
    res = r["emails"]["Ada.Lovelace@acme-robotics.ocm"]
    assert res["address"] == "ada.lovelace@acme-robotics.com" and res["corrected"] is True
    assert res["attributes"]["deliverable"] is True
    for typo, fixed in (("someone@gmial.com", "someone@gmail.com"),
                        ("x@acme-robotics.con", "x@acme-robotics.com"),
                        ("bob@yaho.com", "bob@yahoo.com")):
        entry = api.fc_single(typo).json()["emails"][typo]
        assert entry["corrected"] is True and entry["address"] == fixed


def test_invalid_syntax_and_undeliverable(api):
    bad = api.fc_single("not-an-email").json()["emails"]["not-an-email"]
    assert bad["attributes"]["validSyntax"] is False and bad["attributes"]["deliverable"] is False
    gone = api.fc_single("nobody1@acme-robotics.com").json()["emails"]["nobody1@acme-robotics.com"]
    assert gone["attributes"]["deliverable"] is False and gone["sendSafely"] is False


def test_unknown_and_failed_single(api, sb):
    unknown = _address(sb.world, lambda v: v.status == "unknown" and not v.fullcontact_failed)
    assert api.fc_single(unknown).json()["unknownEmails"] == [unknown]
    failed = _address(sb.world, lambda v: v.fullcontact_failed)
    assert api.fc_single(failed).json()["failedEmails"] == [failed]
    assert sb.credits_spent("fullcontact") == 2


def test_batch_flow_keyed_as_sent(api, sb):
    unknown = _address(sb.world, lambda v: v.status == "unknown" and not v.fullcontact_failed)
    failed = _address(sb.world, lambda v: v.fullcontact_failed)
    emails = ["Contact@Acme-Robotics.com", "matt@acme-robotics.ocm", unknown, failed]
    r = api.fc("POST", "/v2/verification/emails.json", json={"emails": emails})
    body = r.json()
    assert r.status_code == 200 and body["completed"] is False and body["webhookUrl"] is None
    assert body["batchId"].endswith("-vs")
    assert sb.credits_spent("fullcontact") == 4
    first = api.fc_poll(body["batchId"]).json()
    assert first == {"batchId": body["batchId"], "webhookUrl": None, "completed": False}
    done = api.fc_poll(body["batchId"]).json()
    assert done["completed"] is True
    resp = done["response"]
    assert resp["status"] == 200
    assert set(resp["emails"]) == {"Contact@Acme-Robotics.com", "matt@acme-robotics.ocm"}
    assert resp["unknownEmails"] == [unknown] and resp["failedEmails"] == [failed]
    assert sb.requests("fullcontact.submit") == 1 and sb.requests("fullcontact.poll") == 2


def test_batch_limits_and_malformed(api, sb):
    assert api.fc_submit([f"u{i}@acme-robotics.com" for i in range(301)]).status_code == 400
    assert api.fc_submit([]).status_code == 400
    assert api.fc_submit([1, 2]).status_code == 400
    assert api.fc("POST", "/v2/verification/emails", data=b"{oops").status_code == 400
    assert sb.credits_spent("fullcontact") == 0
    assert api.fc_submit([f"u{i}@acme-robotics.com" for i in range(300)]).status_code == 200
    assert sb.credits_spent("fullcontact") == 300


def test_batch_quota_charges_nothing(api, sb):
    sb.set_balance("fullcontact", 1)
    r = api.fc_submit(["a@acme-robotics.com", "b@acme-robotics.com"])
    assert r.status_code == 403 and sb.credits_spent("fullcontact") == 0


def test_unknown_batch_is_404(api):
    r = api.fc_poll("does-not-exist-vs")
    assert r.status_code == 404 and r.json()["status"] == 404


def test_rate_limit_is_403_not_429(api, sb):
    sb.set_rate("fullcontact", 1, 30.0)
    assert api.fc_single("contact@acme-robotics.com").status_code == 200
    r = api.fc_single("info@acme-robotics.com")
    assert r.status_code == 403 and "rate limit" in r.json()["message"].lower()
    assert sb.count_429("fullcontact") == 0
    assert sb.stats()["rate_limited"]["fullcontact"] == 1
    assert sb.credits_spent("fullcontact") == 1


def test_the_world_has_tld_typos_of_real_addresses(api, sb):
    typos = sb.world.typo_emails(20)
    assert len(set(typos)) == 20 and all(t.endswith(".ocm") for t in typos)
    assert any(e.endswith(".ocm") for e in sb.world.sample_emails(300, seed=3))
    body = api.fc_poll(api.fc_submit(typos).json()["batchId"])  # first poll: not ready
    response = api.fc_poll(body.json()["batchId"]).json()["response"]
    corrected = [response["emails"][t] for t in typos if t in response["emails"]]
    assert corrected and all(e["corrected"] and e["address"].endswith(".com") for e in corrected)
    # attributes describe the corrected address: most of them are deliverable
    assert sum(e["attributes"]["deliverable"] for e in corrected) >= len(corrected) // 2
    assert all(sb.world.verdict(t).status == "undeliverable" for t in typos)  # as typed
    assert sb.credits_spent("fullcontact") == 20


@pytest.mark.parametrize("spamtraps", [False, True])
def test_spamtraps_reading(api, sb, spamtraps):
    sb.set_readings(spamtraps=spamtraps)
    traps = sb.world.spamtraps(3)
    assert any(sb.world.verdict(e).spamtrap for e in sb.world.sample_emails(300, seed=3))
    for trap in traps:
        entry = api.fc_single(trap).json()["emails"][trap]
        assert entry["attributes"]["risky"] is spamtraps
        assert entry["attributes"]["deliverable"] is True  # a trap accepts mail
        assert entry["sendSafely"] is not spamtraps
    assert sb.credits_spent("fullcontact") == 3


@pytest.mark.parametrize("reading", ["worded", "bare"])
def test_403_reading_for_a_bad_key_and_a_rate_limit(api, sb, reading):
    sb.set_readings(fullcontact_403=reading)
    sb.set_rate("fullcontact", 1, 60.0)
    bad_key = api.fc_single("contact@acme-robotics.com", key="wrong")
    assert api.fc_single("contact@acme-robotics.com").status_code == 200
    limited = api.fc_single("contact@acme-robotics.com")
    for r in (bad_key, limited):
        assert r.status_code == 403 and r.json()["status"] == 403
        assert ("message" in r.json()) is (reading == "worded")
    if reading == "worded":
        assert "rate limit" in limited.json()["message"].lower()
    assert sb.credits_spent("fullcontact") == 1


def test_unknown_reading_is_refused(sb):
    with pytest.raises(ValueError, match="fullcontact_403"):
        sb.set_readings(fullcontact_403="silent")
    with pytest.raises(ValueError, match="unknown reading"):
        sb.set_readings(nothing=True)
