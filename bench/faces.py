"""Latency and memory of the three faces on answers that are already cached.

A cached rerun is what users do most (recalculate the sheet, rerun the
notebook cell, rerun the script), and it spends nothing - so its cost is pure
overhead: it should be close to the cost of reading the answers from the
store. Each face runs in its own process, against one cache filled once by
the CLI's first run (FullContact batches against the simulator):

* Excel: ``VERIFY_EMAIL`` over a 10,000-cell range (called as a plain function);
* pandas: ``df.contacts.verify()`` on 100,000 rows;
* CLI: ``contact-udfs verify big.csv -o out.csv --no-progress`` on the same 100,000 rows.

The floor each face is compared with is ``store.get_many`` of the same
distinct keys in the same process: reading the answers, and nothing else.
Peak memory is the child's own ``ru_maxrss`` (a fresh interpreter per face),
read right after the timed call.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import _markdown as md
from _common import (
    isolated_env,
    keep_traffic_local,
    log,
    make_sheet,
    maxrss_mb,
    rss_mb,
    run_child,
    run_process,
    temp_folder,
    timed,
)
from _sandbox import RemoteSandbox

PROVIDER = "fullcontact"


def _cli() -> list[str]:
    """The installed ``contact-udfs`` script of this interpreter's environment."""
    script = Path(sys.executable).with_name("contact-udfs")
    if script.exists():
        return [str(script)]
    found = shutil.which("contact-udfs")
    return [found] if found else [sys.executable, "-m", "contact_udfs"]


def _read_emails(path: str, limit: int | None = None) -> list[str]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        return [row[1] for _, row in zip(range(limit or sys.maxsize), reader)]


def _floor(emails: list[str]) -> float:
    """Seconds to read the stored answers of ``emails``' distinct keys: the least any face
    can do on a cached rerun."""
    from contact_udfs import default_client
    from contact_udfs.identity import normalize_email

    keys = list(dict.fromkeys(k for k in (normalize_email(e).key for e in emails) if k))
    store = default_client().store
    found, seconds = timed(lambda: store.get_many(PROVIDER, "verify", keys))
    assert len(found) == len(keys), f"{len(keys) - len(found)} keys not cached"
    return seconds


# -- child processes --------------------------------------------------------------------------


def accessor_child(csv_path: str) -> dict[str, Any]:
    """``df.contacts.verify()`` on every row of the CSV, answered from the cache."""
    import pandas as pd

    import contact_udfs  # noqa: F401 - registers df.contacts

    df = pd.read_csv(csv_path)
    before = rss_mb()
    out, seconds = timed(lambda: df.contacts.verify(progress=False))
    peak_rss = maxrss_mb()
    cached = int(out["email_from_cache"].sum())
    assert cached == len(df), f"only {cached} of {len(df)} rows came from the cache"
    floor = _floor(df["email"].tolist())
    return {
        "rows": len(df),
        "seconds": seconds,
        "floor_seconds": floor,
        "rss_before_mb": before,
        "rss_peak_mb": peak_rss,
    }


def excel_child(csv_path: str, cells: int) -> dict[str, Any]:
    """``VERIFY_EMAIL`` over a ``cells`` x 1 range, as Excel passes it (``ndim=2``).

    Timed twice: the first call of a fresh process (what opening a workbook
    costs: imports, the store's connection) and a repeat, which is what every
    later recalculation of the sheet costs.
    """
    from contact_udfs.faces.excel.udfs import VERIFY_EMAIL

    emails = _read_emails(csv_path, cells)
    grid = [[e] for e in emails]
    before = rss_mb()
    out, first = timed(lambda: VERIFY_EMAIL(grid))
    bad = [row[0] for row in out if str(row[0]).startswith(("#ERROR", "PENDING"))]
    assert len(out) == len(grid) and not bad, f"{len(bad)} cells not answered: {bad[:3]}"
    _, seconds = timed(lambda: VERIFY_EMAIL(grid))
    _, all_seconds = timed(lambda: VERIFY_EMAIL(grid, "all"))
    peak_rss = maxrss_mb()
    floor = _floor(emails)
    return {
        "cells": len(grid),
        "first_call_seconds": first,
        "seconds": seconds,
        "all_fields_seconds": all_seconds,
        "floor_seconds": floor,
        "rss_before_mb": before,
        "rss_peak_mb": peak_rss,
    }


# -- the benchmark ----------------------------------------------------------------------------


def _write_csv(path: Path, rows: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "email"])
        writer.writerows((i, e) for i, e in enumerate(rows, start=1))


def _cli_run(env: dict[str, str], folder: Path, label: str) -> dict[str, Any]:
    cmd = [*_cli(), "verify", "big.csv", "-o", "out.csv", "--no-progress"]
    done = run_process(cmd, env, timeout=600, cwd=folder)
    if done.returncode != 0:
        raise RuntimeError(f"contact-udfs failed ({done.returncode}): {done.stderr[-2000:]}")
    summary = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
    return {"run": label, "seconds": done.seconds, "maxrss_mb": done.maxrss_mb, "summary": summary}


