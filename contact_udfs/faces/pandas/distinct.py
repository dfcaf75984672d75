"""The distinct cells of an Arrow text column, without a Python object per cell.

Why: ``pd.factorize`` of a million-row Arrow string column builds a hash table
several times the size of the text (130 MiB at a million rows), and the
distinct values it returns become a million Python strings before the first
slice is asked. Here the cells are grouped by a stable sort of the column
(an index per row), and a slice's distinct values become Python strings only
when that slice is asked (:meth:`Cells.__getitem__`), so what a run holds for
its input is a few integers per row.

The result is the one ``factorize`` gives: distinct values in order of first
appearance, each row coded by its value, missing cells one last item ``None``.
Columns not stored as Arrow text take the general path
(:func:`~contact_udfs.core.columns_detect.distinct_inputs`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, overload

import numpy as np
import pandas as pd

__all__ = ["Cells", "distinct_cells"]

#: sorted neighbours compared per block (bounds the strings one comparison copies)
_BLOCK = 1 << 16


class Cells(Sequence[Any]):
    """Distinct cells of a column; ``codes`` gives each row's position among them."""

    def __init__(
        self, arrow: Any, firsts: Any, codes: Any, missing: bool,
        parse: Callable[[Any], list[Any]] | None = None,
    ) -> None:  # fmt: skip
        self._arrow = arrow
        #: what a slice's cells become (an Arrow array in, one item per cell out)
        self._parse = parse
        #: row of each distinct value's first appearance, in item order
        self._firsts = firsts
        #: per row, the position of its cell in this sequence
        self.codes = codes
        self._missing = missing

    def __len__(self) -> int:
        return len(self._firsts) + self._missing

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            stop = max(start, stop)
            import pyarrow as pa

            cells = self._arrow.take(self._firsts[start:stop])
            if self._missing and stop == len(self) and start < stop:
                cells = pa.concat_arrays([cells.combine_chunks(), pa.nulls(1, cells.type)])
            return cells.to_pylist() if self._parse is None else self._parse(cells)
        at = index + len(self) if index < 0 else index
        if not 0 <= at < len(self):
            raise IndexError(index)
        return self[at : at + 1][0]


def distinct_cells(
    values: pd.Series,
    parse: Callable[[Any], list[Any]] | None = None,
    key: Callable[[Any], Any] | None = None,
) -> Cells | None:
    """The distinct cells of ``values`` when it is Arrow-backed text, else None; ``parse``
    makes each slice's Arrow cells its items (else they are Python strings and None).

    With ``key`` (Arrow cells in, an Arrow array of keys out, null for "no key of its
    own"), spellings of one value that sort next to each other and share a key are one
    item: ``Ann@X.com`` and `` ann@x.com`` are asked, and answered, once. Their first
    row stands for them, so this is only for a ``parse`` that makes the same item of
    each (a caller that shows no spelling). Cells it does not merge stay apart, which
    is always right, only less frugal.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if getattr(values.dtype, "storage", None) != "pyarrow" or not isinstance(
        values.dtype, pd.StringDtype
    ):
        return None
    arrow = values.array.__arrow_array__()
    if isinstance(arrow, pa.Array):
        arrow = pa.chunked_array([arrow])
    n = len(arrow)
    valid = n - arrow.null_count
    # sorted by the text as typed once case and outer spaces are dropped, then as it is:
    # the variants of one address sit together, nulls last
    alike = pc.utf8_lower(pc.utf8_trim_whitespace(arrow))
    table = pa.table({"alike": alike, "cell": arrow})
    keys = [("alike", "ascending"), ("cell", "ascending")]
    order = np.asarray(pc.sort_indices(table, sort_keys=keys)).astype(np.intp, copy=False)
    order = order[:valid]
    del table
    starts = np.ones(valid, dtype=bool)  # where a new cell begins, in sorted order
    kin = np.ones(valid, dtype=bool)  # where a new family of variants begins
    for lo in range(1, valid, _BLOCK):
        hi = min(lo + _BLOCK, valid)
        rows = order[lo - 1 : hi]
        starts[lo:hi] = _differ(arrow.take(rows))
        kin[lo:hi] = _differ(alike.take(rows))
    del alike
    group = np.cumsum(starts, dtype=np.int32) - 1
    first = order[starts]  # the sort is stable: each cell's first row
    # a family's first row, for each of its cells (families are runs of cells)
    kin = kin[starts]
    family = np.cumsum(kin) - 1
    family_first = np.minimum.reduceat(first, np.flatnonzero(kin))[family] \
        if len(first) else first  # fmt: skip
    # items: runs of cells (in sorted order) of one family sharing one key, else cells
    alone = np.ones(len(first), dtype=bool) if key is None else kin | ~_same_key(arrow, first, key)
    unit = np.cumsum(alone, dtype=np.int32) - 1
    heads = np.flatnonzero(alone)
    unit_first = np.minimum.reduceat(first, heads) if len(first) else first
    unit_family_first = family_first[heads]
    # items in order of their family's first appearance, then of their own: with no
    # variants that is the order of first appearance; with them, a family is one run
    rank = np.lexsort((unit_first, unit_family_first))
    renumber = np.empty(len(rank), dtype=np.int32)
    renumber[rank] = np.arange(len(rank), dtype=np.int32)
    codes = np.full(n, len(rank), dtype=np.int32)  # missing cells: the last item
    codes[order] = renumber[unit[group]]
    return Cells(arrow, unit_first[rank], codes, valid < n, parse)


def _same_key(arrow: Any, first: Any, key: Callable[[Any], Any]) -> Any:
    """For each distinct cell (in sorted order), whether its key is the one before's, both
    keys not null; worked out per block, so no column of keys is ever held whole."""
    import pyarrow.compute as pc

    same = np.zeros(len(first), dtype=bool)
    for lo in range(1, len(first), _BLOCK):
        hi = min(lo + _BLOCK, len(first))
        keys = key(arrow.take(first[lo - 1 : hi]))
        same[lo:hi] = pc.fill_null(pc.equal(keys[1:], keys[:-1]), False).to_numpy(
            zero_copy_only=False
        )
    return same


def _differ(block: Any) -> Any:
    """For each value of ``block`` after the first, whether it differs from the one before."""
    import pyarrow.compute as pc

    return ~pc.equal(block[1:], block[:-1]).to_numpy(zero_copy_only=False)
