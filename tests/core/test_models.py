"""Answers survive a JSON round trip unchanged (the store keeps JSON, never pickle)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from contact_udfs.models import (
    Enrichment,
    FoundEmail,
    Status,
    Verification,
    answer_from_dict,
    best_answer,
)

WHEN = datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc)

SAMPLES = [
    Verification(
        email="José@Bücher.de",
        address="josé@xn--bcher-kva.de",
        status="risky",
        reason="accept_all",
        catch_all=True,
        disposable=False,
        role=False,
        free=None,
        suggestion=None,
        provider="coldlead",
        checked_at=WHEN,
        retryable=False,
        raw={"status": "risky", "nested": {"a": [1, 2]}},
    ),
    Verification(email="a@b.com", reason="connection_lost", retryable=True, provider="fullcontact"),
    FoundEmail(
        email="ada.lovelace@acme.com",
        status=Status.DELIVERABLE,
        confidence=0.9,
        candidates=["ada.lovelace@acme.com", "alovelace@acme.com"],
        first_name="Ada",
        last_name="Lovelace",
        domain="acme.com",
        provider="dropcontact",
        checked_at=WHEN,
    ),
    FoundEmail(email=None, reason="not_found", provider="coldlead"),
    Enrichment(
        civility="Mme",
        first_name="Zoë",
        last_name="Müller",
        email="zoe@acme.fr",
        qualification="nominative@pro",
        emails=[{"email": "zoe@acme.fr", "qualification": "nominative@pro"}],
        siren="500 500 500",
        custom_fields={"cu_key": "zoe@acme.fr"},
        status=Status.DELIVERABLE,
        provider="dropcontact",
        checked_at=WHEN,
    ),
]


@pytest.mark.parametrize("answer", SAMPLES, ids=lambda a: f"{a.kind}-{a.provider}")
def test_json_round_trip(answer):
    text = answer.to_json()
    back = answer_from_dict(json.loads(text))
    assert back == answer
    assert back.raw == answer.raw and type(back) is type(answer)
    assert back.to_dict() == answer.to_dict()


def test_to_dict_is_a_copy():
    ans = SAMPLES[0]
    d = ans.to_dict()
    d["raw"]["nested"]["a"].append(3)
    assert ans.raw["nested"]["a"] == [1, 2]


def test_status_vocabulary():
    assert [s.value for s in Status] == [
        "deliverable",
        "risky",
        "undeliverable",
        "unknown",
        "invalid",
    ]
    with pytest.raises(ValueError):
        Verification(status="maybe")


def test_best_answer_prefers_settled_then_earliest():
    unknown = Verification(provider="a")
    retry = Verification(provider="b", retryable=True)
    risky = Verification(provider="c", status=Status.RISKY)
    good = Verification(provider="d", status=Status.DELIVERABLE)
    assert best_answer([unknown, retry]).provider == "a"
    assert best_answer([unknown, risky, good]).provider == "d"
    assert best_answer([good, Verification(provider="e", status="undeliverable")]).provider == "d"
    miss = FoundEmail(provider="x", reason="not_found")
    guess = FoundEmail(provider="local", email="a@b.com", confidence=0.25)
    assert best_answer([miss, guess]).provider == "local"


def test_unknown_stored_fields_are_ignored():
    d = SAMPLES[1].to_dict() | {"added_in_a_later_version": 1}
    assert answer_from_dict(d) == SAMPLES[1]


def test_from_values_builds_what_init_builds():
    from datetime import datetime, timezone

    from contact_udfs.models import FoundEmail, Status, Verification

    values = dict(
        status=Status.UNKNOWN, reason="dns_not_checked", retryable=True, email="a@b.com",
        address="a@b.com", provider="local", checked_at=datetime.now(timezone.utc),
        syntax_valid=True, disposable=False, free=False, role=False,
    )  # fmt: skip
    fast, slow = Verification.from_values(**values), Verification(**values)
    assert fast == slow and fast.to_dict() == slow.to_dict() and hash(fast) == hash(slow)
    assert fast.to_stored() == slow.to_stored()
    assert fast.raw == {} and fast.raw is not Verification.from_values(**values).raw
    found = FoundEmail.from_values(email="x@y.com")
    assert found.candidates == [] and found.candidates is not FoundEmail.from_values().candidates
    with pytest.raises(TypeError, match="no field 'nope'"):
        Verification.from_values(nope=1)


def test_to_stored_leaves_defaults_out_and_round_trips():
    from contact_udfs.models import Enrichment, FoundEmail, Status, Verification

    v = Verification(email="a@b.com", status=Status.RISKY, reason="role", role=True, raw={"x": 1})
    stored = v.to_stored()
    assert stored == {"kind": "verification", "status": "risky", "reason": "role",
                      "email": "a@b.com", "role": True, "raw": {"x": 1}}  # fmt: skip
    assert Verification.from_dict(stored).to_dict() == v.to_dict()
    for answer in (FoundEmail(email="x@y.com", candidates=["z@y.com"], confidence=0.5),
                   Enrichment(email="x@y.com", custom_fields={"id": 3})):  # fmt: skip
        assert type(answer).from_dict(answer.to_stored()).to_dict() == answer.to_dict()


@pytest.mark.parametrize("answer", SAMPLES, ids=lambda a: f"{a.kind}-{a.provider}")
def test_a_stored_answer_reads_back_as_the_constructor_builds_it(answer):
    stored = answer.to_dict() | {"added_in_a_later_version": 1}
    back = type(answer).from_stored(stored)
    fields = {k: v for k, v in answer.to_dict().items() if k != "kind"}
    built = type(answer)(**{**fields, "from_cache": True})
    assert back == built and back.__dict__ == built.__dict__
    assert back.from_cache and back.raw == answer.raw
    # fields the stored dict lacks get their defaults, a fresh list or dict each
    bare = [type(answer).from_stored({"status": "risky"}) for _ in range(2)]
    assert bare[0] == type(answer)(status=Status.RISKY, from_cache=True)
    assert bare[0].raw is not bare[1].raw
    with pytest.raises(ValueError):
        type(answer).from_stored({"status": "maybe"})


@pytest.mark.parametrize("answer", SAMPLES, ids=lambda a: f"{a.kind}-{a.provider}")
def test_a_batch_of_stored_answers_reads_back_as_each_one_alone(answer):
    """The batch read tells unknown keys by the state's size: every mix must come out as
    :meth:`from_stored` of each dict alone, which the constructor defines."""
    full = answer.to_dict()
    no_kind = {k: v for k, v in full.items() if k != "kind"}
    batch = [
        full,  # ``kind`` only
        no_kind,  # neither ``kind`` nor an unknown key
        no_kind | {"from_a_later_version": 1},  # an unknown key only
        full | {"from_a_later_version": 1, "another": None},  # both
        {"status": "risky", "kind": answer.kind},  # most fields missing, ``kind`` kept
        {"status": Status.RISKY, "checked_at": "2026-01-02T03:04:05+00:00", "from_cache": False},
    ]
    many = type(answer).from_stored_many(iter(batch))
    alone = [type(answer).from_stored(dict(d)) for d in batch]
    assert [a.__dict__ for a in many] == [a.__dict__ for a in alone]
    fields = dict(no_kind, from_cache=True)
    assert many[0] == many[1] == many[2] == many[3] == type(answer)(**fields)
    assert all(a.from_cache for a in many) and "kind" not in many[4].__dict__
    assert many[5].checked_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert set(many[3].__dict__) == set(many[4].__dict__)  # the unknown keys are left out
    assert type(answer).from_stored_many([]) == []


def test_a_maker_builds_what_from_values_builds():
    from datetime import datetime, timezone

    from contact_udfs.models import FoundEmail, Status, Verification

    now = datetime.now(timezone.utc)
    make = Verification.maker(provider="local", checked_at=now)
    values = dict(status=Status.RISKY, reason="disposable", email="a@b.com", address="a@b.com",
                  syntax_valid=True, disposable=True)  # fmt: skip
    made = make(**values)
    plain = Verification.from_values(provider="local", checked_at=now, **values)
    assert made == plain and made.to_stored() == plain.to_stored()
    assert made.to_dict() == plain.to_dict()
    assert make(**values) is not made and make(**values).__dict__ is not made.__dict__
    find = FoundEmail.maker(provider="local")
    assert find().candidates == [] and find().candidates is not find().candidates  # fresh factories
    with pytest.raises(TypeError, match="no field 'nope'"):
        make(nope=1)
    with pytest.raises(TypeError, match="no field 'nope'"):
        Verification.maker(nope=1)


@pytest.mark.parametrize("kind", ["Verification", "FoundEmail", "Enrichment"])
def test_to_stored_keeps_exactly_the_fields_off_their_defaults(kind):
    """Per field: left out at its default (or a plain value of its kind equal to it);
    anything else kept, JSON-ready."""
    import dataclasses
    import itertools
    from datetime import datetime, timezone

    from contact_udfs import models

    cls = getattr(models, kind)
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    values = [None, True, False, "", "x", 0, 1, 2.5, [], ["a@b.c"], {}, {"k": 1}, when]
    fields = [f for f in dataclasses.fields(cls) if f.name not in ("status", "raw")]
    for field, value in itertools.product(fields, values):
        answer = cls.from_values(**{field.name: value})
        default = (
            field.default if field.default is not dataclasses.MISSING else field.default_factory()
        )
        stored = answer.to_stored()
        at_default = value is default or (
            type(value) in (bool, int, float, str) and type(value) is type(default)
            and value == default
        ) or (isinstance(value, (list, dict)) and not value and value == default)  # fmt: skip
        if at_default:
            assert field.name not in stored, (field.name, value)
        else:
            expected = value.isoformat() if value is when else value
            assert stored[field.name] == expected, (field.name, value)
        assert stored["kind"] == cls.kind and stored["status"] == "unknown"