def run(rows: int = 100_000, cells: int = 10_000) -> dict[str, Any]:
    """Cold CLI run (fills the cache), then every face on cached answers."""
    sheet = make_sheet(rows, dup_share=0.3, seed=3)
    with temp_folder("faces") as tmp, RemoteSandbox() as sb:
        env = isolated_env(
            tmp,
            sb.env(),
            CONTACT_UDFS_PROVIDERS=PROVIDER,
            **{f"{PROVIDER.upper()}_RATE_LIMIT": "100000/1"},
        )
        big = tmp / "big.csv"
        _write_csv(big, sheet.rows)
        log(f"faces: CLI first run on {rows:,} rows (fills the cache)")
        cold = _cli_run(env, tmp, "first (fills the cache)")
        log("faces: CLI cached run")
        warm = _cli_run(env, tmp, "cached")
        with open(tmp / "out.csv", encoding="utf-8") as fh:
            written = sum(1 for _ in fh) - 1
        assert written == rows, f"out.csv has {written} rows"
        log(f"faces: df.contacts.verify() on {rows:,} cached rows")
        accessor = run_child("faces", "accessor_child", {"csv_path": str(big)}, env=env)
        log(f"faces: VERIFY_EMAIL on {cells:,} cached cells")
        excel = run_child("faces", "excel_child", {"csv_path": str(big), "cells": cells}, env=env)
    return {
        "params": {"rows": rows, "distinct": sheet.distinct, "cells": cells, "provider": PROVIDER},
        "cli": [cold, warm],
        "accessor": accessor,
        "excel": excel,
    }


def markdown(data: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The report section: one row per face, measured against the floor."""
    p, acc, xl = data["params"], data["accessor"], data["excel"]
    cold, warm = data["cli"]
    lines = [
        "## Latency of the faces (cached answers)",
        "",
        f"{p['rows']:,} rows ({p['distinct']:,} distinct addresses, the same duplicate mix) "
        f"in a CSV; the CLI's first run fills one cache through {p['provider']} batches on "
        "the simulator, then each face answers from that cache in a fresh process. *Floor* "
        "is `store.get_many` of the same distinct keys in that process: reading the answers "
        "and nothing else. *Peak RSS* is the process's `ru_maxrss` right after the call (for "
        "the CLI, the whole process: interpreter, CSV in and out).",
        "",
    ]

    def row(
        face: str, n: int, unit: str, seconds: float, floor: float | None, before: Any, peak: Any
    ) -> list[str]:
        return [
            face,
            f"{n:,} {unit}",
            md.num(seconds, 3),
            md.num(seconds / n * 1e6, 1),
            md.num(floor, 3),
            md.times(seconds, floor) if floor else "",
            md.num(before) if before is not None else "",
            md.num(peak) if peak is not None else "",
        ]

    rows = [
        row(
            "Excel `VERIFY_EMAIL(range)`, first call of the process",
            xl["cells"],
            "cells",
            xl["first_call_seconds"],
            xl["floor_seconds"],
            None,
            None,
        ),
        row(
            "Excel `VERIFY_EMAIL(range)`, recalculation",
            xl["cells"],
            "cells",
            xl["seconds"],
            xl["floor_seconds"],
            xl["rss_before_mb"],
            xl["rss_peak_mb"],
        ),
        row(
            'Excel `VERIFY_EMAIL(range, "all")`, recalculation',
            xl["cells"],
            "cells",
            xl["all_fields_seconds"],
            xl["floor_seconds"],
            None,
            None,
        ),
        row(
            "`df.contacts.verify()`",
            acc["rows"],
            "rows",
            acc["seconds"],
            acc["floor_seconds"],
            acc["rss_before_mb"],
            acc["rss_peak_mb"],
        ),
        row(
            "`contact-udfs verify`, cached run",
            p["rows"],
            "rows",
            warm["seconds"],
            acc["floor_seconds"],
            None,
            warm["maxrss_mb"],
        ),
        row(
            "`contact-udfs verify`, first run (fills the cache)",
            p["rows"],
            "rows",
            cold["seconds"],
            None,
            None,
            cold["maxrss_mb"],
        ),
    ]
    lines += md.table(
        [
            "face",
            "input",
            "wall s",
            "µs / row",
            "floor s",
            "face / floor",
            "RSS before MiB",
            "peak RSS MiB",
        ],
        rows,
        "ll",
    )
    lines += [
        f"CLI summary lines: first run `{cold['summary']}`; cached run `{warm['summary']}`.",
        "",
    ]
    headline = [
        f"Cached: {xl['cells']:,} `VERIFY_EMAIL` cells in {xl['seconds']:.2f} s, "
        f"`df.contacts.verify()` on {acc['rows']:,} rows in {acc['seconds']:.2f} s "
        f"({md.times(acc['seconds'], acc['floor_seconds'])} the bare store reads), the CLI on "
        f"{p['rows']:,} rows in {warm['seconds']:.2f} s (peak RSS {warm['maxrss_mb']:.0f} MiB)."
    ]
    return lines, headline


def main() -> None:
    keep_traffic_local()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--cells", type=int, default=10_000)
    args = parser.parse_args()
    print(json.dumps(run(rows=args.rows, cells=args.cells), indent=2, default=str))


if __name__ == "__main__":
    main()
