"""``df.contacts`` with the offline provider: shape, dtypes, alignment, no mutation."""

from __future__ import annotations

import doctest
import importlib.util
import threading

import numpy as np
import pandas as pd
import pytest
from frame_helpers import VERIFY_DTYPES
from pandas.testing import assert_frame_equal, assert_index_equal

import contact_udfs
import contact_udfs.faces.pandas.frames as pandas_ext
from contact_udfs import Client, ConfigurationError
from contact_udfs.core.columns import COLUMNS, output_columns
from contact_udfs.faces.pandas.frames import output_dtype, run_frame
from contact_udfs.models import Operation

EMAILS = ["ada@acme.com", None, "bob@gmial.com", "ADA@acme.com", np.nan, "not an email",
          "ada@acme.com", pd.NA, "x@y"]  # fmt: skip

def frame(dtype: object = object) -> pd.DataFrame:
    """Duplicate index labels on purpose: answers must go back by position."""
    return pd.DataFrame(
        {"Email": pd.array(EMAILS, dtype=dtype), "n": range(len(EMAILS))},
        index=["a", "a", "b", "b", "b", "c", "a", "d", "d"],
    )


def _items(df: pd.DataFrame) -> int:
    """The distinct items a verify of :func:`frame` asks: 4 addresses and the empty cells as
    Arrow text (two spellings of ada@ are one item when no email field is shown), the 5
    values apart and the empty cells as objects."""
    return 5 if str(df["Email"].dtype) == "str" else 6


def test_doctests() -> None:
    assert doctest.testmod(pandas_ext).failed == 0


def test_verify_returns_a_new_aligned_frame_and_leaves_the_input_alone(local_client: Client):
    df = frame()
    before = df.copy()
    out = df.contacts.verify(client=local_client, progress=False)
    assert_frame_equal(df, before)
    assert out is not df
    assert_index_equal(out.index, df.index)
    assert list(out.columns) == ["Email", "n", *VERIFY_DTYPES]
    assert_frame_equal(out[["Email", "n"]], df)
    # row by row: the same address gets the same answer, wherever it sits
    status = out["email_status"].tolist()
    assert status[0] == status[6] == status[3]  # ADA@ normalizes to the same contact
    assert status[1] == status[4] == status[7] == "invalid"  # None, NaN, pd.NA
    assert out["email_provider"].iloc[1] == "validation"
    assert out["email_suggestion"].iloc[2] == "bob@gmail.com"


def test_output_dtypes_are_the_documented_ones(local_client: Client):
    out = frame().contacts.verify(client=local_client, progress=False)
    assert {c: str(out[c].dtype) for c in VERIFY_DTYPES} == VERIFY_DTYPES
    assert {f: output_dtype(f) for f in COLUMNS[Operation.VERIFY]} == {
        c.removeprefix("email_"): d for c, d in VERIFY_DTYPES.items()
    }
    assert out["email_checked_at"].iloc[0].tzname() == "UTC"
    assert out["email_checked_at"].iloc[1] is pd.NaT  # answered locally: never checked


STRING_DTYPES: list[object] = [object, "string", "category"]
if importlib.util.find_spec("pyarrow") is not None:
    STRING_DTYPES.append("string[pyarrow]")
if int(pd.__version__.split(".")[0]) >= 3:
    STRING_DTYPES.append("str")


@pytest.mark.parametrize("dtype", STRING_DTYPES)
def test_string_and_categorical_columns_give_the_same_answers(local_client: Client, dtype):
    expected = frame().contacts.verify(client=local_client, progress=False)
    out = frame(dtype).contacts.verify(client=local_client, progress=False)
    cols = [c for c in VERIFY_DTYPES if c not in ("email_from_cache", "email_checked_at")]
    assert_frame_equal(out[cols], expected[cols])


def test_non_text_cells_are_invalid_for_free(local_client: Client):
    df = pd.DataFrame({"email": [12, 3.5, True, "ok@acme.com"]})
    out = df.contacts.verify(client=local_client, progress=False)
    assert out["email_status"].iloc[:3].tolist() == ["invalid"] * 3


def test_chainable(local_client: Client):
    got = (
        frame()
        .contacts.verify(client=local_client, progress=False)
        .query("email_status == 'invalid'")
        .loc[:, ["Email", "email_reason"]]
    )
    assert len(got) == 5


