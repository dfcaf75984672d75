"""Users' own ``custom_fields`` go to Dropcontact and come back, ours beside them.

Dropcontact echoes ``custom_fields`` untouched (seed 001); the engine puts its own key
and batch reference there too. The user sees only theirs, and each row gets back its
own, also when the answer was bought by another row or an earlier run.
"""

from __future__ import annotations

from collections.abc import Callable

from contact_udfs import Client
from contact_udfs.sandbox import Sandbox


def test_each_row_gets_its_own_custom_fields_back_and_pays_once(
    sandbox: Sandbox, client_for: Callable[..., Client]
) -> None:
    ada, bob = sandbox.world.people()[:2]
    rows = [
        {"first_name": p["first_name"], "last_name": p["last_name"], "website": p["domain"],
         "custom_fields": {"crm_id": n, "owner": "sales", "nested": {"dropped": True}}}
        for n, p in enumerate((ada, bob), start=1)
    ]  # fmt: skip
    client = client_for("dropcontact")

    first = client.enrich_contacts(rows)
    assert [e.custom_fields for e in first] == [
        {"crm_id": 1, "owner": "sales"}, {"crm_id": 2, "owner": "sales"}]  # fmt: skip
    assert sandbox.credits_spent("dropcontact") == 2

    again = client.enrich_contacts(
        [{**rows[0], "custom_fields": {"crm_id": "A-9"}}, {**rows[1], "custom_fields": None}]
    )
    assert [e.custom_fields for e in again] == [{"crm_id": "A-9"}, {}]
    assert all(e.from_cache for e in again)
    assert sandbox.credits_spent("dropcontact") == 2  # the fields are no part of the person
    assert sandbox.requests("dropcontact.submit") == 1
