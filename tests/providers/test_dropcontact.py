"""Dropcontact: the qualification table, mapping, jobs, webhooks and subscriptions."""

from __future__ import annotations

from typing import Any

import pytest

from contact_udfs.exceptions import ConfigurationError
from contact_udfs.models import Enrichment, FoundEmail, Operation, Status, Verification
from contact_udfs.providers.base import Task
from contact_udfs.providers.dropcontact import qualification_fields
from contact_udfs.sandbox import get_world

D, R, U = Status.DELIVERABLE, Status.RISKY, Status.UNDELIVERABLE


@pytest.mark.parametrize("qualification, status, reason, extra", [
    ("nominative@pro", D, "accepted_email", {"free": False, "role": False, "catch_all": False}),
    ("generic@pro", R, "role", {"role": True, "catch_all": False}),
    ("non_confirm@pro", R, "accept_all", {"catch_all": True}),
    ("random@pro", R, "random", {}),
    ("invalid@pro", U, "rejected_email", {}),
    ("nominative@perso", D, "accepted_email", {"free": True}),
    ("generic@perso", R, "role", {"role": True, "free": True}),
    ("nominative@invalid", U, "invalid_domain", {}),
    (" Nominative@PRO ", D, "accepted_email", {}),
])
def test_qualification_table(qualification: str, status: Status, reason: str,
                             extra: dict[str, Any]) -> None:
    fields = qualification_fields(qualification)
    assert fields is not None
    assert (fields["status"], fields["reason"]) == (status, reason)
    for name, value in extra.items():
        assert fields[name] == value


@pytest.mark.parametrize("qualification", [
    "", "nominative", "weird@pro", "nominative@moon", None,
    # no seed documents these: they are not guessed at
    "nominatif@pro", "generique@pro", "générique@perso", "non_confirme@pro", "invalide@pro",
    "nominatif@invalide",
])
def test_unknown_qualifications_are_not_guessed(qualification: Any) -> None:
    assert qualification_fields(qualification) is None


def test_an_unknown_label_is_unknown_with_the_label_kept(make) -> None:
    dc = make("dropcontact")
    key = "ada@acme.com"
    a = dc._map(Operation.VERIFY, key, _contact(key, [(key, "nominatif@pro")]))
    assert (a.status, a.reason, a.retryable) == (Status.UNKNOWN, "unrecognized_qualification",
                                                 False)
    assert a.raw["email"] == [{"email": key, "qualification": "nominatif@pro"}]


def test_generic_is_not_a_settled_verdict(make) -> None:
    """A role mailbox says nothing about the mailbox: a waterfall asks the next provider."""
    dc = make("dropcontact")
    key = "contact@acme.com"
    a = dc._map(Operation.VERIFY, key, _contact(key, [(key, "generic@pro")]))
    assert (a.status, a.reason, a.role, a.settled) == (R, "role", True, False)
    other = dc._map(Operation.VERIFY, key, _contact(key, [(key, "non_confirm@pro")]))
    assert other.settled


def _contact(key: str, emails: list[tuple[str, str]], **fields: Any) -> dict[str, Any]:
    return {"email": [{"email": e, "qualification": q} for e, q in emails],
            "custom_fields": {"cu_key": key}, **fields}


def test_verify_maps_the_email_matching_the_key(make) -> None:
    dc = make("dropcontact")
    key = "ada@acme.com"
    a = dc._map(Operation.VERIFY, key, _contact(key, [("other@acme.com", "nominative@pro"),
                                                      ("Ada@acme.com", "generic@pro")]))
    assert isinstance(a, Verification) and a.email == key and a.status is R and a.role
    missing = dc._map(Operation.VERIFY, key, _contact(key, [("x@acme.com", "nominative@pro")]))
    assert (missing.status, missing.reason, missing.retryable) == (Status.UNKNOWN,
                                                                    "not_returned", False)