def test_existing_output_columns_are_refused_unless_overwrite(local_client: Client):
    once = frame().contacts.verify(client=local_client, progress=False)
    with pytest.raises(ValueError, match="already exist.*overwrite=True"):
        once.contacts.verify("Email", client=local_client, progress=False)
    again = once.contacts.verify("Email", client=local_client, progress=False, overwrite=True)
    assert list(again.columns) == list(once.columns)  # replaced in place, not appended
    assert again["email_from_cache"].iloc[0]


def test_fields_prefix_and_errors(local_client: Client):
    out = frame().contacts.verify(
        "Email", fields=["status", "address", "syntax_valid"], prefix="v_",
        client=local_client, progress=False,
    )  # fmt: skip
    assert list(out.columns) == ["Email", "n", "v_status", "v_address", "v_syntax_valid"]
    assert str(out["v_syntax_valid"].dtype) == "boolean"
    with pytest.raises(ValueError, match="unknown or repeated fields"):
        frame().contacts.verify(fields=["nope"], client=local_client)
    with pytest.raises(ValueError, match="not in the DataFrame"):
        frame().contacts.verify("mail", client=local_client)
    with pytest.raises(ValueError, match="verify needs the column"):
        pd.DataFrame({"x": [1]}).contacts.verify(client=local_client)


def test_series_accessor(local_client: Client):
    s = frame()["Email"]
    out = s.contacts.verify(client=local_client, progress=False)
    assert_index_equal(out.index, s.index)
    assert list(out.columns) == list(COLUMNS[Operation.VERIFY])
    assert out["status"].iloc[1] == "invalid"
    assert s.contacts.estimate(client=local_client).credits == {"local": 0}


def test_the_accessor_keeps_no_state(local_client: Client):
    df = frame()
    df.contacts.verify(client=local_client, progress=False)
    assert set(vars(df.contacts)) == {"_frame"}
    assert set(vars(df["Email"].contacts)) == {"_series"}


def test_empty_frame(local_client: Client):
    df = pd.DataFrame({"email": pd.Series([], dtype=object)})
    out = df.contacts.verify(client=local_client, progress=False)
    assert len(out) == 0 and list(out.columns) == ["email", *output_columns(Operation.VERIFY)]
    assert str(out["email_checked_at"].dtype) == "datetime64[ns, UTC]"


def test_progress_callback_counts_distinct_items_up_to_the_total(local_client: Client):
    seen: list[tuple[int, int]] = []
    frame().contacts.verify(client=local_client, progress=lambda d, t: seen.append((d, t)))
    # 4 addresses (an Arrow text column's spellings of one address are one item when no
    # email field is shown) + one for the empty cells; as objects, the 5 values apart
    total = _items(frame())
    assert seen[0] == (0, total) and seen[-1] == (total, total)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_tqdm_bar_by_default(local_client: Client, capsys: pytest.CaptureFixture[str]):
    out = frame().contacts.verify(client=local_client)
    assert len(out) == len(EMAILS)


def test_slices_give_the_same_frame_as_one_call(local_client: Client):
    df = frame()
    whole = run_frame(df, "verify", {"email": "Email"}, client=local_client, progress=False)
    seen: list[int] = []
    sliced = run_frame(df, "verify", {"email": "Email"}, client=local_client, chunk_size=2,
                       progress=lambda d, t: seen.append(d))  # fmt: skip
    cols = ["email_status", "email_reason", "email_suggestion"]
    assert_frame_equal(sliced.frame[cols], whole.frame[cols])
    assert sliced.report.rows == len(df) and sliced.report.invalid == 5
    assert seen[-1] == _items(df) and not sliced.cancelled


def test_cancel_leaves_rows_not_reached_empty(local_client: Client):
    stop = threading.Event()
    stop.set()
    done = run_frame(frame(), "verify", {"email": "Email"}, client=local_client, cancel=stop,
                     progress=False)  # fmt: skip
    assert done.cancelled
    assert done.frame["email_status"].isna().all()
    assert done.report.invalid == 0  # rows never asked are not rejected ones


