"""Injected faults: before billing, after billing, and never leaving the server broken."""

from __future__ import annotations

import pytest
import requests

from contact_udfs.sandbox import Fault, Sandbox

EMAIL = "contact@acme-robotics.com"


@pytest.mark.parametrize("code", ["500", "502", "503", "504", "524"])
def test_status_faults_are_not_processed(api, sb, code):
    sb.inject("coldlead.verify", code)
    r = api.cl_verify(EMAIL)
    assert r.status_code == int(code)
    assert r.headers["Content-Type"].startswith("application/json") and "message" in r.json()
    assert sb.credits_spent("coldlead") == 0
    assert api.cl_verify(EMAIL).status_code == 200  # one-shot
    assert sb.stats()["faults"] == {"coldlead.verify": {code: 1}}


def test_status_fault_with_html_body(api, sb):
    sb.inject("dropcontact.submit", Fault.HTTP_502, html=True)
    r = api.dc_submit([{"email": EMAIL}])
    assert r.status_code == 502 and r.headers["Content-Type"].startswith("text/html")
    with pytest.raises(ValueError):
        r.json()
    assert sb.credits_spent("dropcontact") == 0 and sb.stats()["jobs"] == 0


def test_injected_429_headers(api, sb):
    sb.inject("coldlead.finder", "429", retry_after=7)
    r = api.cl_finder("Ada Lovelace", "acme-robotics.com")
    assert r.status_code == 429 and r.headers["Retry-After"] == "7"
    assert r.headers["X-RateLimit-Remaining"] == "0" and r.headers["X-RateLimit-Limit"] == "200"
    assert int(r.headers["X-RateLimit-Reset"]) > 0
    sb.inject("fullcontact.single", "429")
    assert api.fc_single(EMAIL).headers["Retry-After"] == "1"
    assert sb.count_429() == {"dropcontact": 0, "fullcontact": 1, "coldlead": 1}
    assert sb.credits_spent("coldlead") == 0 and sb.credits_spent("fullcontact") == 0


def test_drop_is_a_connection_error_without_billing(api, sb):
    sb.inject("fullcontact.single", "drop")
    with pytest.raises(requests.ConnectionError):
        api.fc_single(EMAIL)
    assert sb.credits_spent("fullcontact") == 0
    assert api.fc_single(EMAIL).status_code == 200  # same session, server fine


def test_lost_response_bills_then_hangs_up(api, sb):
    sb.inject("coldlead.verify", Fault.LOST_RESPONSE)
    with pytest.raises(requests.ConnectionError):
        api.cl_verify(EMAIL)
    assert sb.credits_spent("coldlead") == 1 and sb.charges("coldlead") == {EMAIL: 1}
    assert api.cl_verify(EMAIL).ok
    assert sb.charges("coldlead") == {EMAIL: 2}


@pytest.mark.parametrize("endpoint", ["dropcontact.submit", "fullcontact.submit"])
def test_lost_response_on_submit_creates_the_job(api, sb, endpoint):
    sb.inject(endpoint, "lost_response")
    with pytest.raises(requests.ConnectionError):
        if endpoint.startswith("dropcontact"):
            api.dc_submit([{"email": EMAIL}, {"email": "info@acme-robotics.com"}])
        else:
            api.fc_submit([EMAIL, "info@acme-robotics.com"])
    provider = endpoint.split(".")[0]
    assert sb.credits_spent(provider) == 2 and sb.stats()["jobs"] == 1


def test_malformed_json_is_processed(api, sb):
    sb.inject("dropcontact.submit", "malformed_json")
    r = api.dc_submit([{"email": EMAIL}])
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()
    assert sb.credits_spent("dropcontact") == 1 and sb.stats()["jobs"] == 1


def test_slow_triggers_read_timeout_but_still_bills(api, sb, wait_until):
    sb.inject("coldlead.verify", "slow", delay=0.6)
    with pytest.raises(requests.ReadTimeout):
        api.cl_verify(EMAIL, timeout=0.15)
    assert wait_until(lambda: sb.credits_spent("coldlead") == 1)
    sb.inject("coldlead.verify", "slow", delay=0.1)
    assert api.cl_verify(EMAIL, timeout=5).ok


def test_never_ready(api, sb):
    sb.set_job_polls_before_ready(0)
    sb.inject("dropcontact.submit", "never_ready")
    rid = api.dc_submit([{"email": EMAIL}, {"email": "info@acme-robotics.com"}]).json()
    for params in ({}, {"forceResults": "true"}, {}):
        assert api.dc_poll(rid["request_id"], **params).json()["success"] is False
    sb.inject("fullcontact.submit", "never_ready")
    batch = api.fc_submit([EMAIL]).json()["batchId"]
    for _ in range(3):
        assert api.fc_poll(batch).json()["completed"] is False
    with pytest.raises(ValueError):
        sb.inject("coldlead.verify", "never_ready")


def test_times_and_wildcards(api, sb):
    sb.inject("coldlead.*", "503", times=2)
    assert api.cl_verify(EMAIL).status_code == 503
    assert api.cl("GET", "/v1/account").status_code == 503
    assert api.cl("GET", "/v1/account").status_code == 503
    assert api.cl("GET", "/v1/account").status_code == 200
    assert sb.pending_faults() == {"coldlead.verify": ["503"], "coldlead.finder": ["503", "503"]}
    sb.clear_faults()
    assert sb.pending_faults() == {} and api.cl_verify(EMAIL).ok


def test_bad_names_raise(sb):
    with pytest.raises(ValueError):
        sb.inject("coldlead.verfy", "500")
    with pytest.raises(ValueError):
        sb.inject("coldlead.verify", "418")
    with pytest.raises(ValueError):
        sb.fault_rates("coldlead.verify", {"500": 0.7, "drop": 0.5})


def _codes(sandbox: Sandbox, n: int) -> list[object]:
    headers = {"Authorization": f"Bearer {sandbox.keys['coldlead']}"}
    out: list[object] = []
    with requests.Session() as http:
        for _ in range(n):
            try:
                r = http.get(sandbox.base_urls["coldlead"] + "/v1/account", headers=headers,
                             timeout=5)
                out.append(r.status_code)
            except requests.ConnectionError:
                out.append("conn")
    return out


def test_fault_rates_are_reproducible():
    runs = []
    for _ in range(2):
        with Sandbox() as sandbox:
            sandbox.fault_rates("coldlead.account", {"500": 0.3, "drop": 0.2}, seed=42)
            runs.append(_codes(sandbox, 40))
            faults = sandbox.stats()["faults"]["coldlead.account"]
            sandbox.clear_faults()
            assert _codes(sandbox, 5) == [200] * 5
    assert runs[0] == runs[1]
    assert {500, 200, "conn"} <= set(runs[0])
    assert faults["500"] == runs[0].count(500) and faults["drop"] == runs[0].count("conn")


def test_server_survives_a_storm_of_faults(api, sb):
    sb.fault_rates("*", {"drop": 0.3, "lost_response": 0.3, "malformed_json": 0.2}, seed=1)
    for i in range(30):
        try:
            api.cl_verify(f"user{i}@acme-robotics.com")
        except requests.ConnectionError:
            pass
    sb.clear_faults()
    assert api.cl("GET", "/v1/account").ok and api.dc_submit([{}]).ok
