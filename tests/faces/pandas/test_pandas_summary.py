"""``df.contacts.summary(result)``: the counts of a run as a small frame, equal to the
credits and requests counted at the simulator."""

from __future__ import annotations

import pandas as pd
import pytest

import contact_udfs  # noqa: F401  (registers df.contacts)
from contact_udfs.core.summary import STATUSES
from contact_udfs.faces.pandas.frames import run_frame
from contact_udfs.faces.pandas.summary import COUNT_COLUMNS
from contact_udfs.sandbox import Sandbox
from contact_udfs.sandbox.world import get_world

WATERFALL = ["fullcontact", "coldlead"]


def addresses() -> pd.DataFrame:
    """120 distinct addresses, 10 repeats in another case, an empty cell and a bad one."""
    emails = get_world(0).sample_emails(120, seed=3)
    emails += [e.upper() for e in emails[:10]] + [None, "not an address"]
    return pd.DataFrame({"Email": emails, "n": range(len(emails))})


def test_summary_equals_the_sandbox_then_the_cache_saves_it_all(sandbox_env: Sandbox):
    sb = sandbox_env
    df = addresses()
    checked = df.contacts.verify(providers=WATERFALL, progress=False)
    table = df.contacts.summary(checked, providers=WATERFALL)
    spent = sb.credits_spent()
    assert spent["coldlead"] > 0, "some addresses went down the waterfall"
    assert list(table.columns) == list(COUNT_COLUMNS)
    assert list(table.index) == [*WATERFALL, "validation"]
    assert (table.dtypes == "int64").all()
    assert table["credits_spent"].to_dict() == {
        "fullcontact": spent["fullcontact"], "coldlead": spent["coldlead"], "validation": 0,
    }  # fmt: skip
    assert table.loc["coldlead", "asked"] == sb.requests("coldlead.verify")
    assert table.loc["fullcontact", "asked"] == sum(sb.charges("fullcontact").values()) == 120
    assert table["credits_saved"].sum() == 0 and table["from_cache"].sum() == 0
    assert table["rows"].sum() == len(df)
    shown = checked["email_status"].value_counts()
    assert table[list(STATUSES)].sum().to_dict() == {s: int(shown.get(s, 0)) for s in STATUSES}
    assert table.loc["validation", "invalid"] == 2
    assert table.loc[WATERFALL, "answered"].sum() == 120  # distinct contacts, repeats once

    sb.reset_counters()
    again = df.contacts.verify(providers=WATERFALL, progress=False)
    saved = df.contacts.summary(again, providers=WATERFALL)
    assert sb.requests("*") == 0
    assert saved["credits_spent"].sum() == 0
    assert saved.loc[WATERFALL, "credits_saved"].to_dict() == {
        "fullcontact": spent["fullcontact"], "coldlead": spent["coldlead"],
    }  # fmt: skip
    assert saved.loc[WATERFALL, "from_cache"].sum() == 120


def test_a_run_report_counts_the_steps_that_could_not_settle(sandbox_env: Sandbox):
    sb = sandbox_env
    people = get_world(0).people()[:30]
    df = pd.DataFrame({"First": [p["first_name"] for p in people],
                       "Last": [p["last_name"] for p in people],
                       "Domain": [p["domain"] for p in people]})  # fmt: skip
    mapping = {"first_name": "First", "last_name": "Last", "domain": "Domain"}
    done = run_frame(df, "find", mapping, providers=["dropcontact", "coldlead"], progress=False)
    table = df.contacts.summary(done.frame, columns=mapping, report=done.report,
                                providers=["dropcontact", "coldlead"])  # fmt: skip
    spent = sb.credits_spent()
    assert table["credits_spent"].to_dict() == {
        "dropcontact": spent["dropcontact"], "coldlead": spent["coldlead"],
    }  # fmt: skip
    assert table.loc["coldlead", "asked"] == sb.requests("coldlead.finder") > 0
    assert table["answered"].sum() == 30


def test_summary_refuses_what_it_cannot_count(local_client):
    df = addresses().head(5)
    checked = df.contacts.verify(client=local_client, progress=False)
    with pytest.raises(ValueError, match="rows"):
        df.head(3).contacts.summary(checked, client=local_client)
    with pytest.raises(ValueError, match="operation="):
        df.contacts.summary(checked.drop(columns="email_status"), client=local_client)
    with pytest.raises(ValueError, match="prefix="):
        df.contacts.summary(checked, "verify", prefix="x_", client=local_client)
    table = df.contacts.summary(checked, client=local_client)
    assert table["rows"].sum() == 5 and table["credits_spent"].sum() == 0
