"""A recalculation of cells already answered is served from the formula's memo: no engine
call and no store read. ``forget``, ``cache clear``, the hot layer's expiry and an answer
that is not settled send it back to the full path (counted at the store and the simulator,
never timed)."""

from __future__ import annotations

import functools
import os
import threading
import time
from typing import Any

import pytest
from excel_helpers import column, count_store_reads

import contact_udfs.api as api
from contact_udfs import Client
from contact_udfs.api import default_client
from contact_udfs.core.engine import Engine
from contact_udfs.faces.excel import udfs as excel
from contact_udfs.identity import normalize_email
from contact_udfs.models import Status, Verification
from contact_udfs.sandbox import Sandbox, get_world
from contact_udfs.store import SQLiteStore
from contact_udfs.store.hot import MAX_AGE, HotStore

#: cells of every kind a column holds: addresses, their variants, empty and bad cells
EMAILS = get_world(0).sample_emails(40, 11)
CELLS = [*EMAILS, f"  {EMAILS[0].upper()} ", None, "", "not an email", "#N/A",
         "#ERROR: dropcontact: down", "PENDING (1/2)", 3.5, True]  # fmt: skip


def _count_engine_calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count the runs of the engine a formula starts (whichever path it takes) and their
    items; the runs a background thread makes to finish a job are not the formula's."""
    counts = {"calls": 0, "items": 0}
    original = Engine.run
    caller = threading.get_ident()

    def counting(self: Engine, operation: Any, items: Any, **kwargs: Any) -> Any:
        items = list(items)
        if threading.get_ident() == caller:
            counts["calls"] += 1
            counts["items"] += len(items)
        return original(self, operation, items, **kwargs)

    monkeypatch.setattr(Engine, "run", counting)
    return counts


@pytest.mark.parametrize(("field", "header"), [("status", False), ("all", True)])
def test_a_recalculation_asks_neither_the_engine_nor_the_store(
    excel_env: Sandbox, monkeypatch: pytest.MonkeyPatch, field: str, header: bool
) -> None:
    reads = count_store_reads(monkeypatch)
    engine = _count_engine_calls(monkeypatch)
    grid = column(CELLS)
    excel.VERIFY_EMAIL(grid, field, header)  # bought
    full = excel.VERIFY_EMAIL(grid, field, header)  # read from memory by the engine
    requests, reads["keys"], engine["calls"] = excel_env.requests("*"), 0, 0
    again = excel.VERIFY_EMAIL(grid, field, header)
    assert again == full
    assert engine["calls"] == 0 and reads["keys"] == 0
    assert excel_env.requests("*") == requests
    # a single-cell formula and a 2-D range of the same cells are kept too
    assert excel.VERIFY_EMAIL(EMAILS[1], field) == excel.VERIFY_EMAIL(EMAILS[1], field)
    two_d = [CELLS[:3], CELLS[3:6]]
    first_2d = excel.VERIFY_EMAIL(two_d, field)
    engine["calls"] = 0
    assert excel.VERIFY_EMAIL(two_d, field) == first_2d and engine["calls"] == 0


