"""The ``contact-udfs`` command.

Exit codes: 0 ok, 1 other error, 2 bad usage or unreadable input file,
3 budget refused (nothing spent), 4 provider auth/quota error.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from ...core.columns import COLUMNS, DEFAULT_PREFIX, cell, flatten
from ...core.summary import summarize
from ...exceptions import (
    AuthenticationError,
    BudgetExceededError,
    ConfigurationError,
    ContactUDFError,
    InputFileError,
    QuotaExceededError,
)
from ...models import Answer, Operation
from .files import Table, neutralize, read_table, write_table
from .parser import FIND_FLAGS, build_parser

__all__ = ["main"]

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_BUDGET, EXIT_PROVIDER = 0, 1, 2, 3, 4

#: what a terminal would act on: C0/C1 controls and bidi overrides
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str, *, json_escape: bool = False) -> str:
    """``text`` with control characters shown as escapes, so a hostile cell cannot
    drive the terminal and a message stays on one line."""

    def esc(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"\\u{code:04x}" if json_escape or code > 0xFF else f"\\x{code:02x}"

    return _UNPRINTABLE.sub(esc, text)


def _names(header: Sequence[str], shown: int = 10) -> str:
    """Column names for a message: escaped, and at most ``shown`` of them."""
    names = ", ".join(printable(h) for h in header[:shown])
    return names + (f" (and {len(header) - shown} more)" if len(header) > shown else "")


EMAIL_HEADERS = (
    "email",
    "e-mail",
    "mail",
    "email address",
    "email_address",
    "courriel",
    "adresse email",
)
def _client(args: argparse.Namespace) -> Any:
    from ...api import Client

    return Client(providers=args.providers, cache=args.cache)


def _email_column(table: Table, wanted: str | None) -> str:
    if wanted:
        if wanted not in table.header:
            raise InputFileError(f"no column {wanted!r}; the file has: {_names(table.header)}")
        return wanted
    for name in table.header:
        if name.strip().lower() in EMAIL_HEADERS:
            return name
    for name in table.header:
        values = [v for v in table.column(name)[:200] if isinstance(v, str) and v.strip()]
        if values and sum("@" in v for v in values) >= len(values) / 2:
            return name
    raise InputFileError(f"no email column found in {_names(table.header)}; name it with --column")


def _items(args: argparse.Namespace, op: Operation, table: Table) -> list[Any]:
    if op is Operation.VERIFY:
        return table.column(_email_column(table, getattr(args, "column", None)))
    records = table.records()
    mapping = {flag: getattr(args, flag, None) for flag in FIND_FLAGS}
    for col in mapping.values():
        if col and col not in table.header:
            raise InputFileError(f"no column {col!r}; the file has: {_names(table.header)}")
    if any(mapping.values()):
        renamed = []
        for rec in records:
            new = {k: v for k, v in rec.items() if k not in mapping.values()}
            new.update({flag: rec.get(col) for flag, col in mapping.items() if col})
            renamed.append(new)
        records = renamed
    return records


def _progress(args: argparse.Namespace) -> tuple[Any, Any]:
    if args.no_progress:
        return None, None
    from tqdm.auto import tqdm

    bar = tqdm(total=0, unit="contact", file=sys.stderr, disable=None, leave=False)

    def update(done: int, total: int) -> None:
        if bar.total != total:
            bar.reset(total=total)
        bar.n = done
        bar.refresh()

    return bar, update


def _print_results(
    out: TextIO, fmt: str, op: Operation, table: Table, items: list[Any], results: Sequence[Answer]
) -> None:
    cols = COLUMNS[op]
    if fmt == "json":
        for item, ans in zip(items, results):
            row = {"input": cell(item) if not isinstance(item, dict) else item, **flatten(ans, op)}
            line = json.dumps(row, ensure_ascii=False, default=str)
            out.write(printable(line, json_escape=True) + "\n")
        return
    if fmt == "csv":
        import csv

        w = csv.writer(out)
        prefix = DEFAULT_PREFIX[op]
        w.writerow([neutralize(h) for h in table.header] + [prefix + c for c in cols])
        for row, ans in zip(table.rows, results):
            w.writerow(
                [neutralize(v) for v in row] + [neutralize(v) for v in flatten(ans, op).values()]
            )
        return
    shown = {
        Operation.VERIFY: ("status", "reason", "suggestion", "provider", "from_cache"),
        Operation.FIND: ("email", "status", "confidence", "provider", "from_cache"),
        Operation.ENRICH: ("email", "qualification", "company", "job", "phone", "provider"),
    }[op]
    lines = [["row", "input", *shown]]
    for n, (item, ans) in enumerate(zip(items, results), start=2):
        if isinstance(item, dict):
            text = " ".join(str(v) for v in item.values() if v not in (None, ""))
        else:
            text = "" if item is None else str(item).strip()
        text = printable(text)[:40]
        values = flatten(ans, op, shown)
        shown_values = ("" if values[c] is None else printable(str(values[c])) for c in shown)
        lines.append([str(n), text, *shown_values])
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    for line in lines:
        out.write("  ".join(v.ljust(w) for v, w in zip(line, widths)).rstrip() + "\n")


def _run(args: argparse.Namespace, op: Operation) -> int:
    if args.output and args.budget is None:  # into a file: in batches (see .batches)
        from .batches import run_in_batches

        done = run_in_batches(args, op, _client, _items, _email_column, _progress)
        if done is not None:
            return _told(*done)
    table = read_table(args.file)
    items = _items(args, op, table)
    bar, update = _progress(args)
    client = _client(args)
    try:
        run = client.run(
            op, items, budget=args.budget, retry_unknown=args.retry_unknown, progress=update
        )
        # the same counts the Jupyter panel draws, priced along this client's waterfall
        counts = summarize(op, items, run.results, client.engine().chain(op), report=run.report)
    finally:
        if bar is not None:
            bar.close()
        client.close()
    if args.output:
        prefix = DEFAULT_PREFIX[op]
        header = table.header + [prefix + c for c in COLUMNS[op]]
        rows = (
            row + [None] * (len(table.header) - len(row)) + list(flatten(ans, op).values())
            for row, ans in zip(table.rows, run.results)
        )
        write_table(args.output, header, rows)
    else:
        _print_results(sys.stdout, args.format, op, table, items, run.results)
    return _told(run.report, counts)


def _told(report: Any, counts: Any) -> int:
    print(report.summary(), file=sys.stderr)
    for line in counts.lines():
        print(printable(line), file=sys.stderr)
    return EXIT_OK


def _estimate(args: argparse.Namespace) -> int:
    op = Operation(args.operation)
    table = read_table(args.file)
    items = _items(args, op, table)
    with _client(args) as client:
        est = client.estimate(items, op)
    print(est)
    print(json.dumps(est.to_dict(), indent=2))
    return EXIT_OK


def _cache(args: argparse.Namespace) -> int:
    with _client(args) as client:
        if args.cache_command == "stats":
            print(json.dumps(client.store.stats(), indent=2, default=str))
        elif args.cache_command == "forget":
            n = client.forget(args.email)
            print(f"forgot {n} stored answer(s) about {args.email}")
        else:
            if not args.yes:
                if not sys.stdin.isatty():
                    print("refusing to clear the cache without --yes", file=sys.stderr)
                    return EXIT_USAGE
                if (
                    input("erase every stored answer (paid ones too)? [y/N] ").strip().lower()
                    != "y"
                ):
                    return EXIT_OK
            client.store.clear()
            print(f"cleared {client.store.location}")
    return EXIT_OK


def _credits(args: argparse.Namespace) -> int:
    with _client(args) as client:
        for name, left in client.credits(args.provider).items():
            print(f"{name}: {'unknown' if left is None else left}")
    return EXIT_OK


def _listen(args: argparse.Namespace) -> int:
    """Serve vendor webhooks until Ctrl+C (docs/webhooks.md); polling never depends on it."""
    import logging

    from ..listen import Listener

    logger = logging.getLogger("contact_udfs")
    if not logger.handlers:  # say what each push did; the listener never logs keys or bodies
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    with _client(args) as client:
        listener = Listener(client, host=args.host, port=args.port).start()
        print(f"listening on {listener.url}", flush=True)
        public = client.settings.webhook_url.rstrip("/")
        for name, url in listener.urls.items():
            print(f"  {name}: {public + '/' + name if public else url} -> {url}", flush=True)
        if not public:
            print("CONTACT_UDFS_WEBHOOK_URL is not set: vendors are not told to push here",
                  flush=True)  # fmt: skip
        try:
            listener.serve_forever()
        except KeyboardInterrupt:
            pass
    return EXIT_OK


def _mcp(args: argparse.Namespace) -> int:
    """Serve the MCP tools (docs/mcp.md); needs the ``[mcp]`` extra."""
    try:
        from ..mcp import MAX_ITEMS, serve
    except ImportError as exc:
        raise ConfigurationError(
            f"contact-udfs mcp needs the MCP SDK ({exc.name} is missing): "
            "pip install 'contact-udfs[mcp]'"
        ) from None
    if args.max_items is not None and args.max_items < 1:
        raise ConfigurationError("--max-items must be at least 1")
    with _client(args) as client:
        try:
            serve(client, http_port=args.http, max_items=args.max_items or MAX_ITEMS)
        except KeyboardInterrupt:
            pass
    return EXIT_OK


def _dispatch(args: argparse.Namespace) -> int:
    if args.command in ("verify", "find", "enrich"):
        return _run(args, Operation(args.command))
    if args.command == "estimate":
        return _estimate(args)
    if args.command == "credits":
        return _credits(args)
    if args.command == "cache":
        return _cache(args)
    if args.command == "sandbox":
        from ...sandbox import main as sandbox_main

        return int(sandbox_main(args.args) or 0)
    if args.command == "listen":
        return _listen(args)
    if args.command == "mcp":
        return _mcp(args)
    if args.command == "template":
        from ..excel.workbook import write_template

        print(write_template(args.path))
        return EXIT_OK
    raise AssertionError(args.command)  # pragma: no cover - argparse refuses others


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``contact-udfs``; returns the exit code."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "sandbox":  # the simulator parses its own options
        args.args = [*extra, *args.args]
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return _dispatch(args)
    except BudgetExceededError as exc:
        print(f"contact-udfs: {printable(str(exc))}", file=sys.stderr)
        return EXIT_BUDGET
    except (AuthenticationError, QuotaExceededError) as exc:
        print(f"contact-udfs: {printable(str(exc))}", file=sys.stderr)
        return EXIT_PROVIDER
    except (InputFileError, ConfigurationError) as exc:
        print(f"contact-udfs: {printable(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except ContactUDFError as exc:
        print(f"contact-udfs: {printable(str(exc))}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("contact-udfs: interrupted; answers received so far are saved", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
