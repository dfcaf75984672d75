"""Reading and writing the CLI's CSV/XLSX files, whole or in batches of rows.

Outputs neutralize formula injection: a text cell starting with ``= + - @``
(or a tab/CR) gets a leading ``'`` so a spreadsheet shows it as text instead
of running it. Inputs that cannot be read raise
:class:`~contact_udfs.exceptions.InputFileError` with the reason.
"""

from __future__ import annotations

import codecs
import csv
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from ...exceptions import InputFileError

__all__ = [
    "BATCH_ROWS", "Table", "TableWriter", "neutralize", "open_table", "read_table", "write_table",
]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
MAX_FIELD = 1 << 20  # 1 MiB: a cell larger than this is malformed input, not data
#: rows read, answered and written at a time by a streamed run
BATCH_ROWS = 20_000


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
    with _open_csv(path) as (header, rows):
        return Table(header, list(rows))


#: bytes decoded at a time while checking a file's encoding (memory stays flat)
_BLOCK = 1 << 20


def _encoding_of(path: Path) -> str:
    """The first of :data:`_ENCODINGS` that decodes the whole file, read block by block."""
    for encoding in _ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as fh:
                while block := fh.read(_BLOCK):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise InputFileError(f"{path}: unknown text encoding")  # pragma: no cover - latin-1 decodes


@contextmanager
def _open_csv(path: Path) -> Iterator[tuple[list[str], Iterator[list[Any]]]]:
    """(header, rows) of a CSV, the rows read as they are asked for."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, errors = "utf-16", "replace"  # Excel's Unicode Text
    elif b"\x00" in head:
        raise InputFileError(f"{path} looks binary, not a CSV file")
    else:
        encoding, errors = _encoding_of(path), "strict"
    with path.open(encoding=encoding, errors=errors, newline="") as fh:
        sample = fh.read(8192)
        fh.seek(0)
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
        csv.field_size_limit(MAX_FIELD)
        reader = csv.reader(fh, dialect)
        try:
            first = next(reader, None)
        except csv.Error as exc:
            raise InputFileError(f"{path} is not a readable CSV file: {exc}") from None
        if first is None:
            raise InputFileError(f"{path} is empty")

        def rows() -> Iterator[list[Any]]:
            try:
                for row in reader:
                    if any(c.strip() for c in row):
                        yield [c if c != "" else None for c in row]
            except csv.Error as exc:
                raise InputFileError(f"{path} is not a readable CSV file: {exc}") from None

        yield _dedupe_header(first), rows()


def _read_xlsx(path: Path) -> Table:
    with _open_xlsx(path) as (header, rows):
        return Table(header, list(rows))


@contextmanager
def _open_xlsx(path: Path) -> Iterator[tuple[list[str], Iterator[list[Any]]]]:
    """(header, rows) of the first sheet, read row by row (openpyxl's read-only mode)."""
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
        rows = (list(r) for r in it if any(c is not None and str(c).strip() for c in r))
        yield _dedupe_header(first), rows
    finally:
        wb.close()


def _checked(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"{p} does not exist or is not a file")
    if p.suffix.lower() == ".xls":
        raise InputFileError(f"{p}: old .xls files are not supported; save it as .xlsx or .csv")
    return p


@contextmanager
def open_table(
    path: str | os.PathLike[str], batch: int | None = None
) -> Iterator[tuple[list[str], Iterator[list[list[Any]]]]]:
    """(header, batches of at most ``batch`` rows, default :data:`BATCH_ROWS`) of a CSV or
    XLSX file, read as the batches are asked for: one batch is held, whatever the file's
    size."""
    p = _checked(path)
    opener = _open_xlsx if p.suffix.lower() in (".xlsx", ".xlsm") else _open_csv
    with opener(p) as (header, rows):

        def batches() -> Iterator[list[list[Any]]]:
            size = max(int(batch or BATCH_ROWS), 1)
            while chunk := list(islice(rows, size)):
                yield chunk

        yield header, batches()


def read_table(path: str | os.PathLike[str]) -> Table:
    """Read a CSV (any common delimiter/encoding) or XLSX file."""
    p = _checked(path)
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(p)
    return _read_csv(p)


class TableWriter:
    """Rows written as they come, to a temporary file beside ``path`` that takes its
    name only when every row is written (a run that fails leaves no half file)."""

    def __init__(self, path: str | os.PathLike[str], header: Sequence[str]) -> None:
        self.path = Path(path)
        self._tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.part")
        self._xlsx = self.path.suffix.lower() in (".xlsx", ".xlsm")
        if self._xlsx:
            import openpyxl

            self._wb = openpyxl.Workbook(write_only=True)
            self._ws = self._wb.create_sheet("results")
            self._ws.append([_xlsx_safe(neutralize(h)) for h in header])
        else:
            self._fh = self._tmp.open("w", newline="", encoding="utf-8")
            self._csv = csv.writer(self._fh)
            self._csv.writerow([neutralize(h) for h in header])

    def write(self, rows: Iterable[Sequence[Any]]) -> None:
        if self._xlsx:
            for row in rows:
                self._ws.append([_xlsx_safe(neutralize(v)) for v in row])
        else:
            self._csv.writerows(["" if v is None else neutralize(v) for v in row] for row in rows)

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        try:
            if self._xlsx:
                if kind is None:
                    self._wb.save(self._tmp)
            else:
                self._fh.close()
            if kind is None:
                os.replace(self._tmp, self.path)
        finally:
            if self._tmp.exists():
                self._tmp.unlink()


def write_table(
    path: str | os.PathLike[str], header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Write CSV or XLSX (by suffix), neutralizing formula injection."""
    with TableWriter(path, header) as writer:
        writer.write(rows)
