"""ColdLead v1 as seed 004 describes it, including its fixed rate window."""

from __future__ import annotations

import time

import pytest
import requests

from contact_udfs.sandbox import Sandbox


@pytest.mark.parametrize("key", ["", "wrong"])
def test_bad_key_is_401(api, sb, key):
    r = api.cl_verify("contact@acme-robotics.com", key=key)
    assert r.status_code == 401 and r.json() == {"message": "Unauthenticated."}
    r = api.http.get(sb.base_urls["coldlead"] + "/v1/account", timeout=5)
    assert r.status_code == 401
    assert sb.credits_spent("coldlead") == 0


def test_account_is_free(api, sb):
    for method in ("GET", "POST"):
        data = api.cl(method, "/v1/account").json()["data"]
        assert data["credit_balance"] == 10_000 and data["plan"] and data["id"]
    assert sb.credits_spent("coldlead") == 0 and sb.requests("coldlead.account") == 2


def test_verify_vocabulary(api, sb):
    person = sb.world.people()[0]["email"]
    cases = {
        person: ("deliverable", "accepted_email"),
        "contact@acme-robotics.com": ("deliverable", "accepted_email"),
        "nobody1@acme-robotics.com": ("undeliverable", "rejected_email"),
        "someone@mailinator.com": ("risky", "disposable"),
    }
    for email, (status, reason) in cases.items():
        data = api.cl_verify(email).json()["data"]
        assert (data["status"], data["reason"]) == (status, reason), email
    role = api.cl_verify("contact@acme-robotics.com").json()["data"]
    assert role["role_address"] is True and role["free"] is False
    assert role["username"] == "contact" and role["domain"] == "acme-robotics.com"
    assert sb.credits_spent("coldlead") == 5
    assert sb.charges("coldlead")["contact@acme-robotics.com"] == 2  # a double charge is visible


def test_verify_post_form_and_json(api, sb):
    assert api.cl("POST", "/v1/verify", data={"email": "info@acme-robotics.com"}).ok
    assert api.cl("POST", "/v1/verify", json={"email": "INFO@acme-robotics.com "}).ok
    assert sb.charges("coldlead") == {"info@acme-robotics.com": 2}


def test_validation_errors_are_free(api, sb):
    assert api.cl("GET", "/v1/verify").status_code == 400
    r = api.cl_verify("no-at-sign")
    assert r.status_code == 422 and "valid email" in r.json()["message"]
    assert "email" in r.json()["errors"]
    assert api.cl("GET", "/v1/finder", params={"name": "Ada Lovelace"}).status_code == 400
    assert sb.credits_spent("coldlead") == 0


def test_over_quota_is_402(api, sb):
    sb.set_balance("coldlead", 0)
    r = api.cl_verify("contact@acme-robotics.com")
    assert r.status_code == 402 and r.json() == {"message": "Over quota"}
    assert api.cl_finder("Ada Lovelace", "acme-robotics.com").status_code == 402
    assert sb.credits_spent("coldlead") == 0


def test_finder_hit_and_miss_both_charged(api, sb):
    hit = api.cl_finder("Zoe Muller", "https://www.xn--bcher-kva.de").json()["data"]
    assert hit["email"] == "zoe.muller@bücher.de" and hit["status"] == "deliverable"
    miss = api.cl_finder("Nobody Here", "acme-robotics.com").json()["data"]
    assert miss == {"email": None, "name": "Nobody Here", "domain": "acme-robotics.com",
                    "status": "unknown", "accept_all": False}
    assert sb.credits_spent("coldlead") == 2


def test_finder_finds_most_people_dropcontact_misses(sb):
    people = sb.world.people()
    dc_missed = [p for p in people if not p["dropcontact_findable"]]
    assert 0.2 < len(dc_missed) / len(people) < 0.4
    share = sum(p["coldlead_findable"] for p in dc_missed) / len(dc_missed)
    assert share > 0.75


def test_rate_window_headers_and_429():
    with Sandbox(coldlead_rate=(20, 2.0)) as sandbox:
        from_headers = []
        session_headers = {"Authorization": f"Bearer {sandbox.keys['coldlead']}"}
        url = sandbox.base_urls["coldlead"] + "/v1/account"
        with requests.Session() as http:
            for _ in range(20):
                r = http.get(url, headers=session_headers, timeout=5)
                assert r.status_code == 200
                from_headers.append(int(r.headers["X-RateLimit-Remaining"]))
                assert r.headers["X-RateLimit-Limit"] == "20"
            over = http.post(sandbox.base_urls["coldlead"] + "/v1/verify",
                             data={"email": "contact@acme-robotics.com"},
                             headers=session_headers, timeout=5)
        assert from_headers == list(range(19, -1, -1))
        assert over.status_code == 429 and over.json() == {"message": "Too Many Attempts."}
        assert over.headers["X-RateLimit-Remaining"] == "0"
        assert 1 <= int(over.headers["Retry-After"]) <= 2
        assert int(over.headers["X-RateLimit-Reset"]) >= int(time.time())
        assert sandbox.count_429("coldlead") == 1 and sandbox.credits_spent("coldlead") == 0


def test_window_reopens(api, sb):
    sb.set_rate("coldlead", 2, 0.2)
    assert api.cl("GET", "/v1/account").ok and api.cl("GET", "/v1/account").ok
    assert api.cl("GET", "/v1/account").status_code == 429
    time.sleep(0.25)  # let the (tiny) window elapse; not a synchronization sleep
    assert api.cl("GET", "/v1/account").status_code == 200


@pytest.mark.parametrize("reading", ["null", "404"])
def test_finder_miss_reading(api, sb, reading):
    sb.set_readings(coldlead_finder_miss=reading)
    miss = next(p for p in sb.world.people() if not p["coldlead_findable"])
    hit = next(p for p in sb.world.people() if p["coldlead_findable"])
    r = api.cl_finder(miss["full_name"], miss["domain"])
    if reading == "null":
        assert r.status_code == 200 and r.json()["data"]["email"] is None
    else:
        assert r.status_code == 404 and r.json()["message"]
    found = api.cl_finder(hit["full_name"], hit["domain"])
    assert found.status_code == 200 and found.json()["data"]["email"] == hit["email"]
    assert sb.credits_spent("coldlead") == (2 if reading == "null" else 1)


@pytest.mark.parametrize("reading", ["422", "billed"])
def test_bad_syntax_reading(api, sb, reading):
    sb.set_readings(coldlead_bad_syntax=reading)
    r = api.cl_verify("no-at-sign")
    if reading == "422":
        assert r.status_code == 422 and "email" in r.json()["errors"]
        assert sb.credits_spent("coldlead") == 0
    else:
        data = r.json()["data"]
        assert r.status_code == 200
        assert (data["status"], data["reason"]) == ("undeliverable", "invalid_email")
        assert sb.credits_spent("coldlead") == 1
