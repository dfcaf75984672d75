"""Answers as typed DataFrame columns: one definition for every DataFrame face.

``df.contacts`` (pandas) and ``ddf.contacts`` (Dask) must give the same columns
with the same dtypes, so the field list, the output dtypes and the conversion
of answers into arrays live here once. numpy and pandas are imported inside the
functions: the package itself does not need them.

Output dtypes: text fields ``string``, flags nullable ``boolean``,
``confidence`` ``float64``, ``checked_at`` ``datetime64[ns, UTC]`` (:func:`output_dtype`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from ..models import RESULT_TYPES, Answer, Operation
from .columns import COLUMNS, DEFAULT_PREFIX, cell

__all__ = [
    "DTYPES",
    "RowColumn",
    "answer_array",
    "answer_targets",
    "attach",
    "field_values",
    "output_dtype",
    "take",
]

#: answer field -> output dtype; every other field is ``string``
DTYPES: dict[str, str] = {
    **dict.fromkeys(("catch_all", "disposable", "role", "free", "from_cache", "syntax_valid",
                     "retryable"), "boolean"),
    "confidence": "float64",
    "checked_at": "datetime64[ns, UTC]",
}  # fmt: skip


def output_dtype(field: str) -> str:
    """The dtype of an output column, by answer field.

    >>> output_dtype("status"), output_dtype("free"), output_dtype("checked_at")
    ('string', 'boolean', 'datetime64[ns, UTC]')
    """
    return DTYPES.get(field, "string")


def answer_targets(
    op: Operation, fields: Sequence[str] | None, prefix: str | None
) -> tuple[list[str], list[str]]:
    """(answer fields, output column names) for ``op``; unknown or repeated fields refused."""
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


def answer_array(answers: Sequence[Answer | None], name: str) -> Any:
    """Field ``name`` of every answer as an array of :func:`output_dtype` (None: missing)."""
    return _array([None if a is None else getattr(a, name, None) for a in answers],
                  output_dtype(name))  # fmt: skip


class RowColumn:
    """One output column of ``rows`` rows, filled slice by slice where the slice's answers go.

    Why: a frame is answered in slices of distinct values spread over all its rows, and
    writing one slice must cost what the slice holds, not what the column holds. Flags,
    numbers and times are written in place; a text column backed by Arrow would copy
    itself whole on every write (a million rows, a hundred slices), so text is kept as
    codes into the texts seen so far (statuses, reasons and providers repeat: a handful
    of texts for a million rows) and becomes a column once, by :meth:`column`.
    """

    __slots__ = ("_codes", "_texts", "_values", "name")

    def __init__(self, name: str, rows: int) -> None:
        import numpy as np

        self.name = name
        self._texts: dict[str, int] = {}
        self._codes: Any = None
        self._values: Any = None
        if output_dtype(name) == "string":
            self._codes = np.full(rows, -1, dtype=np.int32)  # -1: missing
        else:
            self._values = take(answer_array([None], name), np.zeros(rows, dtype=np.intp))

    def fill(self, values: Sequence[Any], where: Any, pick: Any) -> None:
        """Rows ``where`` get the field values ``values[pick]`` (positions, element-wise);
        ``values`` are one slice's raw field values (:func:`field_values`)."""
        if not len(where):
            return
        if self._codes is None:
            self._values[where] = take(self._typed(values), pick)
            return
        self._codes[where] = self._text_codes(values)[pick]

    def column(self) -> Any:
        """The finished column (rows no slice answered are missing)."""
        import pandas as pd

        if self._codes is None:
            return self._values
        texts = pd.array(list(self._texts), dtype=output_dtype(self.name))
        return texts.take(self._codes, allow_fill=True)

    def _typed(self, values: Sequence[Any]) -> Any:
        """One slice's flags, numbers or times as a typed array, each distinct value
        converted once (a slice holds a handful: answers saved together share one
        ``checked_at``; flags are True, False or missing)."""

        dtype = output_dtype(self.name)
        grouped = _grouped(values)
        if grouped is None:  # an unhashable value: converted one by one
            return _array(list(values), dtype)
        local, uniques = grouped
        local[local < 0] = len(uniques)  # missing: the trailing None
        return take(_array([*uniques, None], dtype), local)

    def _text_codes(self, values: Sequence[Any]) -> Any:
        """Each value's text as its code (-1 for none); new texts join the table. Values
        are grouped before they become text: a slice holds a handful of statuses."""
        import numpy as np

        grouped = _grouped(values)
        if grouped is None:  # unhashable values (a list of candidates): as text first
            grouped = _grouped([_cell_text(v) for v in values])
            assert grouped is not None  # texts and None are hashable
        local, uniques = grouped
        table = self._texts
        known = [table.setdefault(t, len(table)) for t in map(_cell_text, uniques)]
        return np.array([*known, -1], dtype=np.int32)[local]  # missing: the trailing -1


