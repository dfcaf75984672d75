"""``ddf.contacts`` on a real four-process cluster: credits counted at the simulator."""

from __future__ import annotations

import math

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import contact_udfs  # noqa: F401  (registers ddf.contacts)
from contact_udfs.identity import normalize_email
from contact_udfs.sandbox import Sandbox
from contact_udfs.sandbox.world import get_world

VERIFY_DTYPES = {
    "email_status": "string", "email_reason": "string", "email_catch_all": "boolean",
    "email_disposable": "boolean", "email_role": "boolean", "email_free": "boolean",
    "email_suggestion": "string", "email_provider": "string", "email_from_cache": "boolean",
    "email_checked_at": "datetime64[ns, UTC]",
}  # fmt: skip


def sheet(distinct: int, duplicates: int, seed: int = 3) -> pd.DataFrame:
    """``distinct`` addresses plus ``duplicates`` repeats (half upper-cased), shuffled."""
    rng = np.random.default_rng(seed)
    emails = get_world(0).sample_emails(distinct, seed=seed)
    picks = rng.integers(0, distinct, duplicates)
    repeats = [emails[i].upper() if n % 2 else emails[i] for n, i in enumerate(picks)]
    column = np.array(emails + repeats, dtype=object)
    rng.shuffle(column)
    return pd.DataFrame({"email": column, "row": np.arange(len(column))})


def distinct_valid(values: pd.Series) -> int:
    return len({normalize_email(v).key for v in values} - {None})


def test_4000_rows_with_1000_duplicates_fill_fullcontact_batches_and_pay_once(
    team: Sandbox, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("CONTACT_UDFS_PROVIDERS", "fullcontact")
    df = sheet(distinct=3_000, duplicates=1_000)
    distinct = distinct_valid(df["email"])
    ddf = dd.from_pandas(df, npartitions=8)
    seen: list[tuple[int, int]] = []

    out = ddf.contacts.verify("email", progress=lambda done, total: seen.append((done, total)))
    assert team.requests("*") == 0  # lazy: nothing sent yet
    got = out.compute()

    assert team.credits_spent("fullcontact") == distinct  # counted at the simulator
    assert max(team.charges("fullcontact").values()) == 1
    posts = team.requests("fullcontact.submit")
    assert posts <= math.ceil(distinct / 300) + 4
    assert out.npartitions == 8 and out.divisions == ddf.divisions
    assert_frame_equal(got[["email", "row"]], ddf.compute())
    assert {c: str(got[c].dtype) for c in VERIFY_DTYPES} == VERIFY_DTYPES
    assert {c: str(out.dtypes[c]) for c in VERIFY_DTYPES} == VERIFY_DTYPES  # the meta
    assert (got["email_provider"] == "fullcontact").all()
    assert (got.groupby(got["email"].str.lower())["email_status"].nunique() == 1).all()
    assert seen[-1] == (distinct, distinct)
    print(f"\n{len(df)} rows, {distinct} distinct: {posts} POSTs, "
          f"{team.credits_spent('fullcontact')} credits")  # fmt: skip

    team.reset_counters()
    again = ddf.contacts.verify("email", progress=False).compute()
    assert team.requests("*") == 0 and team.credits_spent("fullcontact") == 0
    assert again["email_from_cache"].all()
    assert (again["email_status"] == got["email_status"]).all()
