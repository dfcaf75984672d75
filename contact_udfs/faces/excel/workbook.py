"""The Excel workbook template: xlwings' quickstart workbook plus our sheets.

``contact-udfs template PATH`` calls :func:`write_template`. The template is
built from the quickstart ``.xlsm`` that ships inside xlwings, edited with
openpyxl ``keep_vba=True`` so its VBA project (the link to the xlwings add-in)
survives, and given

* an ``xlwings.conf`` sheet naming ``UDF Modules`` = ``contact_udfs.excel``;
* a "Contacts" sheet: sample people from the sandbox world with a working
  formula for every function, so the sheet answers against ``contact-udfs sandbox``;
* a "Summary" sheet: plain ``COUNTIF`` formulas counting the statuses of the
  Contacts sheet's status column, and a bar chart of them;
* a short "Instructions" sheet.

API keys never go into the workbook: they live in the environment or the
config file.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from ...exceptions import ConfigurationError, ContactUDFError

__all__ = ["TEMPLATE_NAME", "build_template", "quickstart_path", "template_path", "write_template"]

TEMPLATE_NAME = "contact_udfs.xlsm"
CONF_SHEET = "xlwings.conf"
UDF_MODULES = "contact_udfs.excel"
CONTACTS_SHEET = "Contacts"
SUMMARY_SHEET = "Summary"
#: the Contacts column the summary counts (``=VERIFY_EMAIL(E2)`` filled down)
STATUS_COLUMN = "F"
N_CONTACTS = 20

HEADERS = ("First name", "Last name", "Company", "Domain", "Email", "Email status",
           "Found email", "Phone", "Job", "Reason (range formula)")  # fmt: skip

INSTRUCTIONS = (
    "contact_udfs - email verification, email finding and enrichment as Excel formulas",
    "",
    "1. Install once: pip install contact-udfs[excel]   then   xlwings addin install",
    "2. Allow macros, then on the xlwings ribbon tab click 'Import Functions'",
    "   (File > Options > Trust Center > Macro Settings: 'Trust access to the VBA project').",
    "3. Keys: set DROPCONTACT_API_KEY (and/or FULLCONTACT_API_KEY, COLDLEAD_API_KEY) in your",
    "   environment or in the contact_udfs config file - never in this workbook.",
    "   To try it without keys or credits: run  contact-udfs sandbox  and set what it prints.",
    "",
    "Formulas (category 'Contact UDFs'):",
    '  =VERIFY_EMAIL(E2)   or a whole range: =VERIFY_EMAIL(E2:E21)   field: "status", "reason",'
    ' "suggestion", "provider" or "all"; header: TRUE',
    '  =FIND_EMAIL(A2, B2, D2)   field: "email", "confidence", "status" or "all"',
    '  =ENRICH_CONTACT(A2, B2, C2, "phone")   any enrichment column ("job", "siren", ...) or "all"',
    "  =CONTACT_CREDITS()   credits left;   =CONTACT_ESTIMATE(E2:E21)   credits a range would cost",
    "",
    "Answers are cached: recalculating never pays twice. A range formula is one batch;",
    "single-cell formulas filled down are gathered into batches too.",
    "PENDING (n/N): the provider is still working. Recalculate later (Ctrl+Alt+F9,",
    "or select the cell, press F2 then Enter) to collect the answers at no cost.",
    "Empty input cells give empty answers; bad cells say 'invalid' or '#ERROR: <why>'.",
)


def quickstart_path() -> Path:
    """xlwings' own quickstart workbook (its VBA project refers to the xlwings add-in)."""
    try:
        import xlwings
    except ImportError:
        raise ConfigurationError(
            "building the workbook needs xlwings: pip install contact-udfs[excel]"
        ) from None
    path = Path(xlwings.__file__).parent / "quickstart.xlsm"
    if not path.exists():
        raise ConfigurationError(f"xlwings {xlwings.__version__} ships no quickstart.xlsm")
    return path


def template_path() -> Path | None:
    """The prebuilt template next to the package (a source checkout), if there is one."""
    package = Path(__file__).resolve().parents[2]
    for base in (package / "data", package.parent / "workbook_templates"):
        candidate = base / TEMPLATE_NAME
        if candidate.is_file():
            return candidate
    return None


def _samples() -> list[tuple[str, str, str, str, str | None]]:
    """(first, last, company, domain, email) rows with a few deliberately odd emails."""
    try:
        from ...sandbox.world import get_world
    except ImportError:  # pragma: no cover - a trimmed install without the sandbox
        people: list[dict[str, Any]] = [
            {"first_name": "Ada", "last_name": "Lovelace", "company": "Acme Robotics",
             "domain": "acme-robotics.com", "email": "ada.lovelace@acme-robotics.com"}
        ] * N_CONTACTS  # fmt: skip
    else:
        people = get_world(0).people()[: N_CONTACTS * 4 : 4]
    rows: list[tuple[str, str, str, str, str | None]] = []
    for i, p in enumerate(people):
        first, last, domain = p["first_name"], p["last_name"], p["domain"]
        email: str | None = p["email"]
        if i == 14:
            email = f"contact@{domain}"  # a role address
        elif i == 15:
            email = f"{p['email'].split('@')[0]}@gmial.com"  # a typo worth a suggestion
        elif i == 16:
            email = f"{p['email'].split('@')[0]} (at) {domain}"  # not an address
        elif i == 17:
            email = None  # an empty cell stays empty
        elif i == 18:
            email = f"{p['email'].split('@')[0]}@gmail.com"  # a free-mail address
        rows.append((first, last, p["company"], domain, email))
    return rows


