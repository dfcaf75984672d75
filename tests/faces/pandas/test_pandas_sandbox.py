"""``df.contacts`` against the vendor simulator: credits are counted where they are spent."""

from __future__ import annotations

import pandas as pd
import pytest
from frame_helpers import VERIFY_DTYPES, sheet
from pandas.testing import assert_frame_equal, assert_index_equal, assert_series_equal

import contact_udfs  # noqa: F401  (registers df.contacts)
from contact_udfs import BudgetExceededError, QuotaExceededError
from contact_udfs.faces.pandas.frames import run_frame
from contact_udfs.identity import normalize_email
from contact_udfs.sandbox import Sandbox
from contact_udfs.sandbox.world import get_world


def distinct_valid(values: pd.Series) -> int:
    return len({normalize_email(v).key for v in values} - {None})


@pytest.fixture
def fullcontact_only(sandbox_env: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    monkeypatch.setenv("CONTACT_UDFS_PROVIDERS", "fullcontact")
    return sandbox_env


def test_50k_rows_pay_once_per_distinct_address_and_a_rerun_is_free(fullcontact_only: Sandbox):
    sb = fullcontact_only
    df = sheet(distinct=35_000, duplicates=15_000, messy=True)
    assert len(df) == 50_000 and not df.index.is_unique
    expected = distinct_valid(df["email"])
    assert 34_000 < expected <= 35_000

    out = df.contacts.verify(progress=False)

    assert sb.credits_spent("fullcontact") == expected  # counted at the simulator
    assert max(sb.charges("fullcontact").values()) == 1  # no address paid twice
    assert sb.requests("fullcontact.submit") == pytest.approx(expected / 300, abs=3)
    assert_index_equal(out.index, df.index)
    assert_frame_equal(out[["email", "row"]], df)
    assert {c: str(out[c].dtype) for c in VERIFY_DTYPES} == VERIFY_DTYPES
    bad = df["email"].isna() | (df["email"] == "n/a")
    assert (out.loc[bad.to_numpy(), "email_status"] == "invalid").all()
    assert (out.loc[~bad.to_numpy(), "email_provider"] == "fullcontact").all()
    # an address and its upper-cased repeat got the same verdict
    keyed = out.assign(key=df["email"].str.lower().to_numpy())[~bad.to_numpy()]
    assert (keyed.groupby("key")["email_status"].nunique() == 1).all()

    sb.reset_counters()
    again = df.contacts.verify(progress=False)
    assert sb.requests("*") == 0 and sb.credits_spent("fullcontact") == 0
    assert again.loc[~bad.to_numpy(), "email_from_cache"].all()
    assert_series_equal(again["email_status"], out["email_status"])


def test_budget_refuses_before_anything_is_sent(fullcontact_only: Sandbox):
    sb = fullcontact_only
    df = sheet(distinct=400, duplicates=100, messy=True)
    with pytest.raises(BudgetExceededError, match="above the budget of 100"):
        df.contacts.verify(budget=100, progress=False)
    # sliced runs check the whole call before the first slice
    with pytest.raises(BudgetExceededError):
        run_frame(df, "verify", {"email": "email"}, budget=100, chunk_size=50, progress=False)
    assert sb.requests("*") == 0 and sb.credits_spent("fullcontact") == 0
    out = df.contacts.verify(budget=1_000, progress=False)
    assert sb.credits_spent("fullcontact") == distinct_valid(df["email"])
    assert len(out) == len(df)


def test_estimate_counts_the_cache_and_spends_nothing(fullcontact_only: Sandbox):
    sb = fullcontact_only
    df = sheet(distinct=300, duplicates=60, messy=True)
    n = distinct_valid(df["email"])
    first = df.contacts.estimate()
    assert first.rows == len(df)
    assert first.credits == {"fullcontact": n}
    assert sb.requests("*") == 0
    df.iloc[:100].contacts.verify(progress=False)
    spent = sb.credits_spent("fullcontact")
    later = df.contacts.estimate("verify", "email")
    assert later.steps[0].cached == spent
    assert later.credits == {"fullcontact": n - spent}


def test_find_runs_the_waterfall_and_a_rerun_is_free(sandbox_env: Sandbox):
    sb = sandbox_env
    people = get_world(0).people()[:40]
    df = pd.DataFrame({
        "Prénom": [p["first_name"] for p in people] * 2,
        "Nom": [p["last_name"] for p in people] * 2,
        "Company": pd.Categorical([p["company"] for p in people] * 2),
        "Website": [p["domain"] for p in people] * 2,
    }, index=[0] * 80)  # fmt: skip
    out = df.contacts.find(progress=False)
    assert_index_equal(out.index, df.index)
    spent = sb.credits_spent()
    assert spent["dropcontact"] == 40  # one credit per distinct person, not per row
    missed_by_dropcontact = sum(not p["dropcontact_findable"] for p in people)
    assert spent["coldlead"] <= missed_by_dropcontact
    truth = [p["email"] for p in people] * 2
    found = out["found_email"].tolist()
    assert sum(f == t for f, t in zip(found, truth, strict=True)) >= 70
    assert set(out["found_provider"]) <= {"dropcontact", "coldlead", "local"}
    assert str(out["found_confidence"].dtype) == "float64"
    sb.reset_counters()
    df.contacts.find("Prénom", "Nom", company="Company", website="Website", progress=False)
    assert sb.requests("*") == 0


def test_enrich_with_a_mapping(sandbox_env: Sandbox):
    sb = sandbox_env
    people = get_world(0).people()[:10]
    df = pd.DataFrame({
        "who": [f"{p['first_name']} {p['last_name']}" for p in people],
        "works at": [p["company"] for p in people],
    })  # fmt: skip
    assert df.contacts.detect("enrich") == {}
    with pytest.raises(ValueError, match="at least one input column"):
        df.contacts.enrich(progress=False)
    out = df.contacts.enrich({"full_name": "who", "company": "works at"}, progress=False)
    assert sb.credits_spent("dropcontact") == 10
    assert out["enriched_company"].notna().all()
    assert (out["enriched_provider"] == "dropcontact").all()
    assert str(out["enriched_from_cache"].dtype) == "boolean"


def test_quota_errors_reach_the_caller(fullcontact_only: Sandbox):
    fullcontact_only.set_balance("fullcontact", 0)
    with pytest.raises(QuotaExceededError):
        sheet(distinct=20, duplicates=0, messy=True).contacts.verify(progress=False)
