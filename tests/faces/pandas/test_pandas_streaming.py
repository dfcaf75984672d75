"""How ``df.contacts`` streams a big frame: what it holds, not how long it takes.

The distinct cells of an Arrow text column are found without a Python string per
cell (:mod:`contact_udfs.faces.pandas.distinct`), the answer columns are filled
slice by slice (:class:`~contact_udfs.core.answer_columns.RowColumn`), and a run
over more distinct contacts than the hot layer holds passes its answers through.
Each is checked against the plain way of doing the same thing.
"""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from pandas.testing import assert_frame_equal

import contact_udfs.faces.pandas.distinct as distinct_mod
from contact_udfs import Client
from contact_udfs.core.answer_columns import RowColumn, answer_array, field_values, take
from contact_udfs.core.bulk import streaming
from contact_udfs.core.columns_detect import distinct_inputs
from contact_udfs.faces.pandas.distinct import distinct_cells
from contact_udfs.faces.pandas.frames import run_frame
from contact_udfs.identity import email_parts, fast_email_keys
from contact_udfs.models import Status, Verification

CELLS = [None, "", "ada@acme.com", "ADA@acme.com", " ada@acme.com", "b@x.io", "é@x.io", "zz"]


def _column(values: list[str | None], chunks: int = 1) -> pd.Series:
    """``values`` as pandas' Arrow text (``str``), cut into ``chunks`` Arrow chunks."""
    size = -(-len(values) // chunks) if values else 1
    parts = [pd.Series(values[i : i + size], dtype="str") for i in range(0, len(values), size)]
    return pd.concat(parts, ignore_index=True) if parts else pd.Series([], dtype="str")


@pytest.mark.parametrize("block", [distinct_mod._BLOCK, 3])
def test_distinct_cells_code_every_row_and_keep_variants_together(
    monkeypatch: pytest.MonkeyPatch, block: int
):
    monkeypatch.setattr(distinct_mod, "_BLOCK", block)
    rng = random.Random(7)
    for _ in range(60):
        values = [rng.choice(CELLS) for _ in range(rng.randint(0, 40))]
        cells = distinct_cells(_column(values, chunks=rng.randint(1, 3)))
        want = distinct_inputs(pd.DataFrame({"e": values}), "verify", {"email": "e"})
        assert cells is not None
        items = cells[:]
        assert len(cells) == len(items) == len(set(items)) == len(want.items)
        assert set(items) == set(want.items) and (None not in items or items[-1] is None)
        assert [items[c] for c in cells.codes] == [None if v is None else v for v in values]
        families = [None if v is None else v.strip().lower() for v in items]
        for family in set(families):  # the variants of one address are one run of items
            at = [i for i, f in enumerate(families) if f == family]
            assert at == list(range(at[0], at[0] + len(at)))
        if len(cells):
            assert cells[-1] == items[-1] and cells[0] == items[0] and cells[1:3] == items[1:3]


def _parts(cells: pa.ChunkedArray) -> list[tuple[str | None, str | None]]:
    """(key, error) of each cell, as the full parser gives them."""
    return [email_parts(c)[1:] if c is not None else (None, "empty") for c in cells.to_pylist()]


@pytest.mark.parametrize("block", [distinct_mod._BLOCK, 2])
def test_with_a_key_the_spellings_of_one_plain_address_are_one_item(
    monkeypatch: pytest.MonkeyPatch, block: int
):
    """Plain spellings of one address become one item; a row's item still gives its own
    cell's key or error, and no other cell is merged."""
    monkeypatch.setattr(distinct_mod, "_BLOCK", block)
    rng = random.Random(13)
    plain = ["Ann@X.io", " ann@x.io", "ANN@X.IO\t"]  # one family, one key
    pool = [*CELLS, *plain, "Ann <ann@x.io>", "josé@x.io", "JOSÉ@x.io", "#N/A", "#n/a"]
    for _ in range(80):
        values = [rng.choice(pool) for _ in range(rng.randint(0, 40))]
        column = _column(values, chunks=rng.randint(1, 3))
        apart = distinct_cells(column, _parts)
        merged = distinct_cells(column, _parts, key=fast_email_keys)
        assert apart is not None and merged is not None
        own = _parts(pa.chunked_array([pa.array(values, pa.string())]))
        items = merged[:]
        assert [items[c] for c in merged.codes] == own
        assert [apart[:][c] for c in apart.codes] == own
        # the plain spellings of each address: one item; every other cell: its own
        ann = sum(1 for i in items if i[0] == "ann@x.io")
        assert ann == any(v in plain for v in values) + ("Ann <ann@x.io>" in values)
        ada = sum(1 for i in items if i[0] == "ada@acme.com")
        assert ada == any(v is not None and v.strip().lower() == "ada@acme.com" for v in values)
        others = {v for v in values if v not in plain and v != "Ann <ann@x.io>"
                  and (v or "").strip().lower() not in ("ada@acme.com", "b@x.io")}  # fmt: skip
        assert len(items) == ann + ada + ("b@x.io" in values) + len(others)


def test_without_variants_distinct_cells_come_as_factorize_gives_them():
    rng = random.Random(5)
    values = [rng.choice([None, "b@x.io", "a@x.io", "c@x.io", "é@x.io"]) for _ in range(50)]
    cells = distinct_cells(_column(values, chunks=2))
    want = distinct_inputs(pd.DataFrame({"e": values}), "verify", {"email": "e"})
    assert cells is not None
    assert cells[:] == want.items and cells.codes.tolist() == want.codes.tolist()


def test_only_arrow_text_takes_the_sorted_path():
    assert distinct_cells(pd.Series(["a@x.io"], dtype=object)) is None
    assert distinct_cells(pd.Series(["a@x.io"], dtype="string[python]")) is None
    assert distinct_cells(pd.Series(["a@x.io", None], dtype="string[pyarrow]"))[:] == [
        "a@x.io",
        None,
    ]


def test_arrow_text_and_objects_give_the_same_frame_over_many_slices(local_client: Client):
    rng = random.Random(3)
    pool = [f"user{i}@example.com" for i in range(40)] + ["not an email", None]
    pool += [" Ada@Bücher.de", "josé@bücher.de", "x@y.test", "a--b@c-d.com", "\u00a0z@x.io",
             "a@b--c.com", "#N/A", "", "Name <n@x.io>"]  # the cells the full parser reads
    values = [rng.choice(pool) for _ in range(300)]
    values = [v.upper() if v and rng.random() < 0.2 else v for v in values]
    arrow = pd.DataFrame({"email": pd.Series(values, dtype="str")})
    plain = pd.DataFrame({"email": pd.Series(values, dtype=object)})
    got = run_frame(arrow, "verify", {"email": "email"}, client=local_client, chunk_size=7,
                    progress=False)  # fmt: skip
    want = run_frame(plain, "verify", {"email": "email"}, client=local_client, chunk_size=1000,
                     progress=False)  # fmt: skip
    answers = [c for c in got.frame.columns if c != "email"]
    assert_frame_equal(got.frame[answers], want.frame[answers].assign(
        email_from_cache=got.frame["email_from_cache"]))  # fmt: skip
    assert got.report.rows == want.report.rows == 300
    assert got.report.invalid == want.report.invalid > 0
    # the rows rejected locally, as the frame shows them (not every row of a slice)
    assert got.report.invalid == int((got.frame["email_provider"] == "validation").sum()) < 300


def test_a_row_column_filled_by_slices_equals_the_column_taken_at_once():
    answers = [
        Verification(status=Status.DELIVERABLE, reason="ok", free=True, provider="local"),
        Verification(status=Status.RISKY, reason=None, free=False, provider="local"),
        None,
        Verification(status=Status.UNKNOWN, reason="ok", provider="other"),
    ]
    codes = np.array([3, 0, 0, 2, 1, 3, 1, 0])
    for name in ("status", "reason", "free", "provider", "checked_at", "suggestion"):
        column = RowColumn(name, len(codes))
        for lo, hi in ((0, 2), (2, 4)):  # two slices of two distinct answers each
            where = np.flatnonzero((codes >= lo) & (codes < hi))
            values = field_values(answers[lo:hi], [name])[name]
            column.fill(values, where, codes[where] - lo)
        want = take(answer_array(answers, name), codes)
        assert pd.Series(column.column()).equals(pd.Series(want)), name
        assert str(pd.Series(column.column()).dtype) == str(pd.Series(want).dtype)


def test_field_values_read_every_field_of_every_answer_at_once():
    answers = [Verification(status=Status.RISKY, free=True), Verification(reason="x")]
    got = field_values(answers, ["status", "free", "reason"])
    assert {k: list(v) for k, v in got.items()} == {
        "status": [Status.RISKY, Status.UNKNOWN],
        "free": [True, None],
        "reason": [None, "x"],
    }
    with_gap = field_values([answers[0], None], ["status", "free"])
    assert {k: list(v) for k, v in with_gap.items()} == {
        "status": [Status.RISKY, None],
        "free": [True, None],
    }
    assert field_values(answers, ["candidates"]) == {"candidates": [None, None]}  # not a field


def test_rows_no_slice_answered_stay_missing():
    column = RowColumn("status", 4)
    column.fill([Status.RISKY], np.array([2]), np.array([0]))
    assert pd.Series(column.column()).isna().tolist() == [True, True, False, True]


def test_a_run_bigger_than_the_hot_layer_holds_none_of_its_answers(local_client: Client):
    memory = local_client.store.memory  # type: ignore[attr-defined]
    memory.resize(5)
    big = pd.DataFrame({"email": [f"user{i}@example.com" for i in range(12)]})
    out = run_frame(big, "verify", {"email": "email"}, client=local_client, chunk_size=4,
                    progress=False)  # fmt: skip
    assert out.report.distinct == 12 and len(memory) == 0
    again = run_frame(big, "verify", {"email": "email"}, client=local_client, chunk_size=4,
                      progress=False)  # fmt: skip
    assert bool(again.frame["email_from_cache"].all()) and len(memory) == 0
    small = big.head(3)
    run_frame(small, "verify", {"email": "email"}, client=local_client, progress=False)
    assert len(memory) == 3  # a run the memory can hold is held, for its rerun


def test_one_call_bigger_than_the_hot_layer_holds_none_of_its_answers(local_client: Client):
    memory = local_client.store.memory  # type: ignore[attr-defined]
    memory.resize(5)
    emails = [f"user{i}@example.com" for i in range(6)]
    run = local_client.run("verify", emails + emails)  # repeats count once
    assert run.report.distinct == 6 and len(memory) == 0
    again = local_client.run("verify", emails)
    assert all(a.from_cache for a in again.results) and len(memory) == 0
    local_client.run("verify", emails[:5])
    assert len(memory) == 5  # a call the memory can hold is held, for its rerun


def test_streaming_passes_through_only_past_the_memory_size(local_client: Client):
    store = local_client.store
    store.memory.resize(2)  # type: ignore[attr-defined]
    with streaming(store, 3):
        local_client.run("verify", ["a@example.com", "b@example.com"])
    assert len(store.memory) == 0  # type: ignore[attr-defined]
    with streaming(store, 2):
        local_client.run("verify", ["a@example.com", "b@example.com"])
    assert len(store.memory) == 2  # type: ignore[attr-defined]
    with streaming(object(), 10**9):  # no hot layer: nothing to pass through
        pass


def test_each_contact_is_read_from_the_store_once_whatever_its_variants(
    local_client: Client, monkeypatch: pytest.MonkeyPatch
):
    rng = random.Random(11)
    base = [f"user{i}@example.com" for i in range(30)]
    cells = [v for e in base for v in (e, e.upper(), f"  {e} ")]
    rng.shuffle(cells)
    df = pd.DataFrame({"email": cells})
    local_client.store.memory.resize(1)  # type: ignore[attr-defined]
    run_frame(df, "verify", {"email": "email"}, client=local_client, progress=False)
    store = local_client.store.store  # type: ignore[attr-defined]
    read: list[str] = []
    real = store.get_many

    def counted(provider: str, operation: str, keys: list[str]) -> dict[str, dict]:
        read.extend(keys)
        return real(provider, operation, keys)

    monkeypatch.setattr(store, "get_many", counted)
    again = run_frame(df, "verify", {"email": "email"}, client=local_client, chunk_size=9,
                      progress=False)  # fmt: skip
    assert bool(again.frame["email_from_cache"].all())
    assert sorted(read) == sorted(base) and again.report.rows == 90


def test_other_spellings_are_rebuilt_only_when_the_email_field_is_shown(
    local_client: Client, monkeypatch: pytest.MonkeyPatch
):
    base = [f"user{i}@example.com" for i in range(20)]
    cells = [v for e in base for v in (e, e.upper(), f"  {e.title()} ")] + ["not an email"]
    df = pd.DataFrame({"email": pd.Series(cells, dtype="str")})
    rebuilt: list[str] = []
    real = Verification.replace

    def counted(self: Verification, **changes: object) -> Verification:
        rebuilt.append(str(changes.get("email")))
        return real(self, **changes)

    monkeypatch.setattr(Verification, "replace", counted)
    plain = run_frame(df, "verify", {"email": "email"}, client=local_client, progress=False)
    assert rebuilt == []  # the default fields show no address: one answer per contact
    shown = run_frame(df, "verify", {"email": "email"}, client=local_client, progress=False,
                      fields=["email", "status", "reason"], prefix="v_")  # fmt: skip
    assert len(rebuilt) == 40  # the upper-case and the padded, title-case spelling of each
    assert shown.frame["v_email"].tolist()[:3] == ["user0@example.com", "USER0@EXAMPLE.COM",
                                                   "User0@Example.Com"]  # fmt: skip
    assert shown.frame["v_email"].iloc[-1] == "not an email"
    for name in ("status", "reason"):
        assert plain.frame[f"email_{name}"].tolist() == shown.frame[f"v_{name}"].tolist()


def test_each_slice_s_items_are_made_with_the_collector_paused(
    local_client: Client, monkeypatch: pytest.MonkeyPatch
):
    # a slice makes an item per distinct cell: a collection meanwhile would walk every
    # object the process holds (the whole frame), slice after slice
    import gc

    import contact_udfs.core.items as items_mod

    states: list[bool] = []
    real = items_mod.email_items

    def watched(cells: pa.ChunkedArray, **kw: bool) -> list:
        states.append(gc.isenabled())
        return real(cells, **kw)

    monkeypatch.setattr("contact_udfs.faces.pandas.frames.email_items", watched)
    df = pd.DataFrame({"email": pd.Series([f"u{i}@example.com" for i in range(25)], dtype="str")})
    assert gc.isenabled()
    out = run_frame(df, "verify", {"email": "email"}, client=local_client, chunk_size=10,
                    progress=False)  # fmt: skip
    assert states == [False, False, False]  # three slices, none with the collector on
    assert gc.isenabled() and out.report.distinct == 25


def test_a_cached_rerun_reads_the_next_slice_ahead_and_a_first_run_stops_doing_so(
    local_client: Client, monkeypatch: pytest.MonkeyPatch
):
    import threading

    df = pd.DataFrame({"email": pd.Series([f"u{i}@example.com" for i in range(50)], dtype="str")})
    local_client.store.memory.resize(1)  # type: ignore[attr-defined]  # a bulk run
    store = local_client.store.store  # type: ignore[attr-defined]
    reads: list[tuple[str, int]] = []
    real = store.get_many

    def counted(provider: str, operation: str, keys: list[str]) -> dict[str, dict]:
        reads.append((threading.current_thread().name, len(keys)))
        return real(provider, operation, keys)

    monkeypatch.setattr(store, "get_many", counted)
    first = run_frame(df, "verify", {"email": "email"}, client=local_client, chunk_size=10,
                      progress=False)  # fmt: skip
    assert not first.frame["email_from_cache"].any()
    # the first two slices were read ahead (before the first slice showed it asks the
    # provider); the first slice's writes dropped the second's read, so from the second on
    # each slice is looked up when its turn comes
    assert sorted(reads) == sorted([("MainThread", 10)] * 4 + [("contact_udfs-read-ahead", 10)] * 2)
    reads.clear()
    again = run_frame(df, "verify", {"email": "email"}, client=local_client, chunk_size=10,
                      progress=False)  # fmt: skip
    assert bool(again.frame["email_from_cache"].all())
    assert again.frame["email_status"].tolist() == first.frame["email_status"].tolist()
    # each slice is read in the background (the first while the second's items are made,
    # then each while the one before it is answered); every key is read once
    assert reads == [("contact_udfs-read-ahead", 10)] * 5
