"""Reading and writing the CLI's CSV/XLSX files.

Outputs neutralize formula injection: a text cell starting with ``= + - @``
(or a tab/CR) gets a leading ``'`` so a spreadsheet shows it as text instead
of running it. Inputs that cannot be read raise
:class:`~contact_udfs.exceptions.InputFileError` with the reason.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...exceptions import InputFileError

__all__ = ["Table", "neutralize", "read_table", "write_table"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
MAX_FIELD = 1 << 20  # 1 MiB: a cell larger than this is malformed input, not data


@dataclass
class Table:
    """A sheet as a header and rows of strings (or None for empty cells)."""

    header: list[str]
    rows: list[list[Any]]

    def column(self, name: str) -> list[Any]:
        idx = self.header.index(name)
        return [row[idx] if idx < len(row) else None for row in self.rows]

    def records(self) -> list[dict[str, Any]]:
        n = len(self.header)
        return [dict(zip(self.header, (row + [None] * n)[:n])) for row in self.rows]


def _xlsx_safe(value: Any) -> Any:
    """XML cannot hold most control characters; Excel's own ``_xHHHH_`` escape keeps them."""
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        return ILLEGAL_CHARACTERS_RE.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    return value


def neutralize(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _dedupe_header(header: Sequence[Any]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, raw in enumerate(header):
        name = str(raw).strip() if raw is not None and str(raw).strip() else f"column_{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out


def _read_csv(path: Path) -> Table:
    data = path.read_bytes()
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        data = data.decode("utf-16", errors="replace").encode("utf-8")  # Excel's Unicode Text
    if b"\x00" in data[:4096]:
        raise InputFileError(f"{path} looks binary, not a CSV file")
    for encoding in _ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - latin-1 decodes anything
        raise InputFileError(f"{path}: unknown text encoding")
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    csv.field_size_limit(MAX_FIELD)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as exc:
        raise InputFileError(f"{path} is not a readable CSV file: {exc}") from None
    if not rows:
        raise InputFileError(f"{path} is empty")
    header = _dedupe_header(rows[0])
    body = [
        [c if c != "" else None for c in row] for row in rows[1:] if any(c.strip() for c in row)
    ]
    return Table(header, body)


def _read_xlsx(path: Path) -> Table:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise InputFileError(f"{path} is not a readable XLSX file: {exc}") from None
    try:
        ws = wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        first = next(it, None)
        if first is None:
            raise InputFileError(f"{path} has an empty first sheet")
        header = _dedupe_header(first)
        body = [list(r) for r in it if any(c is not None and str(c).strip() for c in r)]
    finally:
        wb.close()
    return Table(header, body)


def read_table(path: str | os.PathLike[str]) -> Table:
    """Read a CSV (any common delimiter/encoding) or XLSX file."""
    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"{p} does not exist or is not a file")
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(p)
    if p.suffix.lower() == ".xls":
        raise InputFileError(f"{p}: old .xls files are not supported; save it as .xlsx or .csv")
    return _read_csv(p)


def write_table(
    path: str | os.PathLike[str], header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Write CSV or XLSX (by suffix), neutralizing formula injection."""
    p = Path(path)
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl

        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("results")
        ws.append([_xlsx_safe(neutralize(h)) for h in header])
        for row in rows:
            ws.append([_xlsx_safe(neutralize(v)) for v in row])
        wb.save(p)
        return
    with p.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([neutralize(h) for h in header])
        for row in rows:
            writer.writerow(["" if v is None else neutralize(v) for v in row])
