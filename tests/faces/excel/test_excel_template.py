"""The workbook template: built from xlwings' quickstart, VBA kept, formulas that work."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from excel_helpers import UDF_NAMES, column
from openpyxl import load_workbook

import contact_udfs as cu
from contact_udfs.exceptions import ContactUDFError
from contact_udfs.faces.excel import batching as excel_batch
from contact_udfs.faces.excel import udfs as excel
from contact_udfs.faces.excel.workbook import (
    CONF_SHEET,
    CONTACTS_SHEET,
    N_CONTACTS,
    SUMMARY_SHEET,
    UDF_MODULES,
    build_template,
    template_path,
    write_template,
)
from contact_udfs.models import Status
from contact_udfs.sandbox import Sandbox

COMMITTED = Path(__file__).resolve().parents[3] / "workbook_templates" / "contact_udfs.xlsm"


def _values(path: str | Path) -> dict[str, list[tuple[Any, ...]]]:
    wb = load_workbook(path, keep_vba=True)
    return {
        ws.title: [
            tuple(getattr(c, "text", c) for c in row) for row in ws.iter_rows(values_only=True)
        ]
        for ws in wb.worksheets
    }


def test_template_keeps_vba_and_names_our_module(tmp_path: Path) -> None:
    path = write_template(tmp_path / "book.xlsm")
    with zipfile.ZipFile(path) as z:
        assert "xl/vbaProject.bin" in z.namelist()
        assert "macroEnabled" in z.read("[Content_Types].xml").decode()
    wb = load_workbook(path, keep_vba=True)
    assert wb.vba_archive is not None
    assert wb.sheetnames[0] == CONTACTS_SHEET and CONF_SHEET in wb.sheetnames
    conf = {a: b for a, b in wb[CONF_SHEET].iter_rows(max_col=2, values_only=True) if a}
    assert conf["UDF Modules"] == UDF_MODULES == "contact_udfs.excel"
    formulas = " ".join(
        str(getattr(c.value, "text", c.value))
        for row in wb[CONTACTS_SHEET].iter_rows()
        for c in row
    )
    for name in UDF_NAMES:
        assert f"{name}(" in formulas
    assert wb[CONTACTS_SHEET].max_row == N_CONTACTS + 1
    assert "API_KEY" not in formulas and "sandbox-" not in formulas


def test_committed_template_is_what_the_builder_makes(tmp_path: Path) -> None:
    assert template_path() is not None
    fresh = _values(build_template(tmp_path / "fresh.xlsm"))
    assert fresh == _values(COMMITTED), "run: python workbook_templates/build_template.py"


def test_write_template_paths(tmp_path: Path) -> None:
    assert write_template(tmp_path) == str(tmp_path / "contact_udfs.xlsm")
    assert write_template(tmp_path / "mine.xlsx").endswith("mine.xlsm")
    with pytest.raises(ContactUDFError, match="already exists"):
        write_template(tmp_path / "mine.xlsm")
    assert write_template(tmp_path / "mine.xlsm", overwrite=True).endswith("mine.xlsm")


def test_builds_without_the_committed_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("contact_udfs.faces.excel.workbook.template_path", lambda: None)
    path = write_template(tmp_path / "built.xlsm")
    assert _values(path) == _values(COMMITTED)


def test_example_sheet_evaluates_like_the_python_api(
    excel_env: Sandbox,
    formulas_functions: Callable[[], None],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a window wide enough that a busy machine does not split the gathered cells
    monkeypatch.setenv("CONTACT_UDFS_EXCEL_WINDOW_MS", "1000")
    formulas = pytest.importorskip("formulas")
    sb = excel_env
    formulas_functions()
    path = write_template(tmp_path / "book.xlsm")
    rows = [r for r in _values(path)[CONTACTS_SHEET][1:]]
    model = formulas.ExcelModel().loads(path).finish()
    summaries: list[dict[str, Any]] = []

    def sheet() -> dict[str, Any]:
        out: dict[str, Any] = {}
        summary: dict[str, Any] = {}
        for ref, value in model.calculate().items():
            book_sheet, _, cell = ref.rpartition("!")
            value = value.value.tolist() if hasattr(value, "value") else value
            if book_sheet.upper().endswith(f"]{CONTACTS_SHEET.upper()}'"):
                out[cell] = value
            elif book_sheet.upper().endswith(f"]{SUMMARY_SHEET.upper()}'"):
                summary[cell] = value
        summaries.append(summary)
        return out

    first = sheet()  # the first calculation: answers, or PENDING for gathered cells
    for r in range(2, N_CONTACTS + 2):
        for col in "FGHI":
            assert isinstance(first[f"{col}{r}"][0][0], str)
    assert excel_batch.wait_for_background(30)
    sent = sb.requests("dropcontact.submit"), sb.requests("dropcontact.poll")
    assert sent[0] <= 6  # a leader and one batch per operation

    again = sheet()  # the recalculation answers from the store
    assert (sb.requests("dropcontact.submit"), sb.requests("dropcontact.poll")) == sent
    first_names, last_names, companies, domains, emails = ([r[i] for r in rows] for i in range(5))
    verified = cu.verify_emails(emails)
    expected_status = ["" if e is None else v.status.value for e, v in zip(emails, verified)]
    assert [again[f"F{r}"][0][0] for r in range(2, N_CONTACTS + 2)] == expected_status
    found = cu.find_emails(
        [{"first_name": f, "last_name": la, "domain": d}
         for f, la, d in zip(first_names, last_names, domains)]
    )  # fmt: skip
    assert [again[f"G{r}"][0][0] for r in range(2, N_CONTACTS + 2)] == [
        f.email or "" for f in found
    ]
    enriched = cu.enrich_contacts(
        [{"first_name": f, "last_name": la, "company": c}
         for f, la, c in zip(first_names, last_names, companies)]
    )  # fmt: skip
    assert [again[f"H{r}"][0][0] for r in range(2, N_CONTACTS + 2)] == [
        e.phone or "" for e in enriched
    ]
    assert [again[f"I{r}"][0][0] for r in range(2, N_CONTACTS + 2)] == [
        e.job or "" for e in enriched
    ]
    reasons = next(v for k, v in again.items() if k.startswith("J2:"))
    assert reasons == excel.VERIFY_EMAIL(column(emails), "reason")
    assert again["M2"] == [[0]] and again["M3"] == [[0]]  # everything is cached now
    assert isinstance(again["M1"][0][0], int)
    assert sb.requests("dropcontact.submit") == sent[0]

    # the Summary sheet's COUNTIFs count the statuses column F shows, recalculation after
    # recalculation: PENDING at first, the verdicts the sandbox gave once answered
    labels = [r[0] for r in _values(path)[SUMMARY_SHEET][1:]]
    assert labels == [*(s.value for s in Status), "pending", "checked"]
    counted = [{label: summary[f"B{r}"][0][0] for r, label in enumerate(labels, start=2)}
               for summary in summaries]  # fmt: skip
    column_f = [first[f"F{r}"][0][0] for r in range(2, N_CONTACTS + 2)]
    assert counted[0]["pending"] == sum(v.startswith("PENDING") for v in column_f)
    assert counted[1] == {
        **{s.value: expected_status.count(s.value) for s in Status},
        "pending": 0, "checked": N_CONTACTS - expected_status.count(""),
    }  # fmt: skip
    assert counted[1]["invalid"] >= 1 and counted[1]["deliverable"] >= 1
    assert sb.requests("dropcontact.submit") == sent[0]  # counting spends nothing