def _fill_conf(ws: Any) -> None:
    for row in ws.iter_rows(min_col=1, max_col=1):
        if row[0].value == "UDF Modules":
            ws.cell(row=row[0].row, column=2, value=UDF_MODULES)
            return
    ws.append(["UDF Modules", UDF_MODULES])


def _fill_contacts(ws: Any) -> None:
    from openpyxl.styles import Font
    from openpyxl.worksheet.formula import ArrayFormula

    ws.append(list(HEADERS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    rows = _samples()
    last = len(rows) + 1
    for r, (first, last_name, company, domain, email) in enumerate(rows, start=2):
        ws.append([first, last_name, company, domain, email,
                   f"=VERIFY_EMAIL(E{r})", f"=FIND_EMAIL(A{r},B{r},D{r})",
                   f'=ENRICH_CONTACT(A{r},B{r},C{r},"phone")',
                   f'=ENRICH_CONTACT(A{r},B{r},C{r},"job")'])  # fmt: skip
    # one range formula: the batch path (an array formula, so every Excel version shows it)
    ws["J2"] = ArrayFormula(f"J2:J{last}", f'=VERIFY_EMAIL(E2:E{last},"reason")')
    ws["L1"] = "Credits left"
    ws["M1"] = '=CONTACT_CREDITS("dropcontact")'
    ws["L2"] = "Verifying column E would cost"
    ws["M2"] = f"=CONTACT_ESTIMATE(E2:E{last})"
    ws["L3"] = "Enriching A:C would cost"
    ws["M3"] = f'=CONTACT_ESTIMATE(A2:C{last},"enrich")'
    for col, width in zip("ABCDEFGHIJKLM", (14, 14, 22, 22, 36, 14, 36, 18, 22, 24, 2, 32, 10),
                          strict=True):  # fmt: skip
        ws.column_dimensions[col].width = width


def status_counts() -> list[tuple[str, str]]:
    """(label, formula) of the Summary sheet: one COUNTIF per status over column F."""
    from ...models import Status

    cells = f"{CONTACTS_SHEET}!${STATUS_COLUMN}$2:${STATUS_COLUMN}${N_CONTACTS + 1}"
    counts = [(s.value, f'=COUNTIF({cells},"{s.value}")') for s in Status]
    counts.append(("pending", f'=COUNTIF({cells},"PENDING*")'))
    counts.append(("checked", f"=SUM(B2:B{len(counts) + 1})"))
    return counts


def _fill_summary(ws: Any) -> None:
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font

    ws.append([f"Email status ({CONTACTS_SHEET}!{STATUS_COLUMN})", "Rows"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    counts = status_counts()
    for label, formula in counts:
        ws.append([label, formula])
    ws.column_dimensions["A"].width = 30
    chart = BarChart()
    chart.type, chart.title, chart.legend = "bar", "Statuses", None
    bars = len(counts) - 1  # every status and pending, not the total
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=bars + 1), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=bars + 1))
    ws.add_chart(chart, "D2")


def build_template(path: str | os.PathLike[str]) -> str:
    """Build the workbook from xlwings' quickstart into ``path``; returns the path."""
    from datetime import datetime

    from openpyxl import load_workbook

    wb = load_workbook(quickstart_path(), keep_vba=True)
    conf = next((ws for ws in wb.worksheets if ws.title.lstrip("_") == CONF_SHEET), None)
    if conf is None:
        conf = wb.create_sheet(CONF_SHEET)
    conf.title = CONF_SHEET  # the quickstart ships it disabled as "_xlwings.conf"
    _fill_conf(conf)
    contacts = wb.worksheets[0]
    contacts.title = CONTACTS_SHEET
    _fill_contacts(contacts)
    _fill_summary(wb.create_sheet(SUMMARY_SHEET, 1))
    notes = wb.create_sheet("Instructions", 2)
    for line in INSTRUCTIONS:
        notes.append([line])
    notes.column_dimensions["A"].width = 110
    wb.active = 0
    stamp = datetime(2024, 1, 1)  # a stable file: rebuilding changes nothing that matters
    wb.properties.created = wb.properties.modified = stamp
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return str(out)


def write_template(path: str | os.PathLike[str], *, overwrite: bool = False) -> str:
    """Write the Excel template to ``path`` (a ``.xlsm`` file or a folder); returns the file.

    Copies the prebuilt template when it is found next to the package, else
    builds it from xlwings' quickstart workbook. An existing file is kept
    unless ``overwrite=True``.
    """
    out = Path(path).expanduser()
    if out.is_dir():
        out = out / TEMPLATE_NAME
    elif out.suffix.lower() != ".xlsm":
        out = out.with_suffix(".xlsm")  # Excel refuses macros in any other extension
    if out.exists() and not overwrite:
        raise ContactUDFError(f"{out} already exists; choose another path or delete it first")
    source = template_path()
    if source is None:
        return build_template(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, out)
    return str(out)
