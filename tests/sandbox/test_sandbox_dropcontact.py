"""Dropcontact v1 and legacy /batch as seeds 000/001 describe them."""

from __future__ import annotations

import pytest

ZOE = {"first_name": "Zoë", "last_name": "Müller", "company": "Bücher & Söhne GmbH"}


@pytest.mark.parametrize("token", ["", "wrong-key"])
def test_bad_token_is_401_and_free(api, sb, token):
    r = api.dc("POST", "/v1/enrich/all", token=token, json={"data": [ZOE]})
    assert r.status_code == 401
    assert r.json()["error"] is True and r.json()["reason"]
    assert api.dc("GET", "/v1/enrich/all/abc", token=token).status_code == 401
    assert sb.credits_spent("dropcontact") == 0


def test_free_credit_check(api, sb):
    r = api.dc_submit([{}])
    body = r.json()
    assert r.status_code == 200
    assert body["error"] is False and body["success"] is True and body["request_id"]
    assert body["credits_left"] == 10_000
    assert sb.credits_spent("dropcontact") == 0
    assert sb.requests("dropcontact.credits") == 1 and sb.requests("dropcontact.submit") == 0


def test_submit_charges_one_credit_per_non_empty_contact(api, sb):
    r = api.dc_submit([ZOE, {}, {"email": "contact@acme-robotics.com"}])
    assert r.status_code == 200
    assert r.json()["credits_left"] == 9_998
    assert sb.credits_spent("dropcontact") == 2 and sb.balance("dropcontact") == 9_998
    assert sb.charges("dropcontact")["contact@acme-robotics.com"] == 1
    assert sb.requests("dropcontact.submit") == 1


@pytest.mark.parametrize("body, status", [
    (b"not json", 400),
    (b'{"contacts": []}', 400),
    (b'{"data": []}', 400),
    (b'{"data": ["a@b.com"]}', 400),
])
def test_malformed_bodies_are_400(api, sb, body, status):
    r = api.dc("POST", "/v1/enrich/all", data=body,
               headers={"Content-Type": "application/json"})
    assert r.status_code == status
    assert sb.credits_spent("dropcontact") == 0


def test_json_content_type_is_required(api, sb):
    r = api.dc("POST", "/v1/enrich/all", data=b'{"data": [{"email": "a@acme-robotics.com"}]}',
               headers={"Content-Type": "text/plain"})
    assert r.status_code == 400 and sb.credits_spent("dropcontact") == 0


def test_batch_limits(api, sb):
    ok = api.dc_submit([{"email": f"user{i}@acme-robotics.com"} for i in range(250)])
    assert ok.status_code == 200
    too_many = api.dc_submit([{"email": f"user{i}@acme-robotics.com"} for i in range(251)])
    assert too_many.status_code == 400
    huge = api.dc_submit([{"email": "a@acme-robotics.com", "job": "x" * 16_000}])
    assert huge.status_code == 400
    assert sb.credits_spent("dropcontact") == 250


def test_quota_exceeded_is_403_and_charges_nothing(api, sb):
    sb.set_balance("dropcontact", 2)
    r = api.dc_submit([ZOE, {"email": "a@acme-robotics.com"}, {"email": "b@acme-robotics.com"}])
    assert r.status_code == 403
    assert r.json() == {"error": True, "reason": "Token exceeded quota", "success": False}
    assert sb.balance("dropcontact") == 2 and sb.credits_spent("dropcontact") == 0
    assert api.dc_submit([{}]).json()["credits_left"] == 2


def test_not_ready_until_n_polls_then_results_in_order(api, sb):
    sb.set_job_polls_before_ready(2)
    contacts = [{"email": "contact@acme-robotics.com", "custom_fields": {"row": "1"}},
                {**ZOE, "custom_fields": {"row": "2", "k": "v"}}]
    rid = api.dc_submit(contacts).json()["request_id"]
    for _ in range(2):
        body = api.dc_poll(rid).json()
        assert body == {"error": False, "success": False,
                        "reason": "Request not ready yet, try again in 30 seconds"}
    done = api.dc_poll(rid).json()
    assert done["success"] is True and done["error"] is False
    assert [c["custom_fields"] for c in done["data"]] == [{"row": "1"}, {"row": "2", "k": "v"}]
    assert sb.requests("dropcontact.poll") == 3
    assert sb.credits_spent("dropcontact") == 2  # polls are free


def test_unknown_id_is_not_ready_forever_by_default(api):
    for _ in range(3):
        body = api.dc_poll("no-such-request").json()
        assert body["success"] is False and "not ready" in body["reason"]


def test_force_results_gives_partial_data(api, sb):
    sb.set_job_polls_before_ready(5)
    contacts = [{"email": "contact@acme-robotics.com"}, ZOE, {"email": "info@acme-robotics.com"},
                {"email": "sales@acme-robotics.com"}]
    rid = api.dc_submit(contacts).json()["request_id"]
    body = api.dc_poll(rid, forceResults="true").json()
    data = body["data"]
    assert len(data) == 4
    assert isinstance(data[0]["email"], list) and isinstance(data[1]["email"], list)
    assert data[2] == contacts[2] and data[3] == contacts[3]  # echoed unchanged


