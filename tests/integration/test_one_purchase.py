"""One purchase per person, whatever the operation or the spelling, counted at the simulator.

The same 50 people go through find (name + domain), enrich (name + website URL),
verify (the addresses found) and find again (name + company name) with Dropcontact:
every one of those is the same vendor call, so the four together cost 50 credits,
nobody is billed twice, and the last three send nothing. Run on SQLite and on Redis.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from redis_server import fresh_db, redis_url  # noqa: F401  (the Redis case's server)

from contact_udfs import Client, Status
from contact_udfs.sandbox import Sandbox

N = 50


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def cache_env(request: pytest.FixtureRequest) -> dict[str, str]:
    if request.param == "sqlite":
        return {}
    return {"CONTACT_UDFS_CACHE": fresh_db(request.getfixturevalue("redis_url"))}


def people(sandbox: Sandbox) -> list[dict[str, Any]]:
    return sandbox.world.people()[:N]


def test_four_operations_cost_one_credit_per_person(
    sandbox: Sandbox, client_for: Callable[..., Client], cache_env: dict[str, str]
) -> None:
    crowd = people(sandbox)
    client = client_for("dropcontact", **cache_env)

    found = client.find_emails(
        [{"first_name": p["first_name"], "last_name": p["last_name"], "domain": p["domain"]}
         for p in crowd]
    )  # fmt: skip
    assert sandbox.credits_spent("dropcontact") == N
    submits = sandbox.requests("dropcontact.submit")

    by_website = [
        {"first_name": p["first_name"], "last_name": p["last_name"],
         "website": f"https://www.{p['domain']}/about"}
        for p in crowd
    ]  # fmt: skip
    assert client.estimate(by_website, "enrich").total == 0
    enriched = client.run("enrich", by_website)
    assert enriched.report.credits == {} and enriched.report.reused == N
    assert [e.email for e in enriched.results if e.email] and all(
        e.from_cache for e in enriched.results
    )

    addresses = [f.email for f in found if f.email]
    assert len(addresses) > N // 2
    estimate = client.estimate(addresses)
    assert estimate.total == 0 and estimate.steps[0].cached == len(addresses)
    verified = client.run("verify", addresses)
    assert verified.report.credits == {} and verified.report.reused == len(addresses)
    assert [v.status for v in verified.results] == [
        f.status for f in found if f.email
    ], "the qualification bought with the find is the verdict"
    assert all(v.provider == "dropcontact" and v.from_cache for v in verified.results)

    by_company = [
        {"first_name": p["first_name"], "last_name": p["last_name"], "company": p["company"]}
        for p in crowd
    ]  # fmt: skip
    assert client.estimate(by_company, "find").total == 0
    again = client.run("find", by_company)
    assert again.report.credits == {} and again.report.from_cache == N
    assert [a.email for a in again.results] == [f.email for f in found]

    assert sandbox.requests("dropcontact.submit") == submits, "the last three sent nothing"
    assert sandbox.credits_spent("dropcontact") == N
    assert max(sandbox.charges("dropcontact").values()) == 1, "nobody was billed twice"


def test_company_spellings_and_a_full_name_reach_the_same_answer(
    sandbox: Sandbox, client_for: Callable[..., Client], cache_env: dict[str, str]
) -> None:
    crowd = people(sandbox)[:10]
    client = client_for("dropcontact", **cache_env)
    first = client.enrich_contacts(
        [{"first_name": p["first_name"], "last_name": p["last_name"], "website": p["domain"]}
         for p in crowd]
    )  # fmt: skip
    spent = sandbox.credits_spent("dropcontact")
    assert spent == 10
    spellings = [
        {"full_name": f"{p['first_name']} {p['last_name'].upper()}",
         "company": f"{p['company'].upper()}, Inc."}
        for p in crowd
    ]  # fmt: skip
    run = client.run("find", spellings)
    assert run.report.credits == {} and run.report.reused == 10
    assert sandbox.credits_spent("dropcontact") == spent
    assert [r.email for r in run.results] == [
        next((e["email"] for e in f.emails if e["qualification"].startswith(("nominative",
              "non_confirm"))), None) if f.emails else None
        for f in first
    ]  # fmt: skip


def test_a_verify_answer_never_answers_a_find(
    sandbox: Sandbox, client_for: Callable[..., Client]
) -> None:
    crowd = people(sandbox)[:5]
    client = client_for("dropcontact")
    client.verify_emails([p["email"] for p in crowd])
    assert sandbox.credits_spent("dropcontact") == 5
    run = client.run("find", [{"first_name": p["first_name"], "last_name": p["last_name"],
                               "domain": p["domain"]} for p in crowd])  # fmt: skip
    assert run.report.reused == 0 and run.report.credits == {"dropcontact": 5}


def test_a_coldlead_finder_answer_answers_a_later_verify(
    sandbox: Sandbox, client_for: Callable[..., Client]
) -> None:
    crowd = people(sandbox)[:8]
    client = client_for("coldlead")
    found = client.find_emails([{"first_name": p["first_name"], "last_name": p["last_name"],
                                 "domain": p["domain"]} for p in crowd])  # fmt: skip
    spent, asked = sandbox.credits_spent("coldlead"), sandbox.requests("coldlead")
    addresses = [f.email for f in found if f.email]
    assert addresses
    run = client.run("verify", addresses)
    assert run.report.credits == {} and run.report.reused == len(addresses)
    assert sandbox.credits_spent("coldlead") == spent and sandbox.requests("coldlead") == asked
    assert all(v.status is not Status.INVALID for v in run.results)


def test_forget_erases_the_aliases_an_answer_taught(
    sandbox: Sandbox, client_for: Callable[..., Client], cache_env: dict[str, str]
) -> None:
    person = next(p for p in people(sandbox) if p["dropcontact_findable"])
    client = client_for("dropcontact", **cache_env)
    found = client.find_emails([{"first_name": person["first_name"],
                                 "last_name": person["last_name"], "domain": person["domain"]}])
    assert found[0].email
    alias = client.store.aliases([person["company"].lower()])
    assert alias == {person["company"].lower(): person["domain"]}
    assert client.forget(found[0].email) >= 1
    assert client.store.aliases([person["company"].lower()]) == {}


def test_bought_by_company_name_then_asked_by_domain_costs_nothing(
    sandbox: Sandbox, client_for: Callable[..., Client], cache_env: dict[str, str]
) -> None:
    crowd = [p for p in people(sandbox) if p["domain"] == "garcia-logistica.es"]
    client = client_for("dropcontact", **cache_env)
    by_name = client.find_emails(
        [{"first_name": p["first_name"], "last_name": p["last_name"], "company": p["company"]}
         for p in crowd]
    )  # fmt: skip
    spent = sandbox.credits_spent("dropcontact")
    assert spent == len(crowd) and any(f.email for f in by_name)
    by_site = client.run("find", [
        {"first_name": p["first_name"], "last_name": p["last_name"],
         "website": f"http://{p['domain']}"} for p in crowd
    ])  # fmt: skip
    assert by_site.report.credits == {} and by_site.report.from_cache == len(crowd)
    assert [f.email for f in by_site.results] == [f.email for f in by_name]
    enriched = client.run("enrich", [
        {"first_name": p["first_name"], "last_name": p["last_name"], "website": p["domain"]}
        for p in crowd
    ])  # fmt: skip
    assert enriched.report.credits == {} and enriched.report.reused == len(crowd)
    assert sandbox.credits_spent("dropcontact") == spent
    # forgetting the person erases the purchase under both keys
    email = next(f.email for f in by_name if f.email)
    gone = next(p for p, f in zip(crowd, by_name, strict=True) if f.email == email)
    assert client.forget(email) == 2
    again = client.run("find", [{"first_name": gone["first_name"],
                                 "last_name": gone["last_name"], "domain": gone["domain"]}])
    assert again.report.credits == {"dropcontact": 1}
