"""Run an operation over a DataFrame: the functions behind ``df.contacts`` and the panel.

Big frames stream: only the distinct values of the needed columns are sent to
the engine (which dedupes again after normalizing and answers repeats from the
cache), in slices of :data:`CHUNK_SIZE` (run by :mod:`contact_udfs.faces.pandas.runs`), and
the answers are mapped back to the rows by position with vectorized ``take``. No
row dicts are built for ``verify``; ``find``/``enrich`` build one dict per
*distinct* person.

Output dtypes: text fields ``string``, flags nullable ``boolean``,
``confidence`` ``float64``, ``checked_at`` ``datetime64[ns, UTC]`` (:func:`output_dtype`).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Hashable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from ...api import Client, default_client
from ...core.columns import COLUMNS, DEFAULT_PREFIX, cell
from ...core.columns_detect import check_mapping, distinct_inputs
from ...core.reports import Estimate, RunReport
from ...models import RESULT_TYPES, Answer, Operation
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
CHUNK_SIZE = 20_000

#: answer field -> output dtype; every other field is ``string``
DTYPES: dict[str, str] = {
    **dict.fromkeys(("catch_all", "disposable", "role", "free", "from_cache", "syntax_valid",
                     "retryable"), "boolean"),
    "confidence": "float64",
    "checked_at": "datetime64[ns, UTC]",
}  # fmt: skip


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


def output_dtype(field: str) -> str:
    """The dtype of an output column, by answer field.

    >>> output_dtype("status"), output_dtype("free"), output_dtype("checked_at")
    ('string', 'boolean', 'datetime64[ns, UTC]')
    """
    return DTYPES.get(field, "string")


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
    names, targets = _targets(op, fields, prefix)
    existing = [t for t in targets if t in df.columns]
    if existing and not overwrite:
        raise ValueError(
            f"output columns already exist: {', '.join(map(repr, existing))}; "
            "pass overwrite=True or another prefix="
        )
    columns, report, cancelled = _solve(df, op, clean, names, targets, client, opts)
    return FrameRun(_attach(df, columns), report, cancelled)


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
def _targets(
    op: Operation, fields: Sequence[str] | None, prefix: str | None
) -> tuple[list[str], list[str]]:
    names = list(COLUMNS[op] if fields is None else fields)
    valid = [f.name for f in dataclasses.fields(RESULT_TYPES[op])]
    bad = [n for n in names if n not in valid]
    if bad or len(set(names)) != len(names):
        raise ValueError(
            f"unknown or repeated fields {bad or names!r} for {op.value}; "
            f"choose from {', '.join(valid)}"
        )
    pre = DEFAULT_PREFIX[op] if prefix is None else prefix
    return names, [pre + n for n in names]


def _solve(
    df: pd.DataFrame,
    op: Operation,
    mapping: Mapping[str, Hashable],
    names: list[str],
    targets: list[str],
    client: Client | None,
    opts: _Slices,
) -> tuple[dict[str, Any], RunReport, bool]:
    distinct = distinct_inputs(df, op, mapping)
    answers, report, cancelled = _ask(client or default_client(), op, distinct.items, opts)
    local = np.fromiter((a is not None and a.provider == "validation" for a in answers),
                        dtype=bool, count=len(answers))  # fmt: skip
    report.rows, report.invalid = len(df), int(local[distinct.codes].sum())
    columns = {
        target: _take(_array([_value(a, name) for a in answers], output_dtype(name)),
                      distinct.codes)
        for name, target in zip(names, targets, strict=True)
    }  # fmt: skip
    return columns, report, cancelled


def _attach(df: pd.DataFrame, columns: Mapping[str, Any]) -> pd.DataFrame:
    """``df`` plus ``columns`` (positional arrays), as a new frame; ``df`` is not touched."""
    replace = {k: v for k, v in columns.items() if k in df.columns}
    fresh = {k: v for k, v in columns.items() if k not in df.columns}
    out = df.copy(deep=not _copy_on_write())
    for name, values in replace.items():
        out[name] = values
    if not fresh:
        return out
    return pd.concat([out, pd.DataFrame(fresh, index=df.index)], axis=1)


# -- small helpers --------------------------------------------------------------------------
def _copy_on_write() -> bool:
    if int(pd.__version__.split(".")[0]) >= 3:
        return True
    return pd.options.mode.copy_on_write is True


def _value(answer: Answer | None, name: str) -> Any:
    if answer is None:
        return None
    value = getattr(answer, name, None)
    return value if isinstance(value, datetime) else cell(value)


def _array(values: list[Any], dtype: str) -> Any:
    if dtype == "string":
        return pd.array([None if v is None else str(v) for v in values], dtype="string")
    if dtype == "boolean":
        return pd.array([None if v is None else bool(v) for v in values], dtype="boolean")
    if dtype == "float64":
        return np.array([np.nan if v is None else float(v) for v in values], dtype="float64")
    return pd.to_datetime(pd.Series(values, dtype=object), utc=True).astype(dtype).array


def _take(array: Any, codes: np.ndarray) -> Any:
    return array[codes] if isinstance(array, np.ndarray) else array.take(codes)
