"""A CLI run over a file in batches of rows: read, answer, write, let go.

Why: ``contact-udfs verify big.csv -o out.csv`` on millions of rows must not hold
the file, its answers or the output in memory. Each batch of
:data:`~contact_udfs.faces.cli.files.BATCH_ROWS` rows is one engine call whose
rows are written out before the next batch is read, so memory stays that of
one batch whatever the file's size.

What spans the batches: the cache (a contact repeated in a later batch is
answered from it, at no cost), the progress bar (in rows), and the counts,
added batch by batch. Those counts are exact for credits, requests and rows;
``distinct`` and the per-provider answers count a contact once per batch it
appears in (a repeat in a later batch counts again, as from the cache).
Each cell is normalized once: the engine and the summary take the
normalized items as they are.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from typing import Any

from ...core.bulk import paused_gc
from ...core.columns import COLUMNS, DEFAULT_PREFIX, flatten
from ...core.items import normalize_item
from ...core.reports import RunReport
from ...core.summary import ProviderSummary, RunSummary, summarize
from ...models import Operation
from .files import Table, TableWriter, open_table

__all__ = ["run_in_batches"]

ItemsOf = Callable[[argparse.Namespace, Operation, Table], list[Any]]
EmailColumn = Callable[[Table, "str | None"], str]


def run_in_batches(
    args: argparse.Namespace,
    op: Operation,
    client_of: Callable[[argparse.Namespace], Any],
    items_of: ItemsOf,
    email_column: EmailColumn,
    progress: Callable[[argparse.Namespace], tuple[Any, Any]],
    batch: int | None = None,
) -> tuple[RunReport, RunSummary] | None:
    """Answer ``args.file`` into ``args.output`` batch by batch; the added-up counts.

    None, having done nothing, when a budget is configured: one budget needs the whole
    file's estimate up front, so such a run reads the file whole. ``items_of`` turns a
    batch into engine items; ``email_column`` finds the email column in the first batch
    (kept for every later one); ``progress`` gives the command's progress bar."""
    client = client_of(args)
    if client.settings.budget is not None:
        client.close()
        return None
    bar, _ = progress(args)
    try:
        return _answer_file(args, op, client, items_of, email_column,
                            None if bar is None else bar.update, batch)  # fmt: skip
    finally:
        if bar is not None:
            bar.close()
        client.close()


def _answer_file(
    args: argparse.Namespace,
    op: Operation,
    client: Any,
    items_of: ItemsOf,
    email_column: EmailColumn,
    tick: Callable[[int], None] | None,
    batch: int | None,
) -> tuple[RunReport, RunSummary]:
    report, total = RunReport(operation=op.value), RunSummary(op.value)
    steps = client.engine().chain(op)
    prefix = DEFAULT_PREFIX[op]
    with open_table(args.file, batch) as (header, batches):
        width = len(header)
        with TableWriter(args.output, header + [prefix + c for c in COLUMNS[op]]) as out:
            first = True
            for rows in chain_first(batches):
                table = Table(header, rows)
                if first and op is Operation.VERIFY:  # the first batch finds the column
                    column = email_column(table, getattr(args, "column", None))
                    args = argparse.Namespace(**{**vars(args), "column": column})
                first = False
                with paused_gc():  # one batch at a time: its garbage is collected after it
                    items = [normalize_item(op, value) for value in items_of(args, op, table)]
                    run = client.run(op, items, retry_unknown=args.retry_unknown)
                    counts = summarize(op, items, run.results, steps, report=run.report)
                    _add_summary(total, counts)
                    report.merge(run.report)
                    out.write(
                        row + [None] * (width - len(row)) + list(flatten(answer, op).values())
                        for row, answer in zip(rows, run.results, strict=True)
                    )
                if tick is not None:
                    tick(len(rows))
    return report, total


def chain_first(batches: Iterator[list[list[Any]]]) -> Iterator[list[list[Any]]]:
    """The batches, or one empty batch for a file without rows (so it is refused the same
    way a whole-file run refuses it)."""
    empty = True
    for rows in batches:
        empty = False
        yield rows
    if empty:
        yield []


def _add_summary(into: RunSummary, part: RunSummary) -> None:
    into.rows += part.rows
    into.distinct += part.distinct
    into.not_reached += part.not_reached
    mine = {p.provider: p for p in into.providers}
    for p in part.providers:
        have = mine.get(p.provider)
        if have is None:
            have = mine[p.provider] = ProviderSummary(p.provider)
            into.providers.append(have)
        for status, n in p.statuses.items():
            have.statuses[status] = have.statuses.get(status, 0) + n
        for name in ("answered", "from_cache", "asked", "credits_spent", "credits_saved"):
            setattr(have, name, getattr(have, name) + getattr(p, name))