@pytest.mark.parametrize("emails, email, status, confidence", [
    ([("contact@acme.com", "generic@pro"), ("ada@acme.com", "nominative@pro")],
     "ada@acme.com", D, 0.9),
    ([("ada@gmail.com", "nominative@perso"), ("ada@acme.com", "nominative@pro")],
     "ada@acme.com", D, 0.9),
    ([("ada@gmail.com", "nominative@perso")], "ada@gmail.com", D, 0.7),
    ([("ada@acme.com", "non_confirm@pro")], "ada@acme.com", R, 0.6),
    ([("contact@acme.com", "generic@pro")], None, Status.UNKNOWN, 0.0),
    ([("ada@acme.com", "invalid@pro")], None, Status.UNKNOWN, 0.0),
    ([], None, Status.UNKNOWN, 0.0),
])
def test_find_picks_the_first_nominative_address(make, emails, email, status,
                                                 confidence) -> None:
    dc = make("dropcontact")
    contact = _contact("k", emails, first_name="Ada", last_name="Lovelace", company="Acme")
    a = dc._map(Operation.FIND, "k", contact)
    assert isinstance(a, FoundEmail)
    assert (a.email, a.status, a.confidence) == (email, status, confidence)
    assert (a.first_name, a.last_name, a.company) == ("Ada", "Lovelace", "Acme")
    if email is None:
        assert a.reason == "not_found" and not a.retryable


def test_enrich_keeps_every_field(make) -> None:
    dc = make("dropcontact")
    contact = _contact("k", [("contact@acme.com", "generic@pro"),
                             ("ada@acme.com", "nominative@pro")],
                       civility="Mme", first_name="Ada", siren="500 500 500", nb_employees=12,
                       job="CTO")
    contact["custom_fields"]["theirs"] = "x"
    a = dc._map(Operation.ENRICH, "k", contact)
    assert isinstance(a, Enrichment)
    assert (a.email, a.qualification, a.status) == ("ada@acme.com", "nominative@pro", D)
    assert (a.civility, a.siren, a.nb_employees, a.job) == ("Mme", "500 500 500", "12", "CTO")
    assert len(a.emails) == 2 and a.custom_fields == {"theirs": "x"}
    assert a.raw["custom_fields"]["cu_key"] == "k"


def _verify_tasks(n: int, seed: int = 3) -> list[Task]:
    return [Task(e, {"email": e}) for e in get_world(0).sample_emails(n, seed=seed)]


def test_job_not_ready_then_answers_matched_by_custom_fields(make, sandbox) -> None:
    dc = make("dropcontact")
    tasks = _verify_tasks(12)
    sub = dc.submit(Operation.VERIFY, tasks)
    assert sub.answers == {} and sub.job is not None
    assert sub.job.meta["api"] == "v1" and set(sub.job.keys) == {t.key for t in tasks}
    assert dc.poll(sub.job) is None
    answers = dc.poll(sub.job)
    assert set(answers) == {t.key for t in tasks}
    world = get_world(0)
    for key, a in answers.items():
        assert a.provider == "dropcontact" and a.email == key
        assert a.raw["email"][0]["qualification"] == world.verdict(key).qualification
    assert sandbox.credits_spent("dropcontact") == 12
    assert sandbox.requests("dropcontact.submit") == 1


def test_never_ready_job_stays_pending(make, sandbox) -> None:
    sandbox.inject("dropcontact.submit", "never_ready")
    dc = make("dropcontact")
    job = dc.submit(Operation.VERIFY, _verify_tasks(3)).job
    assert [dc.poll(job), dc.poll(job, final=True)] == [None, None]


def test_find_and_enrich_jobs(make, sandbox) -> None:
    people = [p for p in get_world(0).people() if p["dropcontact_findable"]][:4]
    dc = make("dropcontact")
    find = [Task(f"{p['first_name']} {p['last_name']}@{p['domain']}".lower(),
                 {"first_name": p["first_name"], "last_name": p["last_name"],
                  "domain": p["domain"]}) for p in people]
    job = dc.submit(Operation.FIND, find).job
    found = dc.poll(job) or dc.poll(job)
    assert [found[t.key].email for t in find] == [p["email"] for p in people]
    enrich = [Task(f"e{i}", {"first_name": p["first_name"], "last_name": p["last_name"],
                             "company": p["company"]}) for i, p in enumerate(people)]
    job = dc.submit(Operation.ENRICH, enrich).job
    enriched = dc.poll(job) or dc.poll(job)
    assert [enriched[t.key].email for t in enrich] == [p["email"] for p in people]
    assert all(enriched[t.key].job for t in enrich)


