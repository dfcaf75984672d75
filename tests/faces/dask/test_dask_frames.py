"""``ddf.contacts`` gives the pandas accessor's columns, dtypes and answers, row by row.

Dask's synchronous scheduler and the offline provider: no cluster, no network.
"""

from __future__ import annotations

from pathlib import Path

import pytest

dd = pytest.importorskip("dask.dataframe")
import dask  # noqa: E402
import pandas as pd  # noqa: E402
from pandas.testing import assert_frame_equal, assert_series_equal  # noqa: E402

import contact_udfs  # noqa: E402, F401
from contact_udfs.core.answer_columns import output_dtype  # noqa: E402
from contact_udfs.core.columns import COLUMNS, output_columns  # noqa: E402
from contact_udfs.models import Operation  # noqa: E402

PEOPLE = pd.DataFrame(
    {
        "Email": ["ada@gmail.com", "bad", None, "ADA@gmail.com", "bob@gmial.com", "c@yahoo.fr"],
        "First Name": ["Ada", "Bob", None, "Ada", "Bob", "Cy"],
        "Last Name": ["Lovelace", "Marley", "X", "Lovelace", "Marley", "Young"],
        "Domain": ["acme.com", "acme.com", "acme.com", "acme.com", None, "initech.io"],
    },
    index=[5, 5, 7, 1, 2, 9],
)


@pytest.fixture
def local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTACT_UDFS_PROVIDERS", "local")
    monkeypatch.setenv("CONTACT_UDFS_CACHE", str(tmp_path / "c.sqlite"))


@pytest.mark.parametrize(
    ("op", "call"),
    [
        ("verify", lambda acc: acc.verify("Email", progress=False)),
        ("find", lambda acc: acc.find("First Name", "Last Name", "Domain", progress=False)),
    ],
)
def test_same_columns_dtypes_and_answers_as_df_contacts(local: None, op: str, call):
    expected = call(PEOPLE.contacts)
    ddf = dd.from_pandas(PEOPLE, npartitions=3, sort=False)
    lazy = call(ddf.contacts)
    with dask.config.set(scheduler="sync"):
        got = lazy.compute()
    added = output_columns(Operation(op))
    assert list(lazy.columns) == list(PEOPLE.columns) + added
    assert {c: str(lazy.dtypes[c]) for c in added} == {
        c: output_dtype(n) for c, n in zip(added, COLUMNS[Operation(op)], strict=True)
    }
    assert_frame_equal(got[added].drop(columns=[added[-1]]), expected[added].drop(
        columns=[added[-1]]).assign(**{c: got[c] for c in added if c.endswith("from_cache")}))
    assert_series_equal(got[added[-1]].isna(), expected[added[-1]].isna())  # checked_at


def test_enrich_declares_the_pandas_columns(local: None):
    ddf = dd.from_pandas(PEOPLE, npartitions=2)
    lazy = ddf.contacts.enrich({"first_name": "First Name", "last_name": "Last Name",
                                "website": "Domain"})  # fmt: skip
    added = output_columns(Operation.ENRICH)
    assert list(lazy.columns)[len(PEOPLE.columns):] == added
    assert [str(lazy.dtypes[c]) for c in added] == [
        output_dtype(n) for n in COLUMNS[Operation.ENRICH]
    ]


def test_refusals_happen_at_once_not_at_compute(local: None):
    ddf = dd.from_pandas(PEOPLE, npartitions=2).rename(columns={"Email": "email_status"})
    with pytest.raises(ValueError, match="already exist"):
        ddf.contacts.verify("email_status")
    with pytest.raises(ValueError, match="not in the DataFrame"):
        ddf.contacts.verify("nope")
    with pytest.raises(TypeError, match="unknown options: colour"):
        ddf.contacts.verify("email_status", prefix="v_", colour="red")
    with pytest.raises(ValueError, match="groups must be at least 1"):
        ddf.contacts.verify("email_status", prefix="v_", groups=0)
    assert ddf.contacts.detect("find") == {"first_name": "First Name",
                                          "last_name": "Last Name", "domain": "Domain"}
