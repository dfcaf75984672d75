"""Run every benchmark and write ``docs/benchmarks.md``.

    python bench/run_all.py            # the full run (minutes), the numbers in the docs
    python bench/run_all.py --quick    # a smaller smoke run of every benchmark (a minute or so)

Everything runs against the vendor simulator on 127.0.0.1 with private
temporary caches. Benchmarks run one after the other (timings would disturb
each other otherwise); the heavy ones start their own child processes so
each peak RSS belongs to one measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import credits  # noqa: E402 - the benchmarks live beside this file
import faces  # noqa: E402
import offline  # noqa: E402
import rate_limit  # noqa: E402
import report  # noqa: E402
import scale  # noqa: E402
import speed  # noqa: E402
from _common import ROOT, keep_traffic_local, log  # noqa: E402

#: benchmark -> (run function, full-size arguments, --quick arguments)
BENCHMARKS: dict[str, tuple[Callable[..., dict[str, Any]], dict[str, Any], dict[str, Any]]] = {
    "credits": (credits.run, {"rows": 10_000}, {"rows": 1_000}),
    "rate_limit": (rate_limit.run, {"n": 100}, {"n": 40}),
    "faces": (faces.run, {"rows": 100_000, "cells": 10_000}, {"rows": 10_000, "cells": 2_000}),
    "offline": (offline.run, {"n": 30_000}, {"n": 5_000}),
    "scale": (scale.run, {"sizes": (100_000, 1_000_000)}, {"sizes": (10_000, 50_000)}),
    "speed": (
        speed.run,
        {"cells": 10_000, "cli_sizes": (100_000, 1_000_000)},
        {"cells": 2_000, "cli_sizes": (10_000, 50_000), "cached_up_to": 50_000},
    ),
}


def _load() -> float | None:
    """The 1-minute load average, sampled between benchmarks to spot a shared CPU."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def _notes(info: dict[str, Any], loads: list[float]) -> list[str]:
    """What the numbers can be trusted for, and a warning when other work shared the CPU."""
    notes = [
        "Credits, requests and 429 counts are exact and machine-independent; wall times and "
        "memory depend on the machine and on what else runs on it."
    ]
    cores = info["cores"] or 1
    if loads and max(loads) > cores + 0.5:  # this suite alone keeps at most ~2 busy
        notes.append(
            f"The 1-minute load average reached {max(loads):.1f} on {cores} cores during "
            "this run: other processes shared the CPU, so wall times (and the time ratios) "
            "are noisy."
        )
    return notes


def _merged(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``old`` results updated with ``new``; the speed benchmark's CLI rows by file size."""
    out = {**old, **new}
    if "speed" in old and "speed" in new:
        rows = {r["rows"]: r for r in old["speed"]["cli"]}
        rows.update({r["rows"]: r for r in new["speed"]["cli"]})
        out["speed"] = {**new["speed"], "cli": [rows[n] for n in sorted(rows)]}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the benchmarks, write docs/benchmarks.md.")
    parser.add_argument("--quick", action="store_true", help="smaller sizes: a smoke run")
    parser.add_argument("--only", help=f"comma list of: {', '.join(BENCHMARKS)}")
    parser.add_argument(
        "--output",
        default=str(ROOT / "docs" / "benchmarks.md"),
        help="the Markdown page to write (default: docs/benchmarks.md)",
    )
    parser.add_argument("--json", help="also write the raw results to this file")
    parser.add_argument("--cli-sizes", help="comma list of CLI file sizes (speed benchmark)")
    parser.add_argument(
        "--reuse-json",
        help="results of an earlier --json run: kept for the benchmarks not run now (the CLI "
        "rows of speed are merged by size), so a long measurement can be added to a page",
    )
    args = parser.parse_args(argv)
    keep_traffic_local()
    chosen = args.only.split(",") if args.only else list(BENCHMARKS)
    unknown = [c for c in chosen if c not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")

    given = argv if argv is not None else sys.argv[1:]
    command = " ".join(["python", "bench/run_all.py", *given])
    started = time.strftime("%Y-%m-%d %H:%M %Z")
    loads = [x for x in [_load()] if x is not None]
    t0 = time.perf_counter()
    results: dict[str, Any] = {}
    for i, name in enumerate(chosen, start=1):
        run, full, quick = BENCHMARKS[name]
        kwargs = dict(quick if args.quick else full)
        if name == "speed" and args.cli_sizes:
            kwargs["cli_sizes"] = tuple(int(n) for n in args.cli_sizes.split(","))
        log(f"== {i}/{len(chosen)} {name} {kwargs}")
        t = time.perf_counter()
        results[name] = run(**kwargs)
        loads += [x for x in [_load()] if x is not None]
        log(
            f"== {name} done in {time.perf_counter() - t:.0f} s "
            f"(total {time.perf_counter() - t0:.0f} s)"
        )
    seconds = time.perf_counter() - t0
    info = report.machine()
    #: benchmark -> the revision it was measured at (carried over with reused results)
    revisions = {name: info["revision"] for name in results}
    if args.reuse_json:
        earlier = json.loads(Path(args.reuse_json).read_text())
        before = {**{name: earlier["machine"]["revision"] for name in earlier["results"]},
                  **earlier.get("revisions", {})}  # fmt: skip
        kept: dict[str, list[str]] = {}
        for name in earlier["results"]:
            if name not in results:
                kept.setdefault(before[name], []).append(name)
                revisions[name] = before[name]
        if "speed" in results and "speed" in earlier["results"]:
            ours = {r["rows"] for r in results["speed"]["cli"]}
            kept.setdefault(before["speed"], []).extend(
                f"the CLI on {r['rows']:,} rows"
                for r in earlier["results"]["speed"]["cli"]
                if r["rows"] not in ours
            )
        results = _merged(earlier["results"], results)
        command += "".join(
            f"; {', '.join(names)} from an earlier run at revision {rev}"
            for rev, names in kept.items()
        )
    page = report.render(command, started, seconds, info, results, loads, _notes(info, loads))
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"machine": info, "results": results, "revisions": revisions},
                indent=2,
                default=str,
            )
        )
    log(f"wrote {out} in {seconds / 60:.1f} minutes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