def test_person_found_with_all_fields_and_siren(api):
    rid = api.dc_submit([{"first_name": "Anne-Sophie", "last_name": "de La Tour",
                          "website": "https://www.editions-du-soleil.fr/"}],
                        siren=True, language="en").json()["request_id"]
    c = api.dc_wait(rid)["data"][0]
    assert c["email"][0]["qualification"] == "nominative@pro"
    assert c["email"][0]["email"].endswith("@editions-du-soleil.fr")
    for field in ("civility", "full_name", "company", "website", "linkedin", "job", "job_level",
                  "job_function", "company_linkedin", "nb_employees", "country", "siren",
                  "siret", "siret_address", "siret_zip", "siret_city", "vat", "naf5_code",
                  "naf5_des", "company_turnover", "company_results", "phone"):
        assert c.get(field), field
    assert c["civility"] == "Mme" and c["full_name"] == "Anne-Sophie de La Tour"


def test_unknown_person_gets_generic_address_only(api):
    rid = api.dc_submit([{"first_name": "Nobody", "last_name": "Here",
                          "company": "Acme Robotics"}], language="en").json()["request_id"]
    c = api.dc_wait(rid)["data"][0]
    assert c["email"] == [{"email": "contact@acme-robotics.com", "qualification": "generic@pro"}]


@pytest.mark.parametrize("language", [None, "en", "fr"])
def test_only_documented_labels_whatever_the_language(api, language):
    """Seeds 000/001 show English qualifications only: no other vocabulary is invented."""
    contacts = [{"email": "contact@acme-robotics.com"}, {"email": "nobody1@acme-robotics.com"},
                {"email": "someone@mailinator.com"}, {"email": "not-an-email"}]
    options = {} if language is None else {"language": language}
    data = api.dc_wait(api.dc_submit(contacts, **options).json()["request_id"])["data"]
    assert [c["email"][0]["qualification"] for c in data] == [
        "generic@pro", "invalid@pro", "random@perso", "invalid@invalid"]


def test_dropcontact_misses_some_people_deterministically(api, sb):
    missed = [p for p in sb.world.people() if not p["dropcontact_findable"]][:3]
    contacts = [{"first_name": p["first_name"], "last_name": p["last_name"],
                 "website": p["domain"]} for p in missed]
    data = api.dc_wait(api.dc_submit(contacts, language="en").json()["request_id"])["data"]
    for c in data:
        assert all(e["qualification"] != "nominative@pro" for e in c.get("email", []))


def _legacy(api, sb, method, path, **kw):
    headers = {"X-Access-Token": sb.keys["dropcontact"]}
    return api.http.request(method, sb.dropcontact_legacy_url + path, headers=headers,
                            timeout=5, **kw)


@pytest.fixture
def readings(sb):
    yield sb.dropcontact_reading
    sb.dropcontact_reading(reset=True)


@pytest.mark.parametrize("echo", [True, False])
def test_legacy_batch_on_its_own_host(api, sb, readings, echo):
    readings(legacy_echo=echo)
    r = _legacy(api, sb, "POST", "/batch", json={"data": [
        {"email": "contact@acme-robotics.com", "custom_fields": {"id": "x"}},
        {"first_name": "Ada", "last_name": "Lovelace", "website": "acme-robotics.com"}]})
    assert r.status_code == 200 and r.json()["credits_left"] == 9_998
    rid = r.json()["request_id"]
    assert _legacy(api, sb, "GET", f"/batch/{rid}").json()["success"] is False
    done = _legacy(api, sb, "GET", f"/batch/{rid}").json()
    first, ada = done["data"]
    assert first["email"][0]["qualification"] == "generic@pro"
    assert ("custom_fields" in first) is echo
    assert first.get("custom_fields", {"id": "x"}) == {"id": "x"}
    assert ada["facebook"].startswith("https://www.facebook.com/") and ada["twitter"]
    assert not {"job", "job_level", "mobile_phone", "country"} & set(ada)  # v1-only fields
    big = _legacy(api, sb, "POST", "/batch", json={"data": [{"email": "a@b.co"}] * 251})
    assert big.status_code == 400
    assert sb.requests("dropcontact.legacy_submit") == 2
    assert sb.requests("dropcontact.legacy_poll") == 2
    assert sb.credits_spent("dropcontact") == 2


def test_each_host_serves_only_its_own_api(api, sb):
    assert api.dc("POST", "/batch", json={"data": [{"email": "a@acme-robotics.com"}]}
                  ).status_code == 404
    assert _legacy(api, sb, "POST", "/v1/enrich/all", json={"data": [{}]}).status_code == 404
    assert sb.credits_spent("dropcontact") == 0


