"""The arguments of ``contact-udfs``: every command and option, apart from what they do.

Kept beside :mod:`contact_udfs.faces.cli.main` (the handlers) so the whole command
line reads on one screen, and the interface-contract test can list the commands
without running any of them.
"""

from __future__ import annotations

import argparse

from ...models import Operation

__all__ = ["FIND_FLAGS", "LISTEN_PORT", "build_parser"]

LISTEN_PORT = 8787

FIND_FLAGS = ("first_name", "last_name", "full_name", "domain", "company", "website")


def build_parser() -> argparse.ArgumentParser:
    """Every command and option of ``contact-udfs``; the handlers live in :mod:`.main`."""
    p = argparse.ArgumentParser(
        prog="contact-udfs",
        description="Verify, find and enrich email addresses: cached, batched, never paying twice.",
    )
    p.add_argument("--cache", help="SQLite file or redis:// URL (default: CONTACT_UDFS_CACHE)")
    p.add_argument("--providers", help="waterfall order, e.g. dropcontact,local")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def run_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("file", help="input .csv or .xlsx file")
        sp.add_argument("-o", "--output", help="write results to this .csv/.xlsx (default: print)")
        sp.add_argument("--budget", type=float, help="refuse if the call would spend more credits")
        sp.add_argument(
            "--retry-unknown",
            action="store_true",
            help="ask again the contacts stored as unknown-retryable (spends credits)",
        )
        sp.add_argument("--no-progress", action="store_true", help="no progress bar")
        sp.add_argument(
            "--format",
            choices=("table", "csv", "json"),
            default="table",
            help="how results are printed when no --output is given",
        )

    v = sub.add_parser("verify", help="verify the email column of a file")
    run_args(v)
    v.add_argument("--column", help="the email column (default: auto-detected)")
    f = sub.add_parser("find", help="find emails from name + domain/company columns")
    run_args(f)
    e = sub.add_parser("enrich", help="enrich contacts with Dropcontact")
    run_args(e)
    for sp in (f, e):
        for flag in FIND_FLAGS:
            sp.add_argument(
                f"--{flag.replace('_', '-')}",
                dest=flag,
                metavar="COLUMN",
                help=f"column holding the {flag.replace('_', ' ')}",
            )
    est = sub.add_parser("estimate", help="credits a file would cost now; spends nothing")
    est.add_argument("file")
    est.add_argument("--operation", choices=[o.value for o in Operation], default="verify")
    est.add_argument("--column", help="the email column for verify")
    cr = sub.add_parser("credits", help="credits left per provider (free checks)")
    cr.add_argument("provider", nargs="?")
    cache = sub.add_parser("cache", help="cache stats | forget EMAIL | clear")
    cache_sub = cache.add_subparsers(dest="cache_command", required=True, metavar="ACTION")
    cache_sub.add_parser("stats", help="what the cache holds")
    fg = cache_sub.add_parser("forget", help="erase everything stored about an address")
    fg.add_argument("email")
    cl = cache_sub.add_parser("clear", help="erase the whole cache")
    cl.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    sb = sub.add_parser("sandbox", help="serve the local simulator of the provider APIs")
    sb.add_argument("args", nargs=argparse.REMAINDER, help="options for the simulator (--port ...)")
    tp = sub.add_parser("template", help="write the Excel workbook template")
    tp.add_argument("path")
    ls = sub.add_parser("listen", help="receive vendor webhooks (job results) into the cache")
    ls.add_argument("--port", type=int, default=LISTEN_PORT, help=f"default {LISTEN_PORT}")
    ls.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    mc = sub.add_parser("mcp", help="serve the tools to AI agents over MCP (stdio by default)")
    mc.add_argument("--http", type=int, metavar="PORT", help="streamable HTTP on 127.0.0.1:PORT")
    mc.add_argument("--max-items", type=int, metavar="N", help="items per tool call (default 500)")
    return p
