"""The counts of a run over a DataFrame: as a small frame for notebooks, as bars for the panel.

Both come from :func:`contact_udfs.core.summary.summarize`, fed with the
answers read back from the result frame's own columns (status, provider,
from_cache and, for find/enrich, the address that settles a contact), one per
distinct input, weighted by the rows that share it. So the bars of the panel,
``df.contacts.summary(result)`` and the command line's summary count the same
way.
"""

from __future__ import annotations

import html
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...api import Client, default_client
from ...core.columns import DEFAULT_PREFIX
from ...core.columns_detect import check_mapping, distinct_inputs
from ...core.reports import RunReport
from ...core.summary import NOT_REACHED, STATUSES, RunSummary, summarize
from ...models import RESULT_TYPES, Operation

__all__ = ["COUNT_COLUMNS", "operation_of", "summarize_frame", "summary_html", "summary_table"]

#: the columns of :func:`summary_table`, one row per provider
COUNT_COLUMNS: tuple[str, ...] = (
    "rows", *STATUSES, "answered", "from_cache", "asked", "credits_spent", "credits_saved",
)  # fmt: skip

#: one colour per status, so a bar reads at a glance
_COLOURS = {"deliverable": "#2e7d32", "risky": "#f9a825", "undeliverable": "#c62828",
            "unknown": "#757575", "invalid": "#6a1b9a"}  # fmt: skip


def operation_of(result: pd.DataFrame, prefix: str | None = None) -> Operation:
    """The operation whose status column ``result`` has (``email_status`` -> verify...)."""
    found = [op for op in Operation
             if f"{DEFAULT_PREFIX[op] if prefix is None else prefix}status" in result.columns]
    if len(found) != 1:
        raise ValueError("say which run to count: operation='verify', 'find' or 'enrich'")
    return found[0]


def summarize_frame(
    df: pd.DataFrame,
    result: pd.DataFrame,
    operation: Operation | str,
    mapping: Mapping[str, Hashable | None],
    *,
    prefix: str | None = None,
    report: RunReport | None = None,
    providers: Sequence[str] | str | None = None,
    client: Client | None = None,
) -> RunSummary:
    """Count ``result`` (what a run over ``df`` returned) along the client's waterfall."""
    op = Operation(operation)
    if len(result) != len(df):
        raise ValueError(f"the result has {len(result)} rows and the frame {len(df)}: "
                         "pass the frame the run was made over")  # fmt: skip
    pre = DEFAULT_PREFIX[op] if prefix is None else prefix
    needed = [pre + name for name in ("status", "provider", "from_cache")]
    missing = [c for c in needed if c not in result.columns]
    if missing:
        raise ValueError(f"the result has no column {', '.join(map(repr, missing))}; "
                         "pass the prefix= of the run, or keep those fields")  # fmt: skip
    distinct = distinct_inputs(df, op, check_mapping(df.columns, op, mapping))
    _, first = np.unique(distinct.codes, return_index=True)
    weights = np.bincount(distinct.codes, minlength=len(distinct.items))
    columns = {name: result[pre + name].to_numpy(dtype=object)[first]
               for name in ("status", "provider", "from_cache", "email")
               if pre + name in result.columns}  # fmt: skip
    answers = [_answer(op, columns, i) for i in range(len(first))]
    chain = (client or default_client()).engine(providers).chain(op)
    return summarize(op, distinct.items, answers, chain, report=report, weights=weights.tolist())


def _answer(op: Operation, columns: Mapping[str, Any], i: int) -> Any:
    """The answer a row shows, rebuilt enough to say whether it settled the contact."""
    status, provider, cached = (columns[n][i] for n in ("status", "provider", "from_cache"))
    if pd.isna(status):
        return None  # a row a cancelled run never reached
    fields: dict[str, Any] = {
        "status": str(status),
        "provider": "" if pd.isna(provider) else str(provider),
        "from_cache": False if pd.isna(cached) else bool(cached),
    }
    if op is not Operation.VERIFY:
        email = columns["email"][i] if "email" in columns else None
        fields["email"] = None if email is None or pd.isna(email) else str(email)
    return RESULT_TYPES[op](**fields)


def summary_table(summary: RunSummary) -> pd.DataFrame:
    """One row per provider (waterfall order), integer columns ready for ``.plot()``."""
    records = {
        p.provider: [p.rows, *(p.statuses[s] for s in STATUSES), p.answered, p.from_cache,
                     p.asked, p.credits_spent, p.credits_saved]
        for p in summary.providers
    }  # fmt: skip
    if summary.not_reached:
        records[NOT_REACHED] = [summary.not_reached] + [0] * (len(COUNT_COLUMNS) - 1)
    table = pd.DataFrame.from_dict(records, orient="index", columns=list(COUNT_COLUMNS))
    table = table.astype("int64")
    table.index.name = "provider"
    table.columns.name = summary.operation
    return table


def summary_html(summary: RunSummary) -> str:
    """Three small bar charts: statuses, credits spent against saved, answers per provider."""
    statuses = [(s, n, _COLOURS[s]) for s, n in summary.statuses.items()]
    if summary.not_reached:
        statuses.append((NOT_REACHED, summary.not_reached, "#bdbdbd"))
    credits = [("spent", summary.credits_spent, "#1565c0"),
               ("saved by the cache", summary.credits_saved, "#26a69a")]  # fmt: skip
    answers = [(p.provider, p.answered, "#5c6bc0") for p in summary.providers]
    return (
        '<div class="cu-charts" style="display:flex;gap:2em;flex-wrap:wrap">'
        + _chart("cu-statuses", f"Statuses ({summary.rows:,} rows)", statuses)
        + _chart("cu-credits", "Credits", credits)
        + _chart("cu-answers", "Answers by provider (distinct contacts)", answers)
        + "</div>"
    )


def _chart(name: str, title: str, bars: list[tuple[str, int, str]]) -> str:
    top = max((n for _, n, _ in bars), default=0) or 1
    rows = "".join(
        f'<tr class="cu-bar" data-label="{html.escape(label)}" data-count="{n}">'
        f'<td style="padding-right:.5em">{html.escape(label)}</td>'
        f'<td style="width:12em"><div style="background:{colour};height:1em;'
        f'width:{100 * n / top:.1f}%;min-width:{1 if n else 0}px"></div></td>'
        f'<td style="text-align:right;padding-left:.5em">{n:,}</td></tr>'
        for label, n, colour in bars
    )
    return (f'<div class="cu-summary-chart {name}"><b>{html.escape(title)}</b>'
            f"<table>{rows}</table></div>")  # fmt: skip
