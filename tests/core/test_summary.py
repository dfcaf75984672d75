"""The counts behind every picture of a run, checked against what the providers charged."""

from __future__ import annotations

import pytest
from fakes import FakeProvider

from contact_udfs.core.engine import Engine
from contact_udfs.core.summary import STATUSES, summarize
from contact_udfs.models import Operation, Status, Verification
from contact_udfs.store import SQLiteStore

ITEMS = ["a@x.com", "unknown1@x.com", "A@X.com", "", "unknown2@x.com", "b@x.com", "nope"]


@pytest.fixture
def store(settings):
    s = SQLiteStore(settings.cache)
    yield s
    s.close()


def charged(*providers: FakeProvider) -> dict[str, int]:
    """Credits each provider charged (the fake counts them per contact)."""
    return {p.name: sum(p.charges.values()) for p in providers}


def test_a_waterfall_then_its_rerun(settings, store):
    first, second = FakeProvider("first"), FakeProvider("second", cost=2)
    engine = Engine([first, second], store, settings)
    run = engine.run(Operation.VERIFY, ITEMS)
    chain = engine.chain(Operation.VERIFY)
    paid = charged(first, second)
    assert paid == {"first": 4, "second": 4}  # the two unknowns go on to the second step

    with_report = summarize("verify", ITEMS, run.results, chain, report=run.report)
    without = summarize("verify", ITEMS, run.results, chain)
    for counted in (with_report, without):
        assert {p.provider: p.credits_spent for p in counted.providers} == {
            "first": paid["first"], "second": paid["second"], "validation": 0,
        }  # fmt: skip
        assert counted.provider("second").asked == 2 and counted.credits_saved == 0
    # the second step could not settle them either: their answers stay the first step's
    assert with_report.answers == {"first": 4, "second": 0, "validation": 2}
    assert with_report.statuses == {"deliverable": 3, "risky": 0, "undeliverable": 0,
                                    "unknown": 2, "invalid": 2}  # fmt: skip
    assert with_report.rows == 7 and with_report.distinct == 4

    again = engine.run(Operation.VERIFY, ITEMS)
    assert charged(first, second) == paid  # nothing asked again
    saved = summarize("verify", ITEMS, again.results, chain, report=again.report)
    assert saved.credits_spent == 0
    assert {p.provider: p.credits_saved for p in saved.providers} == {
        "first": 4, "second": 4, "validation": 0,
    }  # what the first run paid, provider by provider
    assert saved.provider("first").from_cache == 4
    assert saved.lines() == [
        "statuses: 3 deliverable, 0 risky, 0 undeliverable, 2 unknown, 2 invalid",
        "answers: first 4 (4 from cache, 0 asked), second 0 (0 from cache, 0 asked), validation 2",
        "credits: 0 spent, 8 saved by the cache (first 4, second 4)",
    ]


def test_steps_a_contact_cannot_take_cost_nothing(settings, store):
    # the fake refuses find without a domain, so those people skip it for free
    first = FakeProvider("first", operations=[Operation.FIND])
    engine = Engine([first], store, settings)
    people = [{"first_name": "Ada", "last_name": "Lovelace", "domain": "acme.com"},
              {"first_name": "Alan", "last_name": "Turing", "company": "Bletchley"}]  # fmt: skip
    run = engine.run(Operation.FIND, people)
    counted = summarize("find", people, run.results, engine.chain(Operation.FIND))
    assert counted.credits_spent == charged(first)["first"] == 1
    assert counted.provider("first").asked == 1


def test_weights_and_rows_not_reached():
    answer = Verification(status=Status.RISKY, provider="local")
    counted = summarize("verify", ["a@x.com", "b@x.com"], [answer, None], [], weights=[3, 2])
    assert counted.rows == 5 and counted.not_reached == 2
    assert counted.statuses["risky"] == 3 and set(counted.statuses) == set(STATUSES)
    assert "2 not reached" in counted.lines()[0]
    with pytest.raises(ValueError, match="as long"):
        summarize("verify", ["a@x.com"], [], [])
