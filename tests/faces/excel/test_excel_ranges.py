"""A range formula is the batch path: one engine call, one provider batch per 250 misses."""

from __future__ import annotations

from excel_helpers import assert_no_keys, column

import contact_udfs as cu
from contact_udfs.core.columns import COLUMNS
from contact_udfs.faces.excel import udfs as excel
from contact_udfs.models import Operation
from contact_udfs.sandbox import Sandbox, get_world


def test_500_row_range_is_two_posts_and_matches_the_api(excel_env: Sandbox) -> None:
    sb = excel_env
    emails = get_world(0).sample_emails(500, 1)
    out = excel.VERIFY_EMAIL(column(emails))
    assert sb.requests("dropcontact.submit") == 2
    assert len(out) == 500 and all(len(row) == 1 for row in out)

    total = sb.requests("*")
    expected = cu.verify_emails(emails)  # the Python API, answered from the same cache
    assert [row[0] for row in out] == [v.status.value for v in expected]
    assert excel.VERIFY_EMAIL(column(emails)) == out  # a rerun
    assert sb.requests("*") == total  # 0 HTTP for the API call and the rerun
    assert_no_keys([out], sb)


def test_all_columns_with_and_without_header(excel_env: Sandbox) -> None:
    emails = get_world(0).sample_emails(300, 2)
    out = excel.VERIFY_EMAIL(column(emails), "all")
    width = len(COLUMNS[Operation.VERIFY])
    assert len(out) == 300 and {len(row) for row in out} == {width}
    with_header = excel.VERIFY_EMAIL(column(emails), "all", True)
    assert with_header[0] == list(COLUMNS[Operation.VERIFY])
    volatile = {COLUMNS[Operation.VERIFY].index(c) for c in ("from_cache", "checked_at")}
    assert [[c for i, c in enumerate(row) if i not in volatile] for row in with_header[1:]] == [
        [c for i, c in enumerate(row) if i not in volatile] for row in out
    ]
    assert excel_env.requests("dropcontact.submit") == 2  # 300 misses, then all cached

    expected = cu.verify_emails(emails)
    status, reason = (
        COLUMNS[Operation.VERIFY].index("status"),
        COLUMNS[Operation.VERIFY].index("reason"),
    )
    assert [row[status] for row in out] == [v.status.value for v in expected]
    assert [row[reason] for row in out] == [v.reason or "" for v in expected]


def test_fields_pick_one_column(excel_env: Sandbox) -> None:
    emails = ["ada.lovelace@acme-robotics.com", "bob@gmial.com"]
    reasons = excel.VERIFY_EMAIL(column(emails), "reason")
    providers = excel.VERIFY_EMAIL(column(emails), "Provider")
    api = cu.verify_emails(emails)
    assert [r[0] for r in reasons] == [v.reason or "" for v in api]
    assert [r[0] for r in providers] == ["dropcontact", "dropcontact"]
    assert excel.VERIFY_EMAIL(column(emails), "suggestion") == [[v.suggestion or ""] for v in api]


def test_find_and_enrich_parallel_ranges_match_the_api(excel_env: Sandbox) -> None:
    sb = excel_env
    people = get_world(0).people()[:40]
    first = column(p["first_name"] for p in people)
    last = column(p["last_name"] for p in people)
    found = excel.FIND_EMAIL(first, last, column(p["domain"] for p in people))
    assert sb.requests("dropcontact.submit") == 1 and len(found) == 40
    api = cu.find_emails(
        [{"first_name": p["first_name"], "last_name": p["last_name"], "domain": p["domain"]}
         for p in people]
    )  # fmt: skip
    assert [row[0] for row in found] == [f.email or "" for f in api]
    assert sum(1 for row in found if row[0]) >= 20  # the world makes most people findable

    confidence = excel.FIND_EMAIL(first, last, column(p["domain"] for p in people), "confidence")
    assert [row[0] for row in confidence] == [f.confidence if f.email or f.confidence else 0.0
                                              for f in api]  # fmt: skip

    companies = column(p["company"] for p in people)
    phones = excel.ENRICH_CONTACT(first, last, companies, "phone")
    everything = excel.ENRICH_CONTACT(first, last, companies, "all")
    # the find bought each person: enriching them by company name reads that purchase
    assert sb.requests("dropcontact.submit") == 1 and sb.credits_spent("dropcontact") == 40
    enriched = cu.enrich_contacts(
        [{"first_name": p["first_name"], "last_name": p["last_name"], "company": p["company"]}
         for p in people]
    )  # fmt: skip
    assert [row[0] for row in phones] == [e.phone or "" for e in enriched]
    assert {len(row) for row in everything} == {len(COLUMNS[Operation.ENRICH])}
    job = COLUMNS[Operation.ENRICH].index("job")
    assert [row[job] for row in everything] == [e.job or "" for e in enriched]
    assert_no_keys([found, phones, everything], sb)


def test_one_company_cell_applies_to_every_row(excel_env: Sandbox) -> None:
    people = [p for p in get_world(0).people() if p["domain"] == "acme-robotics.com"][:5]
    out = excel.FIND_EMAIL(
        column(p["first_name"] for p in people), column(p["last_name"] for p in people),
        "acme-robotics.com",
    )  # fmt: skip
    assert len(out) == 5
    api = cu.find_emails(
        [{"first_name": p["first_name"], "last_name": p["last_name"], "domain": "acme-robotics.com"}
         for p in people]
    )  # fmt: skip
    assert [row[0] for row in out] == [f.email or "" for f in api]


def test_credits_and_estimate_spend_nothing(excel_env: Sandbox) -> None:
    sb = excel_env
    emails = get_world(0).sample_emails(30, 3)
    assert excel.CONTACT_ESTIMATE(column(emails)) == 30
    people = get_world(0).people()[:6]
    rows = [[p["first_name"], p["last_name"], p["domain"]] for p in people]
    assert excel.CONTACT_ESTIMATE(rows, "find") == 6
    left = excel.CONTACT_CREDITS("dropcontact")
    assert left == sb.balance("dropcontact")
    assert excel.CONTACT_CREDITS() == [["dropcontact", left]]
    assert sb.credits_spent("dropcontact") == 0 and sb.requests("dropcontact.submit") == 0

    excel.VERIFY_EMAIL(column(emails[:10]))
    assert excel.CONTACT_ESTIMATE(column(emails)) == 20  # the cache is taken into account
    assert excel.CONTACT_CREDITS("dropcontact") == left - 10
    assert excel.CONTACT_ESTIMATE(column(emails), "nonsense") == [
        ['#ERROR: operation must be "verify", "find" or "enrich"']
    ]