def test_find_with_the_offline_provider(local_client: Client):
    df = pd.DataFrame({
        "First Name": ["Ada", "Ada", None], "Last Name": ["Lovelace", "Lovelace", "Smith"],
        "Website": ["https://www.acme.com/about", "https://www.acme.com/about", "x.io"],
    }, index=[7, 7, 7])  # fmt: skip
    out = df.contacts.find(client=local_client, progress=False)
    assert_index_equal(out.index, df.index)
    assert list(out.columns[3:]) == output_columns(Operation.FIND)
    assert str(out["found_confidence"].dtype) == "float64"
    assert str(out["found_email"].dtype) == "string"
    assert out["found_email"].iloc[0] == out["found_email"].iloc[1]
    assert out["found_email"].iloc[0].endswith("@acme.com")
    assert out["found_status"].iloc[2] in ("invalid", "unknown")
    explicit = df.contacts.find("First Name", "Last Name", website="Website",
                                client=local_client, progress=False)  # fmt: skip
    assert_frame_equal(explicit.iloc[:, :5], out.iloc[:, :5])


def test_enrich_needs_a_provider_that_enriches(local_client: Client):
    df = pd.DataFrame({"Prénom": ["Ada"], "Nom": ["Lovelace"], "Société": ["Acme"]})
    assert df.contacts.detect("enrich") == {"first_name": "Prénom", "last_name": "Nom",
                                            "company": "Société"}  # fmt: skip
    with pytest.raises(ConfigurationError, match="enrichment needs dropcontact"):
        df.contacts.enrich(client=local_client, progress=False)


def test_estimate_with_the_offline_provider_is_free(local_client: Client):
    est = frame().contacts.estimate(client=local_client)
    assert est.rows == len(EMAILS)
    assert est.credits == {"local": 0}
    assert est.total == 0


def test_import_registers_the_accessors():
    assert contact_udfs.__name__ == "contact_udfs"
    assert hasattr(pd.DataFrame, "contacts") and hasattr(pd.Series, "contacts")


class SpyClient:
    """Records what the accessor hands to the engine."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.settings = client.settings
        self.items: list[object] = []

    def run(self, operation: object, items: list[object], **kwargs: object) -> object:
        self.items.extend(items)
        return self.client.run(operation, items, **kwargs)

    def estimate(self, *args: object, **kwargs: object) -> object:
        return self.client.estimate(*args, **kwargs)


def test_a_million_rows_stream_as_distinct_values(local_client: Client):
    import tracemalloc

    distinct = np.array([f"user{i}@example.com" for i in range(2_000)], dtype=object)
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"email": distinct[rng.integers(0, 2_000, 1_000_000)]})
    df.loc[::1000, "email"] = None
    spy = SpyClient(local_client)
    tracemalloc.start()
    try:
        out = df.contacts.verify(client=spy, progress=False)  # type: ignore[arg-type]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # the engine saw each distinct value once, already parsed (no row dicts), plus the
    # missing cell, answered locally
    from contact_udfs.core.items import Item

    assert len(spy.items) == 2_001 and all(type(v) is Item for v in spy.items)
    assert spy.items[-1].error == "empty" and spy.items[-1].key is None
    assert all(v.key == v.display for v in spy.items[:-1])
    assert len(out) == 1_000_000 and out["email_status"].iloc[0] == "invalid"
    assert peak < 300 * 2**20, f"peak {peak / 2**20:.0f} MiB"


def test_a_cancel_between_slices_keeps_what_the_first_slices_answered(local_client: Client):
    df = frame()
    stop = threading.Event()

    def after_first_slice(done: int, total: int) -> None:
        if done >= 2:
            stop.set()

    whole = run_frame(df, "verify", {"email": "Email"}, client=local_client, progress=False)
    part = run_frame(df, "verify", {"email": "Email"}, client=local_client, chunk_size=2,
                     cancel=stop, progress=after_first_slice)  # fmt: skip
    assert part.cancelled
    reached = part.frame["email_status"].notna()
    assert 0 < int(reached.sum()) < len(df)
    for name in ("email_status", "email_checked_at", "email_free"):
        assert part.frame[name].dtype == whole.frame[name].dtype  # slices joined, typed
    got, want = part.frame.loc[reached, "email_status"], whole.frame.loc[reached, "email_status"]
    assert (got == want).all()
