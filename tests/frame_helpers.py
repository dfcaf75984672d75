"""What the pandas and Dask face tests share: the documented dtypes and test sheets.

Both faces promise the same columns and dtypes, and both are judged on sheets of
world addresses with repeats, so these live once, beside the tests that use them.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from contact_udfs.identity import normalize_email
from contact_udfs.sandbox.world import get_world

#: documented in docs/pandas.md and the accessor's module docstring
VERIFY_DTYPES = {
    "email_status": "string", "email_reason": "string", "email_catch_all": "boolean",
    "email_disposable": "boolean", "email_role": "boolean", "email_free": "boolean",
    "email_suggestion": "string", "email_provider": "string", "email_from_cache": "boolean",
    "email_checked_at": "datetime64[ns, UTC]",
}  # fmt: skip


def sheet(distinct: int, duplicates: int, seed: int = 1, *, messy: bool = False) -> pd.DataFrame:
    """``distinct`` world addresses plus ``duplicates`` repeats (half upper-cased), shuffled.

    ``messy`` adds a few bad cells (``None``, ``"n/a"``) and heavily duplicated
    index labels, so answers must go back by position.
    """
    rng = np.random.default_rng(seed)
    emails = get_world(0).sample_emails(distinct, seed=seed)
    picks = rng.integers(0, distinct, duplicates)
    repeats = [emails[i].upper() if n % 2 else emails[i] for n, i in enumerate(picks)]
    column = np.array(emails + repeats, dtype=object)
    rng.shuffle(column)
    if not messy:
        return pd.DataFrame({"email": column, "row": np.arange(len(column))})
    bad = rng.choice(len(column), min(100, len(column) // 10), replace=False)
    column[bad[::2]] = None
    column[bad[1::2]] = "n/a"
    labels = rng.integers(0, max(len(column) // 10, 1), len(column))
    return pd.DataFrame({"email": column, "row": np.arange(len(column))}, index=labels)


def distinct_valid(values: pd.Series) -> int:
    """How many distinct valid addresses a column holds: what a run may charge."""
    return len({normalize_email(v).key for v in values} - {None})


def outputs_text(nb: object) -> str:
    """Every text a run notebook printed or displayed, joined."""
    parts: list[str] = []
    for cell in nb.cells:  # type: ignore[attr-defined]
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            parts.append(out.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def until(condition: Callable[[], object], timeout: float, what: str) -> None:
    """Wait on the simulator's or the cluster's state (bounded), never a fixed sleep."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
