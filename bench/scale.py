"""Scale: a million rows through ``df.contacts.verify()`` with the local provider and the cache.

The accessor promises to stream (distinct values only, slices of
``CHUNK_SIZE`` per engine call), so memory should grow with the data the
user holds - the input frame and the answer columns - not with a copy of
every answer object. Each size runs in a fresh process; the report compares
its peak RSS with what the frames themselves occupy. DNS is off (the local
provider's ``check_dns=False``) so the run stays on this machine.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from pathlib import Path
from typing import Any

import _markdown as md
from _common import (
    client_for,
    isolated_env,
    keep_traffic_local,
    log,
    make_sheet,
    maxrss_mb,
    rss_mb,
    run_child,
    temp_folder,
    timed,
)


def frame_mb(frame: Any) -> float:
    """MiB the frame's columns hold, each Python object counted once.

    pandas' ``memory_usage(deep=True)`` counts a string shared by a million
    cells a million times, which would make the answer columns look bigger
    than the memory they really take (and the working memory negative).
    """
    import numpy as np

    total, seen = 0, set()
    for name in frame.columns:
        array = frame[name].array
        total += int(getattr(array, "nbytes", 0))  # pointers, masks, numbers, arrow buffers
        storage = getattr(array.dtype, "storage", None)
        if storage == "python" or (storage is None and getattr(array.dtype, "kind", "") == "O"):
            for value in np.asarray(array, dtype=object):
                if id(value) not in seen:
                    seen.add(id(value))
                    total += sys.getsizeof(value)
    return total / 2**20


def measure(rows: int, folder: str, cached: bool = True) -> dict[str, Any]:
    """Child side: a cold run (fills the cache), then (``cached``) a rerun from the cache."""
    import pandas as pd

    import contact_udfs  # noqa: F401 - registers df.contacts

    sheet = make_sheet(rows, dup_share=0.3, seed=4)
    df = pd.DataFrame({"email": sheet.rows})
    del sheet
    client = client_for(isolated_env(Path(folder)), ["local"], check_dns=False)
    gc.collect()
    input_mb = frame_mb(df)
    base, peak_before = rss_mb(), maxrss_mb()
    out, cold = timed(lambda: df.contacts.verify(client=client, progress=False))
    peak_cold = maxrss_mb()
    output_mb = frame_mb(out.drop(columns=df.columns))
    assert len(out) == rows and out["email_provider"].notna().all()
    warm: float | None = None
    if cached:
        del out
        gc.collect()
        out, warm = timed(lambda: df.contacts.verify(client=client, progress=False))
        assert bool(out["email_from_cache"].all())
    peak_warm = maxrss_mb()
    client.close()
    return {
        "rows": rows,
        "distinct": int(df["email"].nunique()),
        "cold_seconds": cold,
        "cached_seconds": warm,
        "rss_before_mb": base,
        "rss_peak_before_mb": peak_before,
        "rss_peak_cold_mb": peak_cold,
        "rss_peak_mb": peak_warm,
        "input_frame_mb": input_mb,
        "answer_columns_mb": output_mb,
    }


def cached_child(rows: int, folder: str) -> dict[str, Any]:
    """Child side, in a fresh process on the cache :func:`measure` filled: a cached
    ``df.contacts.verify`` against its floor, the bare store read of the same distinct keys
    (``SQLiteStore.get_many`` in the engine's slices, no memory in front, the collector
    paused as the engine pauses it), timed before and after the call; the faster of the
    two is the floor."""
    import pandas as pd

    import contact_udfs  # noqa: F401 - registers df.contacts
    from contact_udfs.core.bulk import paused_gc
    from contact_udfs.faces.pandas.frames import CHUNK_SIZE
    from contact_udfs.identity import normalize_email
    from contact_udfs.store import SQLiteStore

    sheet = make_sheet(rows, dup_share=0.3, seed=4)
    df = pd.DataFrame({"email": sheet.rows})
    del sheet
    env = isolated_env(Path(folder))
    keys = list(dict.fromkeys(k for k in (normalize_email(e).key for e in df["email"]) if k))
    bare = SQLiteStore(env["CONTACT_UDFS_CACHE"])

    def floor() -> float:
        def read() -> int:
            found = 0
            with paused_gc():  # as a bulk reader runs (the engine does): no collections
                for start in range(0, len(keys), CHUNK_SIZE):  # the accessor's slices
                    found += len(bare.get_many("local", "verify", keys[start : start + CHUNK_SIZE]))
            return found

        found, seconds = timed(read)
        assert found == len(keys), f"{len(keys) - found} keys not cached"
        return seconds

    before = floor()
    client = client_for(env, ["local"], check_dns=False)
    gc.collect()
    base = rss_mb()
    out, seconds = timed(lambda: df.contacts.verify(client=client, progress=False))
    peak = maxrss_mb()
    assert bool(out["email_from_cache"].all())
    output_mb = frame_mb(out.drop(columns=df.columns))
    del out
    after = floor()
    client.close()
    bare.close()
    return {
        "rows": rows, "keys": len(keys), "seconds": seconds, "floor_seconds": min(before, after),
        "rss_before_mb": base, "rss_peak_mb": peak, "answer_columns_mb": output_mb,
    }  # fmt: skip


def run(sizes: tuple[int, ...] = (100_000, 1_000_000), cached_up_to: int = 0) -> dict[str, Any]:
    """One row per size, each from its own process; sizes above ``cached_up_to`` skip the
    cached rerun (it fits the time budget of ``run_all`` only for the smaller sizes)."""
    results = []
    with temp_folder("scale") as tmp:
        for size in sizes:
            cached = size <= cached_up_to
            what = "first run + cached rerun" if cached else "first run"
            log(f"scale: {size:,} rows through df.contacts.verify() (local provider, {what})")
            folder = tmp / str(size)
            folder.mkdir()
            args = {"rows": size, "folder": str(folder), "cached": cached}
            results.append(run_child("scale", "measure", args, timeout=1800))
            log(f"scale: {size:,} cached rows in a fresh process, against the bare store read")
            again = {"rows": size, "folder": str(folder)}
            results[-1]["fresh_cached"] = run_child("scale", "cached_child", again, timeout=1800)
    return {"params": {"sizes": list(sizes), "cached_up_to": cached_up_to}, "results": results}


def markdown(data: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The report section: one row per size, and how cost and memory grow with it."""
    lines = [
        "## Scale",
        "",
        "`df.contacts.verify(client=...)` with the local provider (`check_dns=False`) and a "
        "SQLite cache that starts empty, each size in a fresh process. Rows carry the same "
        "duplicate mix (70 % distinct addresses; *distinct cells* counts case/space variants "
        "apart, as the accessor sees them). Frame sizes count each Python object once. "
        "*Working memory* is the first run's peak RSS minus the RSS before it (interpreter, "
        "imports, input frame) minus the answer columns it returns: what the call needs "
        "beyond its result.",
        "",
    ]
    with_cached = any(r.get("cached_seconds") is not None for r in data["results"])
    rows = []
    for r in data["results"]:
        cached = r.get("cached_seconds")
        # the peak may predate the call (building the input): then it bounds the call from above
        bound = "≤ " if r["rss_peak_cold_mb"] <= r.get("rss_peak_before_mb", 0) + 1 else ""
        row = [
            md.num(r["rows"]),
            md.num(r["distinct"]),
            md.num(r["cold_seconds"], 1),
            md.num(r["cold_seconds"] / r["rows"] * 1e6, 1),
        ]
        if with_cached:
            row += [
                "-" if cached is None else md.num(cached, 1),
                "-" if cached is None else md.num(cached / r["rows"] * 1e6, 1),
            ]
        row += [
            md.num(r["rss_before_mb"]),
            md.num(r["rss_peak_cold_mb"]),
            md.num(r["input_frame_mb"]),
            md.num(r["answer_columns_mb"]),
            bound + md.num(_mem(r)),
        ]
        rows.append(row)
    header = ["rows", "distinct cells", "first run s", "µs / row"]
    if with_cached:
        header += ["cached run s", "µs / row (cached)"]
    header += [
        "RSS before MiB",
        "peak RSS MiB",
        "input frame MiB",
        "answer columns MiB",
        "working memory MiB",
    ]
    lines += md.table(header, rows)
    fresh = [r["fresh_cached"] for r in data["results"] if r.get("fresh_cached")]
    if fresh:
        lines += [
            "The same frames again in a fresh process, every answer in the cache: "
            "*floor* is the bare store read of the same distinct keys (`SQLiteStore.get_many` "
            "in the accessor's slices, nothing in front, the garbage collector paused as a "
            "bulk reader runs), in the same process, before and after the call: the faster "
            "of the two. The accessor reads the next slice in the background while it "
            "answers this one, so it can spend less than twice the floor.",
            "",
            *md.table(
                ["rows", "distinct keys", "cached run s", "floor s", "run / floor",
                 "working memory MiB"],
                [[md.num(c["rows"]), md.num(c["keys"]), md.num(c["seconds"], 1),
                  md.num(c["floor_seconds"], 1), md.x(md.ratio(c["seconds"], c["floor_seconds"])),
                  md.num(c["rss_peak_mb"] - c["rss_before_mb"] - c["answer_columns_mb"])]
                 for c in fresh],
            ),
        ]  # fmt: skip
    small, big = data["results"][0], data["results"][-1]
    if big is not small:
        per_small = small["cold_seconds"] / small["rows"] * 1e6
        per_big = big["cold_seconds"] / big["rows"] * 1e6
        lines += [
            f"From {small['rows']:,} to {big['rows']:,} rows the first run's cost per row goes "
            f"from {per_small:,.0f} to {per_big:,.0f} µs ({md.times(per_big, per_small)}), and "
            f"the working memory from {_mem(small):,.0f} to {_mem(big):,.0f} MiB "
            f"({md.times(_mem(big), _mem(small))} for {md.times(big['rows'], small['rows'])} "
            "the rows).",
            "",
        ]
    headline = [
        f"Scale: {big['rows']:,} rows in {big['cold_seconds']:.0f} s (first run), "
        f"peak RSS {big['rss_peak_cold_mb']:,.0f} MiB."
    ]
    return lines, headline


def _mem(r: dict[str, Any]) -> float:
    """Working memory of a scale run: peak RSS beyond the state before it and its result."""
    return float(r["rss_peak_cold_mb"] - r["rss_before_mb"] - r["answer_columns_mb"])


def main() -> None:
    keep_traffic_local()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    sizes = tuple(int(s) for s in parser.parse_args().sizes.split(","))
    print(json.dumps(run(sizes), indent=2))


if __name__ == "__main__":
    main()
