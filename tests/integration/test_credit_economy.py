"""DESIGN §5 end to end, counted at the simulator: credits, requests, charges per contact."""

from __future__ import annotations

import math
import random

import pytest

from contact_udfs import BudgetExceededError, Status

POST = {"dropcontact": "dropcontact.submit", "fullcontact": "fullcontact.submit"}
BATCH = {"dropcontact": 250, "fullcontact": 300}


def with_duplicates(sandbox, n=700, dups=300, seed=1):
    """``n`` distinct addresses plus ``dups`` case/space variants of them."""
    emails = sandbox.world.sample_emails(n, seed=seed)
    rng = random.Random(seed)
    variants = []
    for _ in range(dups):
        e = rng.choice(emails)
        variants.append(rng.choice([e.upper(), f"  {e}\t", e.title(), f"\u00a0{e} "]))
    items = emails + variants
    rng.shuffle(items)
    return items, len(emails)


@pytest.mark.parametrize("provider", ["dropcontact", "fullcontact", "coldlead"])
def test_pay_once_per_distinct_address(sandbox, client_for, provider):
    items, distinct = with_duplicates(sandbox)
    client = client_for(provider)
    run = client.run("verify", items)
    assert len(run.results) == 1000
    assert sandbox.credits_spent(provider) == distinct
    assert max(sandbox.charges(provider).values()) == 1
    if provider in POST:
        assert sandbox.requests(POST[provider]) == math.ceil(distinct / BATCH[provider])
    else:
        assert sandbox.requests("coldlead.verify") == distinct
    by_key = {}
    for item, answer in zip(items, run.results, strict=True):
        by_key.setdefault(item.strip().lower(), set()).add(answer.status)
    assert all(len(s) == 1 for s in by_key.values()), "variants must share one answer"

    before = sandbox.requests("*")
    again = client.run("verify", items)
    assert sandbox.requests("*") == before, "a rerun makes no HTTP call"
    assert sandbox.credits_spent(provider) == distinct
    assert again.report.from_cache == distinct and again.report.credits == {}
    assert [a.status for a in again.results] == [a.status for a in run.results]


def test_estimate_then_budget_refusal_sends_nothing(sandbox, client_for):
    items, distinct = with_duplicates(sandbox, n=120, dups=30)
    client = client_for("dropcontact")
    est = client.estimate(items)
    assert est.credits == {"dropcontact": distinct} and est.distinct == distinct
    with pytest.raises(BudgetExceededError, match=f"would spend {distinct} credits"):
        client.verify_emails(items, budget=distinct - 1)
    assert sandbox.requests("*") == 0
    client.verify_emails(items[:50])
    est2 = client.estimate(items)
    assert est2.steps[0].cached == len({i.strip().lower() for i in items[:50]})


def test_waterfall_find_nobody_asked_twice(sandbox, client_for):
    people = sandbox.world.people()[:120]
    records = [
        {"first_name": p["first_name"], "last_name": p["last_name"], "domain": p["domain"]}
        for p in people
    ]
    client = client_for("dropcontact,coldlead")
    results = client.find_emails(records)
    dc, cl = sandbox.charges("dropcontact"), sandbox.charges("coldlead")
    assert sum(dc.values()) == len(records) and max(dc.values()) == 1
    assert cl and max(cl.values()) == 1
    # ColdLead was asked exactly about the people Dropcontact did not settle
    dc_answers = client.find_emails(records, providers=["dropcontact"])  # from the store
    unsettled = sum(1 for a in dc_answers if not a.settled)
    assert 0 < unsettled < len(records)
    assert sandbox.credits_spent("coldlead") == len(cl) == unsettled
    missed = [p for p, r in zip(people, results, strict=True) if r.provider == "coldlead"]
    assert missed and all(not p["dropcontact_findable"] for p in missed)
    found = [r for r in results if r.email]
    assert len(found) > 0.9 * len(records)
    before = sandbox.requests("*")
    client.find_emails(records)
    assert sandbox.requests("*") == before


def test_lost_responses_are_never_charged_twice(sandbox, client_for):
    emails = sandbox.world.sample_emails(600, seed=3)
    sandbox.inject("dropcontact.submit", "lost_response", times=1)
    client = client_for("dropcontact")
    run = client.run("verify", emails)
    lost = [r for r in run.results if r.retryable]
    assert len(lost) == 250 and {r.reason for r in lost} == {"connection_lost"}
    assert all(r.status is Status.UNKNOWN for r in lost)
    assert sandbox.credits_spent("dropcontact") == 600, "the lost batch was billed"
    assert max(sandbox.charges("dropcontact").values()) == 1

    before = sandbox.requests("*")
    again = client.run("verify", emails)
    assert sandbox.requests("*") == before, "ambiguous answers are not re-sent blindly"
    assert again.report.retryable == 250

    healed = client.run("verify", emails, retry_unknown=True)
    assert not any(r.retryable for r in healed.results)
    assert sandbox.credits_spent("dropcontact") == 850  # a conscious spend for the 250
    assert max(sandbox.charges("dropcontact").values()) == 2