def test_batch_size_limit(make, sandbox) -> None:
    dc = make("dropcontact")
    assert dc.max_batch == 250
    tasks = [Task(f"p{i}@example.net", {"email": f"p{i}@example.net"}) for i in range(251)]
    with pytest.raises(ValueError, match="at most 250"):
        dc.submit(Operation.VERIFY, tasks)
    assert sandbox.requests("*") == 0
    assert dc.submit(Operation.VERIFY, tasks[:250]).job is not None
    assert sandbox.credits_spent("dropcontact") == 250


def test_unsupported_find_inputs(make) -> None:
    dc = make("dropcontact")
    assert dc.unsupported(Operation.FIND, {"first_name": "Ada", "domain": "acme.com"}) \
        == "needs_name"
    assert dc.unsupported(Operation.FIND, {"full_name": "Ada Lovelace"}) == "needs_company"
    assert dc.unsupported(Operation.FIND, {"full_name": "Ada L", "company": "Acme"}) is None
    assert dc.cost(Operation.ENRICH) == 1


def test_callback_url_and_webhook_parsing(make, sandbox) -> None:
    hook = "http://127.0.0.1:9/contact-udfs-hook"  # refused: the payload is still recorded
    dc = make("dropcontact", callback_url=hook)
    tasks = _verify_tasks(4, seed=7)
    dc.submit(Operation.VERIFY, tasks)
    deliveries = sandbox.wait_webhooks(1, timeout=5.0)
    assert deliveries and deliveries[0]["url"] == hook
    answers = dc.parse_webhook(deliveries[0]["payload"], Operation.VERIFY)
    assert set(answers) == {t.key for t in tasks}
    one_event = dc.parse_webhook(deliveries[0]["payload"][0], Operation.VERIFY)
    assert set(one_event) == set(answers)
    assert dc.parse_webhook([{"data": {"data": [{"first_name": "x"}]}}], Operation.VERIFY) == {}


def test_subscription_crud(make, sandbox) -> None:
    dc = make("dropcontact")
    sub_id = dc.create_subscription("http://127.0.0.1:9/hook", period_s=10)
    assert any(s["id"] == sub_id for s in dc.list_subscriptions())
    edited = dc.edit_subscription(sub_id, active=False, max_webhooks_per_period=5)
    assert edited["data"]["active"] is False
    dc.delete_subscription(sub_id)
    assert all(s["id"] != sub_id for s in dc.list_subscriptions())
    assert sandbox.credits_spent("dropcontact") == 0


@pytest.mark.parametrize("kwargs, message", [
    ({"period_s": 0}, "period_s"),
    ({"period_s": 61}, "period_s"),
    ({"period_s": 5.5}, "period_s"),
    ({"max_webhooks_per_period": 0}, "max_webhooks_per_period"),
    ({"max_webhooks_per_period": 101}, "max_webhooks_per_period"),
    ({"active": "yes"}, "active"),
])
def test_subscription_bounds_are_checked_before_any_call(make, sandbox, kwargs,
                                                         message) -> None:
    dc = make("dropcontact")
    with pytest.raises(ConfigurationError, match=message):
        dc.create_subscription("http://127.0.0.1:9/hook", **kwargs)
    with pytest.raises(ConfigurationError, match=message):
        dc.edit_subscription("some-id", **kwargs)
    assert sandbox.requests("dropcontact.webhooks") == 0


def test_subscription_edit_refuses_unknown_fields_and_bad_urls(make, sandbox) -> None:
    dc = make("dropcontact")
    with pytest.raises(ConfigurationError, match="event_type"):
        dc.edit_subscription("x", event_type="other")
    with pytest.raises(ConfigurationError, match="callback_url"):
        dc.create_subscription("ftp://nope")
    with pytest.raises(ConfigurationError):
        dc.edit_subscription("x")
    assert sandbox.requests("dropcontact.webhooks") == 0
