"""Every kind of bad cell is answered ``invalid`` locally: 0 provider calls, 0 credits."""

from __future__ import annotations

from bad_cells import BAD_CELLS
from fakes import FakeProvider

from contact_udfs.core.engine import Engine
from contact_udfs.models import Operation, Status
from contact_udfs.store import SQLiteStore


def test_matrix_has_at_least_40_kinds():
    assert len({name for name, _ in BAD_CELLS}) >= 40


def test_bad_cells_cost_nothing(settings):
    fake = FakeProvider()
    store = SQLiteStore(settings.cache)
    try:
        values = [value for _, value in BAD_CELLS]
        run = Engine([fake], store, settings).run(Operation.VERIFY, values)
        assert len(run.results) == len(values)
        for (name, _), answer in zip(BAD_CELLS, run.results, strict=True):
            assert answer.status is Status.INVALID, name
            assert answer.reason, name
            assert answer.provider == "validation"
        assert fake.submits == [] and sum(fake.charges.values()) == 0
        assert run.report.invalid == len(values) and run.report.credits == {}
        assert store.stats()["answers"] == 0
    finally:
        store.close()


def test_bad_people_cost_nothing(settings):
    fake = FakeProvider()
    store = SQLiteStore(settings.cache)
    people = [
        {},
        {"first_name": "Ada"},
        {"last_name": "Lovelace"},
        {"first_name": "Ada", "last_name": "Lovelace"},
        {"first_name": None, "last_name": float("nan"), "domain": "acme.com"},
        {"first_name": "#N/A", "last_name": "#VALUE!", "domain": "#REF!"},
        {"full_name": "", "company": ""},
        "not a record",
        42,
        None,
    ]
    try:
        run = Engine([fake], store, settings).run(Operation.FIND, people)
        assert [a.status for a in run.results] == [Status.INVALID] * len(people)
        assert fake.submits == []
    finally:
        store.close()
