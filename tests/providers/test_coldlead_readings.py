"""ColdLead where seed 004 is silent: per-item 400/404/422, finder misses, bad syntax.

One item the vendor refuses is that item's answer; it never makes the rest of the run
look like the vendor is down. Counted at the simulator under every reading.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from contact_udfs import Client
from contact_udfs.models import Operation, Status
from contact_udfs.providers.base import Task


def _person_task(key: str, p: dict) -> Task:
    return Task(key, {"first_name": p["first_name"], "last_name": p["last_name"],
                      "domain": p["domain"], "company": p["company"]})


@pytest.mark.parametrize("reading", ["null", "404"])
def test_a_finder_miss_is_the_same_answer_under_both_readings(make, sandbox,
                                                              reading: str) -> None:
    sandbox.set_readings(coldlead_finder_miss=reading)
    people = sandbox.world.people()
    misses = [p for p in people if not p["coldlead_findable"]][:3]
    hits = [p for p in people if p["coldlead_findable"]][:3]
    order = [misses[0], hits[0], misses[1], hits[1], misses[2], hits[2]]
    tasks = [_person_task(f"t{i}", p) for i, p in enumerate(order)]
    sub = make("coldlead").submit(Operation.FIND, tasks)
    assert sub.error is None and set(sub.answers) == {t.key for t in tasks}
    for i, p in enumerate(order):
        answer = sub.answers[f"t{i}"]
        if p in misses:
            assert (answer.email, answer.status, answer.reason) == (None, Status.UNKNOWN,
                                                                    "not_found")
            assert not answer.retryable and answer.first_name == p["first_name"]
        else:
            assert answer.email == p["email"]
    assert sandbox.requests("coldlead.finder") == 6
    assert sandbox.credits_spent("coldlead") == (6 if reading == "null" else 3)


@pytest.mark.parametrize("reading", ["422", "billed"])
def test_bad_syntax_is_invalid_under_both_readings(make, sandbox, reading: str) -> None:
    sandbox.set_readings(coldlead_bad_syntax=reading)
    bad, good = "no-at-sign", "ada.lovelace@gmail.com"
    sub = make("coldlead").submit(Operation.VERIFY, [Task(e, {"email": e}) for e in (bad, good)])
    assert sub.error is None
    assert sub.answers[bad].status is Status.INVALID and not sub.answers[bad].retryable
    assert sub.answers[bad].reason == ("provider_rejected" if reading == "422"
                                       else "invalid_email")
    assert sub.answers[good].status is not Status.INVALID
    assert sandbox.credits_spent("coldlead") == (1 if reading == "422" else 2)


def test_a_400_is_that_items_answer_and_the_loop_goes_on(make, sandbox) -> None:
    tasks = [Task("", {"email": ""}), Task("ada.lovelace@gmail.com",
                                           {"email": "ada.lovelace@gmail.com"})]
    sub = make("coldlead").submit(Operation.VERIFY, tasks)
    assert sub.error is None
    assert (sub.answers[""].status, sub.answers[""].reason) == (Status.INVALID,
                                                                "provider_rejected")
    assert sub.answers[""].raw["http_status"] == 400
    assert sub.answers["ada.lovelace@gmail.com"].status is not Status.UNKNOWN
    assert sandbox.requests("coldlead.verify") == 2 and sandbox.credits_spent("coldlead") == 1


@pytest.mark.parametrize("params, status", [
    ({"domain": "acme-robotics.com"}, 400),  # no name: "your parameters are invalid"
    ({"domain": "not a domain", "name": "Ada Lovelace"}, 422),
])
def test_a_refused_find_never_makes_the_person_invalid(make, sandbox, params: dict,
                                                       status: int) -> None:
    cl = make("coldlead")
    # the vendor's own refusals, sent as they are (past our local checks)
    payload = {"full_name": params.get("name", ""), "domain": params["domain"]}
    bad = Task("bad", payload)
    hit = next(p for p in sandbox.world.people() if p["coldlead_findable"])
    sub = cl.submit(Operation.FIND, [bad, _person_task("ok", hit)])
    assert sub.error is None
    answer = sub.answers["bad"]
    assert answer.status is Status.UNKNOWN and answer.status is not Status.INVALID
    assert (answer.reason, answer.email, answer.raw["http_status"]) == (
        "provider_rejected", None, status)
    assert sub.answers["ok"].email == hit["email"]
    assert sandbox.credits_spent("coldlead") == 1


@pytest.mark.parametrize("reading", ["null", "404"])
def test_a_run_with_misses_answers_everyone_else(sandbox, sandbox_settings, tmp_path: Path,
                                                 reading: str) -> None:
    """Through the engine: 404 misses part-way never stop the run (no provider_unavailable)."""
    sandbox.set_readings(coldlead_finder_miss=reading)
    people = sandbox.world.people()[:40]
    settings = sandbox_settings.with_(poll_interval=0.0)
    with Client(providers=["coldlead"], settings=settings,
                cache=tmp_path / "run.sqlite") as client:
        rows = [{"first_name": p["first_name"], "last_name": p["last_name"],
                 "domain": p["domain"]} for p in people]
        answers = client.find_emails(rows)
    misses = sum(not p["coldlead_findable"] for p in people)
    assert 0 < misses < len(people)
    assert all(a.reason != "provider_unavailable" for a in answers)
    for p, a in zip(people, answers, strict=True):
        assert (a.email == p["email"]) is p["coldlead_findable"], p
    assert sandbox.requests("coldlead.finder") == len(people)
    assert sandbox.credits_spent("coldlead") == len(people) - (misses if reading == "404" else 0)


@pytest.mark.parametrize("reading", ["422", "billed"])
def test_bad_cells_never_reach_the_vendor_under_either_reading(
    sandbox, sandbox_settings, tmp_path: Path, reading: str
) -> None:
    sandbox.set_readings(coldlead_bad_syntax=reading)
    cells = ["no-at-sign", "ada@@acme.com", "ada lovelace@acme.com", "", None,
             "ada.lovelace@gmail.com"]
    with Client(providers=["coldlead"], settings=sandbox_settings.with_(poll_interval=0.0),
                cache=tmp_path / "bad.sqlite") as client:
        answers = client.verify_emails(cells)
    assert [a.status for a in answers[:5]] == [Status.INVALID] * 5
    assert sandbox.requests("coldlead.verify") == 1  # only the good address was sent
    assert sandbox.credits_spent("coldlead") == 1
