"""Speed against its floor: a recalculated range, and the CLI's memory on big files.

* Excel: ``VERIFY_EMAIL`` over a 10,000-cell range answered by the local provider,
  then recalculated; the floor is a bare dict lookup of the same cells into the
  same output grid, timed in the same process. Timed with the process's memory
  of answers on (the default) and off (``CONTACT_UDFS_HOT_CACHE=0``: every
  recalculation reads the cache file).
* CLI: ``contact-udfs verify big.csv -o out.csv`` with the local provider
  (``check_dns=False``) on growing files, first run and (up to ``cached_up_to``
  rows) cached run; the peak RSS is the CLI process's own (``wait4``). The rows
  are numbered addresses (70 % distinct, the repeats in other case or with
  spaces): generating a world-like sheet of ten million rows would take longer
  than the run.

The goals these numbers are held against are in :mod:`goals`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

import _markdown as md
from _common import (
    isolated_env,
    keep_traffic_local,
    log,
    make_sheet,
    run_child,
    run_process,
    temp_folder,
    timed,
)

REPEATS = 7
LOCAL_CONFIG = "[local]\ncheck_dns = false\n"


def _offline_env(folder: Path) -> dict[str, str]:
    env = isolated_env(folder, CONTACT_UDFS_PROVIDERS="local")
    Path(env["CONTACT_UDFS_CONFIG"]).write_text(LOCAL_CONFIG)
    return env


# -- Excel ------------------------------------------------------------------------------------


def excel_child(cells: int, folder: str) -> dict[str, Any]:
    """Child side: fill, then time recalculations with the memory on and off, and the floor."""
    os.environ.update(_offline_env(Path(folder)))
    from contact_udfs.faces.excel.udfs import VERIFY_EMAIL

    grid = [[e] for e in make_sheet(cells, dup_share=0.3, seed=7).rows]
    first, first_s = timed(lambda: VERIFY_EMAIL(grid))
    bad = [r[0] for r in first if str(r[0]).startswith(("#ERROR", "PENDING"))]
    assert not bad, bad[:3]

    def series(fn: Any) -> list[float]:
        return [timed(fn)[1] for _ in range(REPEATS)]

    hot = series(lambda: VERIFY_EMAIL(grid))
    answers = {row[0]: out[0] for row, out in zip(grid, first, strict=True)}
    floor = series(lambda: [[answers[c] for c in row] for row in grid])
    os.environ["CONTACT_UDFS_HOT_CACHE"] = "0"  # the default client is rebuilt without it
    VERIFY_EMAIL(grid)
    cold = series(lambda: VERIFY_EMAIL(grid))
    return {
        "cells": cells,
        "first_seconds": first_s,
        "recalc_seconds": statistics.median(hot),
        # the first one after the fill goes through the engine (the answers were fresh);
        # from then on the formula's memo of its cells answers
        "recalc_first_seconds": hot[0],
        "recalc_min_seconds": min(hot),
        "recalc_no_memory_seconds": statistics.median(cold),
        "floor_seconds": statistics.median(floor),
        "floor_min_seconds": min(floor),
    }


# -- CLI --------------------------------------------------------------------------------------


def write_csv(path: Path, rows: int) -> int:
    """``rows`` numbered addresses, 70 % distinct; the distinct count."""
    variants = (str, str, lambda e: f" {e} ", str.upper, lambda e: f"{e} ")
    distinct = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("id,email\n")
        for i in range(rows):
            if i % 10 < 7:
                distinct += 1
                email = f"person.{i}@company{i % 997}.example.com"
            else:
                j = i - 1 - (i * 7919) % max(i // 2, 1)  # an earlier row
                while j % 10 >= 7:
                    j -= 1
                email = f"person.{j}@company{j % 997}.example.com"
                email = variants[i % len(variants)](email)
            fh.write(f"{i},{email}\n")
    return distinct


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("contact-udfs")
    return [str(script)] if script.exists() else [sys.executable, "-m", "contact_udfs"]


def cli_run(rows: int, folder: Path, cached: bool) -> dict[str, Any]:
    env = _offline_env(folder)
    source = folder / "in.csv"
    distinct = write_csv(source, rows)
    out: dict[str, Any] = {
        "rows": rows,
        "distinct": distinct,
        "file_mib": source.stat().st_size / 2**20,
    }
    runs = ("first", "cached") if cached else ("first",)
    for name in runs:
        target = folder / f"out-{name}.csv"
        cmd = [*_cli(), "verify", str(source), "-o", str(target), "--no-progress"]
        done = run_process(cmd, env, timeout=3600)
        if done.returncode != 0:
            raise RuntimeError(f"the CLI failed: {done.stderr[-2000:]}")
        out[f"{name}_seconds"] = done.seconds
        out[f"{name}_rss_mb"] = done.maxrss_mb
        out[f"{name}_summary"] = done.stderr.strip().splitlines()[0]
        target.unlink()
    source.unlink()
    return out


def run(
    cells: int = 10_000,
    cli_sizes: tuple[int, ...] = (100_000, 1_000_000),
    cached_up_to: int = 1_000_000,
) -> dict[str, Any]:
    with temp_folder("speed") as tmp:
        log(f"speed: VERIFY_EMAIL over {cells:,} cells, recalculated (local provider)")
        (tmp / "excel").mkdir()
        excel = run_child("speed", "excel_child", {"cells": cells, "folder": str(tmp / "excel")})
        baseline_dir = tmp / "baseline"
        baseline_dir.mkdir()
        baseline = cli_run(10, baseline_dir, cached=False)
        cli = []
        for size in cli_sizes:
            log(f"speed: contact-udfs verify on {size:,} rows (local provider)")
            folder = tmp / f"cli-{size}"
            folder.mkdir()
            cli.append(cli_run(size, folder, cached=size <= cached_up_to))
    return {
        "params": {"cells": cells, "cli_sizes": list(cli_sizes), "cached_up_to": cached_up_to},
        "excel": excel,
        "cli_baseline_rss_mb": baseline["first_rss_mb"],
        "cli": cli,
    }


def markdown(data: dict[str, Any]) -> tuple[list[str], list[str]]:
    ex = data["excel"]
    lines = [
        "## Recalculation and the CLI on big files",
        "",
        f"`VERIFY_EMAIL` over {ex['cells']:,} cells (the scale sheet's duplicate mix) answered "
        "by the local provider, then recalculated; medians of "
        f"{REPEATS} runs. *Floor*: a bare dict lookup of the same cells into the same output "
        "grid, in the same process. *Without the memory*: `CONTACT_UDFS_HOT_CACHE=0`, so each "
        "recalculation reads the cache file.",
        "",
        *md.table(
            ["what", "ms", "vs floor"],
            [
                [
                    "first call (local provider answers, stores)",
                    md.num(ex["first_seconds"] * 1e3, 1),
                    md.x(md.ratio(ex["first_seconds"], ex["floor_seconds"])),
                ],
                [
                    "recalculation",
                    md.num(ex["recalc_seconds"] * 1e3, 1),
                    md.x(md.ratio(ex["recalc_seconds"], ex["floor_seconds"])),
                ],
                [
                    "first recalculation after the fill (through the engine)",
                    md.num(ex["recalc_first_seconds"] * 1e3, 1),
                    md.x(md.ratio(ex["recalc_first_seconds"], ex["floor_seconds"])),
                ],
                [
                    "recalculation, fastest of the runs",
                    md.num(ex["recalc_min_seconds"] * 1e3, 1),
                    md.x(md.ratio(ex["recalc_min_seconds"], ex["floor_min_seconds"])),
                ],
                [
                    "recalculation without the memory",
                    md.num(ex["recalc_no_memory_seconds"] * 1e3, 1),
                    md.x(md.ratio(ex["recalc_no_memory_seconds"], ex["floor_seconds"])),
                ],
                ["floor: dict lookup", md.num(ex["floor_seconds"] * 1e3, 2), "1.0x"],
            ],
        ),
        "`contact-udfs verify in.csv -o out.csv --no-progress` with the local provider "
        "(`check_dns=False`), each run its own process; numbered addresses, 70 % distinct. "
        "*Peak RSS* is the CLI process's own; the CLI on a 10-row file peaks at "
        f"{data['cli_baseline_rss_mb']:,.0f} MiB (interpreter and imports).",
        "",
    ]
    rows = []
    for r in data["cli"]:
        rows.append(
            [
                md.num(r["rows"]),
                md.num(r["file_mib"]),
                md.num(r["first_seconds"], 1),
                md.num(r["first_rss_mb"]),
                md.num(r.get("cached_seconds"), 1) if "cached_seconds" in r else "-",
                md.num(r.get("cached_rss_mb")) if "cached_rss_mb" in r else "-",
            ]
        )
    lines += md.table(
        [
            "rows",
            "file MiB",
            "first run s",
            "first run peak RSS MiB",
            "cached run s",
            "cached run peak RSS MiB",
        ],
        rows,
    )
    big = data["cli"][-1]
    headline = [
        f"Recalculating {ex['cells']:,} cached cells: {ex['recalc_seconds'] * 1e3:.0f} ms "
        f"({md.x(md.ratio(ex['recalc_seconds'], ex['floor_seconds']))} a bare dict lookup); "
        f"the CLI on {big['rows']:,} rows peaks at {big['first_rss_mb']:,.0f} MiB.",
    ]
    return lines, headline


def main() -> None:
    keep_traffic_local()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=10_000)
    parser.add_argument("--cli-sizes", default="100000,1000000")
    args = parser.parse_args()
    sizes = tuple(int(s) for s in args.cli_sizes.split(","))
    print(json.dumps(run(args.cells, sizes), indent=2))


if __name__ == "__main__":
    main()
