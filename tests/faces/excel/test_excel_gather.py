"""Single-cell formulas are gathered into one engine call per window."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from excel_helpers import assert_no_keys

import contact_udfs as cu
from contact_udfs.faces.excel import batching as excel_batch
from contact_udfs.faces.excel import udfs as excel
from contact_udfs.faces.excel.batching import Gatherer, Outcome
from contact_udfs.models import Operation
from contact_udfs.sandbox import Sandbox, get_world


class Recorder:
    """A stand-in for the engine call: records every batch, answers each item by name."""

    def __init__(self) -> None:
        self.batches: list[list[Any]] = []
        self.lock = threading.Lock()

    def __call__(self, operation: Operation, items: list[Any], **_: Any) -> list[Outcome]:
        with self.lock:
            self.batches.append(list(items))
        return [Outcome(error=f"answer {item}") for item in items]


def test_concurrent_callers_make_one_batch() -> None:
    run = Recorder()
    gatherer = Gatherer(run, window=lambda: 0.5)
    start = threading.Barrier(20)
    got: dict[int, Outcome] = {}

    def call(i: int) -> None:
        start.wait()
        got[i] = gatherer.ask(Operation.VERIFY, i, f"gather-unit-{i}")

    threads = [threading.Thread(target=call, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert excel_batch.wait_for_background(5)
    assert len(run.batches) == 1 and sorted(run.batches[0]) == list(range(20))
    assert all(o.pending is not None for o in got.values())  # answered on the next recalc


def test_a_column_calculated_cell_after_cell_is_one_batch_after_the_first() -> None:
    run = Recorder()
    gatherer = Gatherer(run, window=lambda: 0.2)
    first = gatherer.ask(Operation.VERIFY, "a", "serial-unit-a")
    rest = [gatherer.ask(Operation.VERIFY, i, f"serial-unit-{i}") for i in range(30)]
    assert first == Outcome(error="answer a")  # an isolated formula is answered directly
    assert all(o.pending is not None for o in rest)  # the others are answered next time
    assert excel_batch.wait_for_background(5)
    assert run.batches == [["a"], list(range(30))]


def test_100_cells_from_8_threads_are_one_post(excel_env: Sandbox) -> None:
    sb = excel_env
    emails = get_world(0).sample_emails(100, 4)
    start = threading.Barrier(8)
    first: list[Any] = [None] * 100

    def worker(j: int) -> None:
        start.wait()
        for i in range(j, 100, 8):
            first[i] = excel.VERIFY_EMAIL([[emails[i]]])

    threads = [threading.Thread(target=worker, args=(j,)) for j in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert excel_batch.wait_for_background(30)
    assert sb.requests("dropcontact.submit") == 1
    assert all(len(out) == 1 and len(out[0]) == 1 for out in first)

    total = sb.requests("*")
    again = [excel.VERIFY_EMAIL([[e]]) for e in emails]  # the next recalculation
    expected = cu.verify_emails(emails)
    assert [out[0][0] for out in again] == [v.status.value for v in expected]
    for out, answer in zip(first, expected, strict=True):
        assert out[0][0] in (answer.status.value,) or out[0][0].startswith("PENDING (")
    assert sb.requests("*") == total  # the rerun: 0 HTTP
    assert_no_keys(first + again, sb)


def test_an_isolated_cell_is_answered_at_once(excel_env: Sandbox) -> None:
    email = get_world(0).people()[0]["email"]
    assert excel.VERIFY_EMAIL(email) == [["deliverable"]]
    assert excel.FIND_EMAIL("Ada", "Lovelace", "acme-robotics.com") == [[email]]
    assert excel_env.requests("dropcontact.submit") == 2


def test_cached_and_bad_cells_never_wait(
    excel_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    emails = get_world(0).sample_emails(20, 5)
    excel.VERIFY_EMAIL([[e] for e in emails])
    monkeypatch.setenv("CONTACT_UDFS_EXCEL_WINDOW_MS", "5000")  # a wait would be obvious
    asked: list[Any] = []
    monkeypatch.setattr(excel_batch.GATHERER, "ask", lambda *a: asked.append(a))
    answers = [excel.VERIFY_EMAIL(e) for e in [*emails, "not an email", None, 42.0]]
    assert not asked
    assert [a[0][0] for a in answers[-3:]] == ["invalid", "", "invalid"]
    assert excel_env.requests("dropcontact.submit") == 1


def test_window_zero_sends_each_cell_alone(
    excel_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTACT_UDFS_EXCEL_WINDOW_MS", "0")
    emails = get_world(0).sample_emails(3, 6)
    out = [excel.VERIFY_EMAIL(e) for e in emails]
    assert all(not o[0][0].startswith("PENDING") for o in out)
    assert excel_env.requests("dropcontact.submit") == 3