def test_the_memo_answers_what_the_cache_file_answers(
    excel_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    grid = [CELLS[i : i + 3] for i in range(0, len(CELLS) - 2, 3)]
    excel.VERIFY_EMAIL(grid, "all", True)
    excel.VERIFY_EMAIL(grid, "all", True)
    kept = excel.VERIFY_EMAIL(grid, "all", True)
    monkeypatch.setenv("CONTACT_UDFS_HOT_CACHE", "0")  # no memory: every cell read from the file
    assert excel.VERIFY_EMAIL(grid, "all", True) == kept


@pytest.mark.parametrize("who", ["the default client", "another client of the process"])
def test_forget_sends_the_next_recalculation_to_the_provider(excel_env: Sandbox, who: str) -> None:
    grid = column(EMAILS)
    first = excel.VERIFY_EMAIL(grid)
    excel.VERIFY_EMAIL(grid)
    excel.VERIFY_EMAIL(grid)  # from the memo
    spent = excel_env.credits_spent("dropcontact")
    client = default_client() if who == "the default client" else Client(
        cache=os.environ["CONTACT_UDFS_CACHE"])  # fmt: skip
    assert client.forget(EMAILS[3]) >= 1
    assert excel.VERIFY_EMAIL(grid) == first
    assert excel_env.credits_spent("dropcontact") == spent + 1  # that contact, asked again
    assert excel.VERIFY_EMAIL(grid) == first
    assert excel_env.credits_spent("dropcontact") == spent + 1


def test_cache_clear_sends_every_cell_to_the_provider(excel_env: Sandbox) -> None:
    grid = column(EMAILS)
    first = excel.VERIFY_EMAIL(grid)
    excel.VERIFY_EMAIL(grid)
    excel.VERIFY_EMAIL(grid)
    spent = excel_env.credits_spent("dropcontact")
    default_client().store.clear()
    assert excel.VERIFY_EMAIL(grid) == first
    assert excel_env.credits_spent("dropcontact") == spent + len(set(EMAILS))


@pytest.mark.parametrize("ttl_days", [None, "0.0005"])  # MAX_AGE, or a TTL of 43 s
def test_kept_cells_go_when_the_held_answers_do(
    excel_env: Sandbox, monkeypatch: pytest.MonkeyPatch, ttl_days: str | None
) -> None:
    if ttl_days:
        monkeypatch.setenv("CONTACT_UDFS_TTL_DAYS", ttl_days)
    now = [time.time()]
    monkeypatch.setattr(api, "HotStore", functools.partial(HotStore, clock=lambda: now[0]))
    reads = count_store_reads(monkeypatch)
    grid = column(EMAILS)
    excel.VERIFY_EMAIL(grid)
    kept = excel.VERIFY_EMAIL(grid)
    reads["keys"] = 0
    now[0] += (MAX_AGE if ttl_days is None else 43) - 1
    assert excel.VERIFY_EMAIL(grid) == kept and reads["keys"] == 0  # still held
    now[0] += 2
    assert excel.VERIFY_EMAIL(grid)[0] == kept[0]
    assert reads["keys"] >= len(set(EMAILS))  # past its time: every cell read again


def test_a_retryable_answer_is_read_from_the_store_at_every_recalculation(
    excel_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process may settle it: the memo must not hide that any longer than the
    hot layer does (which never holds it)."""
    key = normalize_email(EMAILS[0]).key
    assert key is not None
    other = SQLiteStore(os.environ["CONTACT_UDFS_CACHE"])  # another process's handle
    unsettled = Verification(email=key, reason="timeout", provider="dropcontact", retryable=True)
    other.put_many("dropcontact", "verify", {key: unsettled.to_dict()}, ttl=None)
    reads = count_store_reads(monkeypatch)
    engine = _count_engine_calls(monkeypatch)
    grid = column(EMAILS)
    first = excel.VERIFY_EMAIL(grid)
    assert first[0] == ["unknown"]
    spent = excel_env.credits_spent("dropcontact")
    assert spent == len(set(EMAILS)) - 1  # the unknown is not bought again
    assert excel.VERIFY_EMAIL(grid) == first  # the bought ones, read back: kept from now on
    for _ in range(2):
        reads["keys"], engine["calls"], engine["items"] = 0, 0, 0
        assert excel.VERIFY_EMAIL(grid) == first
        # that cell alone goes to the engine, which reads it from the store
        assert engine["calls"] == 1 and engine["items"] == 1 and reads["keys"] == 1
    settled = Verification(email=key, status=Status.DELIVERABLE, provider="dropcontact")
    other.put_many("dropcontact", "verify", {key: settled.to_dict()}, ttl=None)
    assert excel.VERIFY_EMAIL(grid)[0] == ["deliverable"]
    assert excel_env.credits_spent("dropcontact") == spent
    other.close()


def test_a_cell_the_first_provider_left_unsettled_takes_the_full_path(
    excel_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The offline provider first (no DNS: ``unknown``), Dropcontact after it: such a cell
    is answered by the waterfall, never by the memo - even when the offline answer is the
    one shown, Dropcontact's stored ``unknown`` may be settled by another process."""
    monkeypatch.setenv("CONTACT_UDFS_PROVIDERS", "local,dropcontact")
    with open(os.environ["CONTACT_UDFS_CONFIG"], "w", encoding="utf-8") as fh:
        fh.write("[local]\ncheck_dns = false\n")
    key = normalize_email(EMAILS[0]).key
    assert key is not None
    other = SQLiteStore(os.environ["CONTACT_UDFS_CACHE"])  # another process's handle
    unsettled = Verification(email=key, reason="timeout", provider="dropcontact", retryable=True)
    other.put_many("dropcontact", "verify", {key: unsettled.to_dict()}, ttl=None)
    engine = _count_engine_calls(monkeypatch)
    grid = column([EMAILS[0], f" {EMAILS[0].upper()}"])
    first = excel.VERIFY_EMAIL(grid, "provider")
    assert first == [["local"], ["local"]]
    for _ in range(2):
        engine["calls"] = 0
        assert excel.VERIFY_EMAIL(grid, "provider") == first and engine["calls"] == 1
    settled = Verification(email=key, status=Status.DELIVERABLE, provider="dropcontact")
    other.put_many("dropcontact", "verify", {key: settled.to_dict()}, ttl=None)
    assert excel.VERIFY_EMAIL(grid, "provider") == [["dropcontact"], ["dropcontact"]]
    assert excel_env.credits_spent("dropcontact") == 0
    other.close()


PEOPLE = get_world(0).people()[:20]


def _people(where: str) -> tuple[list[list[Any]], list[list[Any]], list[list[Any]]]:
    return (column(p["first_name"] for p in PEOPLE), column(p["last_name"] for p in PEOPLE),
            column(p[where] for p in PEOPLE))  # fmt: skip


@pytest.mark.parametrize("formula", ["FIND_EMAIL", "ENRICH_CONTACT"])
def test_find_and_enrich_recalculations_are_kept_until_forget(
    excel_env: Sandbox, monkeypatch: pytest.MonkeyPatch, formula: str
) -> None:
    reads = count_store_reads(monkeypatch)
    engine = _count_engine_calls(monkeypatch)
    ask = getattr(excel, formula)
    ranges = _people("domain")
    ask(*ranges, "all", True)  # bought
    full = ask(*ranges, "all", True)  # read from memory by the engine
    requests, reads["keys"], engine["calls"] = excel_env.requests("*"), 0, 0
    assert ask(*ranges, "all", True) == full
    assert engine["calls"] == 0 and reads["keys"] == 0 and excel_env.requests("*") == requests
    monkeypatch.setenv("CONTACT_UDFS_HOT_CACHE", "0")
    assert ask(*ranges, "all", True) == full  # what the cache file says
    monkeypatch.delenv("CONTACT_UDFS_HOT_CACHE")
    ask(*ranges, "all", True)
    ask(*ranges, "all", True)
    email = full[1][full[0].index("email")]
    spent = excel_env.credits_spent("dropcontact")
    assert email and default_client().forget(email) >= 1
    assert ask(*ranges, "all", True)[1][full[0].index("email")] == email
    assert excel_env.credits_spent("dropcontact") == spent + 1  # that person, bought again


def test_rows_naming_a_company_take_the_full_path(
    excel_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A company name may be re-keyed to a domain whenever an answer teaches it: those
    rows always go through the engine, which knows the aliases."""
    engine = _count_engine_calls(monkeypatch)
    ranges = _people("company")
    first = excel.FIND_EMAIL(*ranges)
    for _ in range(2):
        engine["calls"] = 0
        assert excel.FIND_EMAIL(*ranges) == first and engine["calls"] == 1
    assert excel_env.credits_spent("dropcontact") == len(PEOPLE)


def test_new_cells_beside_kept_ones_count_the_whole_range_while_pending(
    excel_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTACT_UDFS_EXCEL_WAIT", "0.2")
    kept, new = EMAILS[:10], get_world(0).sample_emails(5, 99)
    assert not set(kept) & set(new)
    excel.VERIFY_EMAIL(column(kept))
    statuses = excel.VERIFY_EMAIL(column(kept))
    engine = _count_engine_calls(monkeypatch)
    excel_env.set_job_polls_before_ready(10**9)
    try:
        out = [row[0] for row in excel.VERIFY_EMAIL(column([*kept, None, *new]))]
        assert engine["calls"] == 1 and engine["items"] == 5  # only the new cells
        assert out[:11] == [row[0] for row in statuses] + [""]
        pending = [c for c in out[11:] if c.startswith("PENDING (")]
        # as if the engine had been given the whole range: 15 contacts, 10 of them answered
        assert pending and set(pending) == {f"PENDING ({15 - len(pending)}/15)"}
    finally:
        excel_env.set_job_polls_before_ready(0)


def test_a_call_that_fails_is_told_in_every_cell_it_would_have_answered(
    excel_env: Sandbox,
) -> None:
    """Out of credits for the new cells: the whole range says so, kept cells included,
    as when the engine was given them all."""
    kept, new = EMAILS[:10], get_world(0).sample_emails(3, 99)
    excel.VERIFY_EMAIL(column(kept))
    excel.VERIFY_EMAIL(column(kept))
    excel_env.set_balance("dropcontact", 0)
    out = [row[0] for row in excel.VERIFY_EMAIL(column([*kept, None, "not an email", *new]))]
    error = out[0]
    assert error.startswith("#ERROR: dropcontact: out of credits")
    assert out == [error] * 10 + [""] + [error] * 4


def test_a_key_in_a_kept_cell_is_blanked_at_every_recalculation(
    excel_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = excel_env.keys["dropcontact"]
    engine = _count_engine_calls(monkeypatch)
    grid = column([EMAILS[0], f"#ERROR: pasted {key} here"])
    outs = [excel.VERIFY_EMAIL(grid, "all") for _ in range(3)]
    assert engine["calls"] == 2  # the third from the memo
    for out in outs:
        assert out[1][0] == "#ERROR: pasted *** here"
        assert not any(key in str(c) for row in out for c in row)
