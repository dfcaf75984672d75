"""Run an operation over a DataFrame: the functions behind ``df.contacts`` and the panel.

Big frames stream: only the distinct values of the needed columns are sent to
the engine (which dedupes again after normalizing and answers repeats from the
cache), in slices of :data:`CHUNK_SIZE` (run by :mod:`contact_udfs.faces.pandas.runs`),
and each slice's answers are written into the rows they answer as soon as it ends
(:class:`~contact_udfs.core.answer_columns.RowColumn`). No row dicts are built for
``verify`` (an Arrow text column is not even made Python strings up front:
:mod:`contact_udfs.faces.pandas.distinct`); ``find``/``enrich`` build one dict per
*distinct* person.

Output dtypes: text fields ``string``, flags nullable ``boolean``,
``confidence`` ``float64``, ``checked_at`` ``datetime64[ns, UTC]`` (:func:`output_dtype`).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Hashable, Mapping, Sequence
from functools import partial
from itertools import repeat
from operator import eq
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from ...api import Client, default_client
from ...core.answer_columns import (
    DTYPES,
    RowColumn,
    answer_targets,
    attach,
    field_values,
    output_dtype,
)
from ...core.columns_detect import check_mapping, distinct_inputs
from ...core.items import email_items
from ...core.reports import Estimate, RunReport
from ...identity import fast_email_keys
from ...models import Operation
from .distinct import Cells, distinct_cells
from .runs import ProgressArg, _ask, _Slices

__all__ = [
    "CHUNK_SIZE",
    "DTYPES",
    "FrameRun",
    "RunOptions",
    "estimate_frame",
    "output_dtype",
    "run_frame",
]

#: distinct items per engine call: bounds memory; each slice is one waterfall run
CHUNK_SIZE = 10_000


class RunOptions(TypedDict, total=False):
    """Keyword options of ``verify``/``find``/``enrich``; see :class:`ContactsAccessor`."""

    providers: Sequence[str] | str | None
    fields: Sequence[str] | None
    prefix: str | None
    retry_unknown: bool
    budget: float | None
    progress: ProgressArg
    client: Client | None
    overwrite: bool


@dataclasses.dataclass
class FrameRun:
    """A new frame plus what it cost; ``cancelled`` when stopped between slices."""

    frame: pd.DataFrame
    report: RunReport
    cancelled: bool = False


# -- public functions (the accessor and the panel are thin layers on these) ----------------
def run_frame(
    df: pd.DataFrame,
    operation: Operation | str,
    mapping: Mapping[str, Hashable | None],
    *,
    providers: Sequence[str] | str | None = None,
    fields: Sequence[str] | None = None,
    prefix: str | None = None,
    retry_unknown: bool = False,
    budget: float | None = None,
    progress: ProgressArg = True,
    client: Client | None = None,
    overwrite: bool = False,
    chunk_size: int = CHUNK_SIZE,
    cancel: threading.Event | None = None,
) -> FrameRun:
    """Answer ``operation`` for every row of ``df``; a new frame with the answer columns.

    ``mapping`` is ``{field: column}`` (``{"email": "Email"}`` for verify);
    the other arguments are those of the accessor methods, plus ``chunk_size``
    (distinct items per engine call) and ``cancel`` (an event checked between
    slices; answers already received stay cached). ``progress`` may also be a
    callable ``f(done, total)`` over distinct items.
    """
    op = Operation(operation)
    opts = _Slices(providers, retry_unknown, budget, progress, chunk_size, cancel)
    clean = check_mapping(df.columns, op, mapping)
    names, targets = answer_targets(op, fields, prefix)
    existing = [t for t in targets if t in df.columns]
    if existing and not overwrite:
        raise ValueError(
            f"output columns already exist: {', '.join(map(repr, existing))}; "
            "pass overwrite=True or another prefix="
        )
    columns, report, cancelled = _solve(df, op, clean, names, targets, client, opts)
    return FrameRun(attach(df, columns), report, cancelled)


def estimate_frame(
    df: pd.DataFrame,
    operation: Operation | str,
    mapping: Mapping[str, Hashable | None],
    *,
    providers: Sequence[str] | str | None = None,
    retry_unknown: bool = False,
    client: Client | None = None,
) -> Estimate:
    """Credits per provider a run would spend now (cache counted); sends nothing.

    ``rows`` is the number of rows; the other counts are over distinct values.
    """
    op = Operation(operation)
    distinct = distinct_inputs(df, op, check_mapping(df.columns, op, mapping))
    est = (client or default_client()).estimate(
        distinct.items, op, providers=providers, retry_unknown=retry_unknown
    )
    return dataclasses.replace(est, rows=len(df))


# -- the steps ----------------------------------------------------------------------------
def _solve(
    df: pd.DataFrame,
    op: Operation,
    mapping: Mapping[str, Hashable],
    names: list[str],
    targets: list[str],
    client: Client | None,
    opts: _Slices,
) -> tuple[dict[str, Any], RunReport, bool]:
    cells = _email_cells(df[mapping["email"]], shown="email" in names) \
        if op is Operation.VERIFY else None  # fmt: skip
    if cells is None:
        distinct = distinct_inputs(df, op, mapping)
        codes, items = distinct.codes, distinct.items
    else:  # Arrow text: no Python string per cell before its slice is asked
        codes, items = cells.codes, cells
    rows = _Rows(codes)
    columns = {name: RowColumn(name, rows.n) for name in names}
    local: list[Any] = []
    # the provider tells the rows rejected locally, shown or not
    read = names if "provider" in names else [*names, "provider"]
    done = 0

    def collect(answers: Sequence[Any]) -> None:
        """One slice's answers go straight into the rows they answer: no answer, and no
        column of distinct values, outlives its slice."""
        nonlocal done
        fields = field_values(answers, read)
        # rejected locally: the provider is "validation" (None for an answer never asked)
        local.append(np.fromiter(map(eq, fields["provider"], repeat("validation")), dtype=bool,
                                 count=len(answers)))  # fmt: skip
        where, pick = rows.of(done, done + len(answers))
        for name in names:
            columns[name].fill(fields[name], where, pick)
        done += len(answers)

    report, cancelled = _ask(client or default_client(), op, items, opts, collect)
    flags = np.concatenate(local) if local else np.zeros(0, dtype=bool)
    report.rows, report.invalid = len(df), int(flags[codes].sum())
    out = {target: columns.pop(name).column() for name, target in zip(names, targets, strict=True)}
    return out, report, cancelled


def _email_cells(column: pd.Series, shown: bool) -> Cells | None:
    """The distinct cells to verify (None: not Arrow text). The cell as typed is carried
    into the answers only when the ``email`` field is shown; when it is not, the
    spellings of one plain address are one item (asked, answered and written once)."""
    if shown:
        return distinct_cells(column, email_items)
    return distinct_cells(column, partial(email_items, shown=False), key=fast_email_keys)


class _Rows:
    """Which rows each slice of distinct values answers: the rows sorted once by the
    distinct value they show, so a slice's rows are one contiguous run of that order."""

    def __init__(self, codes: Any) -> None:
        self.n = len(codes)
        self.order = np.argsort(codes, kind="stable")
        self.sorted = codes[self.order]

    def of(self, start: int, stop: int) -> tuple[Any, Any]:
        """(row positions, index into the slice) for distinct values ``start:stop``."""
        lo, hi = np.searchsorted(self.sorted, [start, stop])
        return self.order[lo:hi], self.sorted[lo:hi] - start