def _grouped(values: Sequence[Any]) -> tuple[Any, Any] | None:
    """(each value's code, the distinct values) of one slice, -1 for missing ones;
    None when a value cannot be hashed."""
    import numpy as np
    import pandas as pd

    try:
        return pd.factorize(np.fromiter(values, dtype=object, count=len(values)))
    except TypeError:
        return None


def field_values(answers: Sequence[Answer | None], names: Sequence[str]) -> dict[str, Any]:
    """``{name: that field of every answer}`` (None for a missing answer or field).

    Read from each answer's state dict, one pass per field: an answer holds every field
    there (as :meth:`~contact_udfs.models.Answer.to_dict` reads it), and a dict lookup
    by key costs a third less than an attribute lookup, which asks the class first. A
    missing answer (or field) takes the general path.
    """
    from operator import itemgetter

    kinds = set(map(type, answers))
    # a property (``raw``, kept as JSON text until read) must be read as an attribute
    plain = not any(isinstance(getattr(k, n, None), property) for k in kinds for n in names)
    if plain:
        try:
            states = [a.__dict__ for a in answers]  # type: ignore[union-attr]
            return {n: list(map(itemgetter(n), states)) for n in names}
        except (AttributeError, KeyError):
            pass
    return {n: [None if a is None else getattr(a, n, None) for a in answers] for n in names}


def _cell_text(value: Any) -> str | None:
    return value if value is None or type(value) is str else _text(value)


def take(array: Any, codes: Any) -> Any:
    """``array`` picked by position (numpy or pandas extension array alike)."""
    return array[codes] if type(array).__module__ == "numpy" else array.take(codes)


def attach(df: Any, columns: Mapping[str, Any]) -> Any:
    """``df`` plus ``columns`` (positional arrays), as a new frame; ``df`` is not touched."""
    import pandas as pd

    replace = {k: v for k, v in columns.items() if k in df.columns}
    fresh = {k: v for k, v in columns.items() if k not in df.columns}
    out = df.copy(deep=not _copy_on_write())
    for name, values in replace.items():
        out[name] = values
    if not fresh:
        return out
    return pd.concat([out, pd.DataFrame(fresh, index=df.index)], axis=1)


def _copy_on_write() -> bool:
    import pandas as pd

    if int(pd.__version__.split(".")[0]) >= 3:
        return True
    return pd.options.mode.copy_on_write is True


def _text(value: Any) -> str:
    """A field that is not plain text (a status, a list of candidates...) as its cell text."""
    return str(cell(value))


def _array(values: list[Any], dtype: str) -> Any:
    """Raw field values as one typed array; plain text and flags go through untouched,
    since a column of a million answers is mostly those."""
    import numpy as np
    import pandas as pd

    if dtype == "string":
        return pd.array([v if v is None or type(v) is str else _text(v) for v in values],
                        dtype="string")  # fmt: skip
    if dtype == "boolean":
        return pd.array([None if v is None else bool(v) for v in values], dtype="boolean")
    if dtype == "float64":
        return np.array([np.nan if v is None else float(v) for v in values], dtype="float64")
    return pd.to_datetime(pd.Series(values, dtype=object), utc=True).astype(dtype).array
