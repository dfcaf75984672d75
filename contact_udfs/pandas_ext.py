"""``df.contacts``: verify, find and enrich the contacts of a DataFrame, paying once each.

``import contact_udfs`` registers the accessor. Every method returns a **new**
DataFrame aligned to ``df.index`` (duplicate labels included) and leaves ``df``
untouched, so calls chain::

    df.contacts.verify("email").query("email_status == 'deliverable'")

Big frames stream: only the distinct values of the needed columns are sent to
the engine (which dedupes again after normalizing and answers repeats from the
cache), in slices of :data:`CHUNK_SIZE` (run by :mod:`contact_udfs.frame_runs`), and
the answers are mapped back to the rows by position with vectorized ``take``. No
row dicts are built for ``verify``; ``find``/``enrich`` build one dict per
*distinct* person.

The accessor keeps no state (pandas 3 rebuilds it on every access): the client,
the cache and the credit ledger live in :class:`~contact_udfs.api.Client`.
Output dtypes: text fields ``string``, flags nullable ``boolean``,
``confidence`` ``float64``, ``checked_at`` ``datetime64[ns, UTC]`` (:func:`output_dtype`).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Hashable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np
import pandas as pd

from .api import Client, default_client
from .columns import COLUMNS, DEFAULT_PREFIX, cell
from .columns_detect import ROLES, check_mapping, detect_columns, distinct_inputs
from .frame_runs import ProgressArg, _ask, _Slices
from .frame_runs import _Bar as _Bar  # moved with the slice runner: still importable from here
from .frame_runs import _merge as _merge
from .frame_runs import _refuse_over_budget as _refuse_over_budget
from .frame_runs import _settings_budget as _settings_budget
from .models import RESULT_TYPES, Answer, Operation
from .reports import Estimate, RunReport

if TYPE_CHECKING:  # pragma: no cover
    from typing_extensions import Unpack

    from .widgets import ContactsPanel

__all__ = [
    "CHUNK_SIZE",
    "DTYPES",
    "ContactsAccessor",
    "ContactsSeriesAccessor",
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
_SERIES_INPUT = "__contacts_input__"


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


# -- the accessors ----------------------------------------------------------------------------
@pd.api.extensions.register_dataframe_accessor("contacts")
class ContactsAccessor:
    """``df.contacts``: every method returns a new frame aligned to ``df.index``.

    Options shared by :meth:`verify`, :meth:`find` and :meth:`enrich`:
    ``providers`` (waterfall order, default from the settings), ``fields``
    (answer fields to add, default :data:`contact_udfs.columns.COLUMNS`),
    ``prefix`` (default ``email_``/``found_``/``enriched_``), ``retry_unknown``
    (ask again about retryable ``unknown`` answers: a conscious spend),
    ``budget`` (most credits the call may spend; above it
    :class:`~contact_udfs.BudgetExceededError` is raised and nothing is sent),
    ``progress`` (a tqdm bar; ``False`` for none), ``client`` (default
    :func:`~contact_udfs.default_client`) and ``overwrite`` (replace existing
    output columns instead of refusing with ``ValueError``).

    Examples:
        >>> import pandas as pd, contact_udfs
        >>> df = pd.DataFrame({"Email": ["ada@acme.com", None]})
        >>> df.contacts.detect("verify")
        {'email': 'Email'}
        >>> client = contact_udfs.Client(providers=["local"])   # doctest: +SKIP
        >>> df.contacts.verify(client=client)["email_status"].tolist()  # doctest: +SKIP
        ['unknown', 'invalid']
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        # the frame is the only attribute: pandas 3 builds a new accessor per access
        self._frame = frame

    def detect(self, operation: Operation | str = "verify") -> dict[str, Hashable]:
        """The ``{field: column}`` mapping auto-detection picks for ``operation``."""
        return detect_columns(self._frame.columns, operation, frame=self._frame)

    def verify(self, column: Hashable | None = None, **options: Unpack[RunOptions]) -> pd.DataFrame:
        """Add the verdict on each address: ``email_status``, ``email_reason``... .

        ``column`` defaults to the detected address column (``email``,
        ``E-mail``, ``Courriel``...). Empty cells and non-addresses are
        answered ``invalid`` locally, for free.
        """
        return self._run(Operation.VERIFY, {"email": column} if column is not None else None,
                         options)  # fmt: skip

    def find(
        self,
        first_name: Hashable | None = None,
        last_name: Hashable | None = None,
        domain: Hashable | None = None,
        *,
        company: Hashable | None = None,
        full_name: Hashable | None = None,
        website: Hashable | None = None,
        **options: Unpack[RunOptions],
    ) -> pd.DataFrame:
        """Add the address found for each person: ``found_email``, ``found_confidence``... .

        Arguments name columns: first and last name (or ``full_name``) plus
        ``domain``, ``company`` or ``website``. With none given the columns are
        detected from the headers.
        """
        given = {"first_name": first_name, "last_name": last_name, "domain": domain,
                 "company": company, "full_name": full_name, "website": website}  # fmt: skip
        mapping = {k: v for k, v in given.items() if v is not None}
        return self._run(Operation.FIND, mapping or None, options)

    def enrich(
        self,
        columns: Mapping[str, Hashable | None] | None = None,
        **options: Unpack[RunOptions],
    ) -> pd.DataFrame:
        """Add Dropcontact's enrichment (``enriched_email``, ``enriched_job``, siren...).

        ``columns`` maps Dropcontact input fields to columns, e.g.
        ``{"first_name": "Prénom", "company": "Société"}``; by default they are
        detected from the headers (see :meth:`detect`).
        """
        return self._run(Operation.ENRICH, columns, options)

    def estimate(
        self,
        operation: Operation | str = "verify",
        columns: Hashable | Mapping[str, Hashable | None] | None = None,
        *,
        providers: Sequence[str] | str | None = None,
        retry_unknown: bool = False,
        client: Client | None = None,
    ) -> Estimate:
        """What the call would cost now, per provider, with what is cached; spends nothing.

        ``columns`` is the address column for verify, else a ``{field: column}``
        mapping; default: detected. ``.credits`` maps provider to credits.
        """
        op = Operation(operation)
        if columns is not None and not isinstance(columns, Mapping):
            columns = {ROLES[op][0]: columns}
        mapping = self._mapping(op, columns)
        opts = {"providers": providers, "retry_unknown": retry_unknown, "client": client}
        return estimate_frame(self._frame, op, mapping, **opts)

    def panel(self, **kwargs: Any) -> ContactsPanel:
        """A Jupyter panel over this frame: :class:`contact_udfs.widgets.ContactsPanel`."""
        from .widgets import ContactsPanel

        return ContactsPanel(self._frame, **kwargs)

    def _mapping(
        self, op: Operation, mapping: Mapping[str, Hashable | None] | None
    ) -> Mapping[str, Hashable | None]:
        return detect_columns(self._frame.columns, op, frame=self._frame) if mapping is None \
            else mapping  # fmt: skip

    def _run(
        self, op: Operation, mapping: Mapping[str, Hashable | None] | None, options: RunOptions
    ) -> pd.DataFrame:
        return run_frame(self._frame, op, self._mapping(op, mapping), **options).frame


@pd.api.extensions.register_series_accessor("contacts")
class ContactsSeriesAccessor:
    """``s.contacts``: verify one column of addresses on its own.

    Returns only the answer columns, unprefixed (``status``, ``reason``...),
    indexed like the series; options as for ``df.contacts.verify``.
    """

    def __init__(self, series: pd.Series) -> None:
        self._series = series

    def verify(self, **options: Unpack[RunOptions]) -> pd.DataFrame:
        """One row of answer columns per value of the series."""
        frame = self._series.to_frame(name=_SERIES_INPUT)
        options.setdefault("prefix", "")
        done = run_frame(frame, Operation.VERIFY, {"email": _SERIES_INPUT}, **options)
        return done.frame.drop(columns=_SERIES_INPUT)

    def estimate(self, **options: Any) -> Estimate:
        """What verifying the series would cost now; spends nothing."""
        frame = self._series.to_frame(name=_SERIES_INPUT)
        return estimate_frame(frame, Operation.VERIFY, {"email": _SERIES_INPUT}, **options)