@pytest.mark.parametrize("echo", ["exact", "padded"])
def test_force_results_echo_readings(api, sb, readings, echo):
    readings(force_echo=echo)
    sb.set_job_polls_before_ready(5)
    contacts = [{"email": "contact@acme-robotics.com"}, {"email": "info@acme-robotics.com"},
                {"email": "sales@acme-robotics.com", "custom_fields": {"k": "v"}}]
    rid = api.dc_submit(contacts).json()["request_id"]
    data = api.dc_poll(rid, forceResults="true").json()["data"]
    assert isinstance(data[0]["email"], list)
    unprocessed = data[1:]
    if echo == "exact":
        assert unprocessed == contacts[1:]
    else:
        for sent, got in zip(contacts[1:], unprocessed, strict=True):
            assert {k: v for k, v in got.items() if v is not None} == sent
            assert got["civility"] is None and got["job"] is None


@pytest.mark.parametrize("reading, status", [("not_ready", 200), ("404", 404)])
def test_unknown_id_readings(api, sb, readings, reading, status):
    readings(unknown_id=reading)
    for _ in range(2):
        r = api.dc_poll("no-such-request")
        assert r.status_code == status and r.json()["success"] is False
    legacy = _legacy(api, sb, "GET", "/batch/no-such-request")
    assert legacy.status_code == status


@pytest.mark.parametrize("shape, expected", [
    ("request_id", {"error", "request_id", "success", "credits_left"}),
    ("pending", {"request_id", "status"}),
    ("callback_ack", {"status", "message"}),
])
def test_submit_answer_shapes(api, sb, readings, sink, shape, expected):
    readings(submit_reply=shape)
    r = api.dc_submit([{"email": "contact@acme-robotics.com", "custom_fields": {"k": "v"}}],
                      custom_callback_url=sink.url + "/cb")
    assert set(r.json()) == expected
    if shape == "callback_ack":
        assert r.json() == {"status": "success", "message": "Enrichment request received."}
    pushed = sink.wait(1)
    assert pushed[0]["body"][0]["data"]["data"][0]["custom_fields"] == {"k": "v"}
    assert sb.credits_spent("dropcontact") == 1
    # without a callback URL the documented id answer stays
    plain = api.dc_submit([{"email": "info@acme-robotics.com"}]).json()
    assert plain.get("request_id")


def test_job_error_reading(api, sb, readings):
    sb.set_job_polls_before_ready(3)
    rid = api.dc_submit([{"email": "contact@acme-robotics.com"}]).json()["request_id"]
    readings(job_error="Internal processing error")
    body = api.dc_poll(rid).json()
    assert body == {"error": True, "reason": "Internal processing error", "success": False}


def test_unknown_reading_is_refused(sb):
    with pytest.raises(ValueError, match="force_echo"):
        sb.dropcontact_reading(force_echo="sometimes")
    with pytest.raises(ValueError, match="unknown Dropcontact reading"):
        sb.dropcontact_reading(colour="red")


def test_rate_limit_429(api, sb):
    sb.set_rate("dropcontact", 2, 30.0)
    assert api.dc_submit([{}]).status_code == 200
    assert api.dc_submit([{}]).status_code == 200
    r = api.dc_submit([{"email": "a@acme-robotics.com"}])
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert sb.count_429("dropcontact") == 1 and sb.count_429() == {
        "dropcontact": 1, "fullcontact": 0, "coldlead": 0}
    assert sb.credits_spent("dropcontact") == 0


def test_webhook_subscription_crud_and_validation(api):
    base = {"event_type": "enrich_api_result", "active": True,
            "callback_url": "http://127.0.0.1:9/cb", "period_s": 5, "max_webhooks_per_period": 30}
    for bad in ({**base, "event_type": "other"}, {**base, "period_s": 0},
                {**base, "period_s": 61}, {**base, "max_webhooks_per_period": 101},
                {k: v for k, v in base.items() if k != "callback_url"}):
        assert api.dc("POST", "/v1/webhooks/subscriptions", json=bad).status_code == 400
    created = api.dc("POST", "/v1/webhooks/subscriptions", json=base)
    assert created.status_code == 200
    sub_id = created.json()["id"]
    listed = api.dc("GET", "/v1/webhooks/subscriptions").json()["data"]
    assert [s["id"] for s in listed] == [sub_id]
    path = f"/v1/webhooks/subscriptions/{sub_id}"
    assert api.dc("PUT", path, json={"active": False}).status_code == 200
    assert api.dc("PUT", path, json={"max_webhooks_per_period": 0}).status_code == 400
    assert api.dc("PUT", path, json={"event_type": "x"}).status_code == 400
    assert api.dc("GET", "/v1/webhooks/subscriptions").json()["data"][0]["active"] is False
    assert api.dc("DELETE", path).status_code == 200
    assert api.dc("DELETE", path).status_code == 404
    assert api.dc("PUT", "/v1/webhooks/subscriptions/nope", json={}).status_code == 404


def test_unknown_path_is_404_json(api, sb):
    r = api.dc("GET", "/v2/whatever")
    assert r.status_code == 404 and r.json()["error"] is True
    r = api.http.get(sb.url + "/nothing-here", timeout=5)
    assert r.status_code == 404 and r.headers["Content-Type"].startswith("application/json")
