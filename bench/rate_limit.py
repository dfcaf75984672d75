"""Rate-limit use: how much of ColdLead's allowance a run gets, and how many 429s it provokes.

ColdLead has no batch endpoint and allows 200 requests per minute, so a big
sheet is paced by that limit alone: using 90 % of it instead of 100 % is 10 %
longer, and every 429 is a wasted round trip (and, with some vendors, a
strike). The window is scaled down so the run takes seconds, not minutes:
the simulator enforces ``limit`` per ``window`` seconds as a fixed window
opened by the first request, exactly as the vendor describes it.

Utilization is answered requests divided by what a perfect client could get
in the same time: ``limit`` for every window the run touched
(``ceil(seconds / window)`` of them, the first opened by its first request).
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import time
from pathlib import Path
from typing import Any

import _markdown as md
import requests
from _common import (
    client_for,
    isolated_env,
    keep_traffic_local,
    log,
    make_sheet,
    temp_folder,
    timed,
)
from _sandbox import RemoteSandbox

#: a naive loop re-sends a throttled row at most this many times
MAX_RETRIES = 10


def _naive(sb: RemoteSandbox, emails: list[str], retries: int) -> None:
    """The loop users write: no pacing; on 429 sleep ``Retry-After`` and send the row
    again (``retries`` > 1) or give the row up (``retries`` == 1, the most common script)."""
    base, key = sb.base_url("coldlead"), sb.key("coldlead")
    with requests.Session() as session:
        for email in emails:
            for attempt in range(1, retries + 1):
                r = session.get(
                    f"{base}/v1/verify",
                    params={"email": email},
                    headers={"Authorization": f"Bearer {key}"},
                    timeout=30,
                )
                if r.status_code != 429 or attempt == retries:
                    break
                time.sleep(float(r.headers.get("Retry-After") or 1))


def _package(sb: RemoteSandbox, emails: list[str], folder: Path, client_limit: str) -> None:
    env = isolated_env(folder, sb.env(), COLDLEAD_RATE_LIMIT=client_limit)
    client = client_for(env, "coldlead")
    try:
        got = client.run("verify", emails)
        assert len(got.results) == len(emails)
    finally:
        client.close()


def run(
    n: int = 100,
    limit: int = 20,
    window_s: float = 2.0,
    client_limits: tuple[str, ...] = ("20/2",),
) -> dict[str, Any]:
    """One row per contender: answered, requests, 429s, seconds, utilization.

    ``client_limits`` are ``COLDLEAD_RATE_LIMIT`` values for the package (the
    vendor's own limit, scaled like the window). ``n`` should be a multiple of
    ``limit``: a perfect client then fills every window it touches.
    """
    emails = make_sheet(n, dup_share=0.0, seed=2).rows
    rows: list[dict[str, Any]] = []
    with temp_folder("rate") as tmp, RemoteSandbox() as sb:
        #: (name, COLDLEAD_RATE_LIMIT for the package, or tries per row for a naive loop)
        contenders: list[tuple[str, str | int]] = [
            (f"contact_udfs (COLDLEAD_RATE_LIMIT={c})", c) for c in client_limits
        ]
        contenders.append(("naive loop, sleeps Retry-After on 429", MAX_RETRIES))
        contenders.append(("naive loop, no 429 handling (row lost)", 1))
        for i, (name, how) in enumerate(contenders):
            log(f"rate limit: {name}")
            sb.set_rate("coldlead", limit, window_s)  # a fresh window for every contender
            sb.reset_counters()
            folder = tmp / str(i)
            folder.mkdir()
            if isinstance(how, int):
                work = functools.partial(_naive, sb, emails, how)
            else:
                work = functools.partial(_package, sb, emails, folder, how)
            _, seconds = timed(work)
            windows = max(1, math.ceil(seconds / window_s))
            answered = sb.credits_spent("coldlead")  # one credit per answered verify
            rows.append(
                {
                    "contender": name,
                    "rows": len(emails),
                    "answered": answered,
                    "requests": sb.requests("coldlead"),
                    "http_429": sb.count_429("coldlead"),
                    "seconds": round(seconds, 2),
                    "achieved_per_s": round(answered / seconds, 2),
                    "allowed_per_s": round(limit / window_s, 2),
                    "utilization": round(answered / (limit * windows), 3),
                }
            )
        sb.set_rate("coldlead", None)
    return {"params": {"n": n, "limit": limit, "window_s": window_s}, "results": rows}


def markdown(data: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The report section: one row per contender, and the headline."""
    p = data["params"]
    window = f"{p['limit']} per {p['window_s']:g} s"
    lines = [
        "## Rate-limit use (ColdLead)",
        "",
        f"ColdLead documents 200 requests per minute; the simulator enforces the same fixed "
        f'window scaled to {window} (`sb.set_rate("coldlead", {p["limit"]}, '
        f"{p['window_s']:g})`) so a run takes seconds. Each contender verifies the same "
        f"{p['n']:,} distinct addresses from a fresh window. *Achieved / allowed* is answered "
        "requests over what a perfect client gets in the same time: the limit for every "
        "window the run touched (the first one opens with its first request), so 1.00 means "
        "no window went unused and none was overrun.",
        "",
    ]
    rows, headline = [], []
    for r in data["results"]:
        lost = r["rows"] - r["answered"]
        rows.append(
            [
                r["contender"],
                md.num(r["answered"]),
                md.num(lost),
                md.num(r["requests"]),
                md.num(r["http_429"]),
                md.num(r["seconds"], 2),
                f"{r['utilization']:.2f}",
            ]
        )
        if r["contender"].startswith("contact_udfs"):
            headline.append(
                f"{r['contender']}: {r['utilization']:.2f} of the allowed rate, "
                f"{r['http_429']} HTTP 429."
            )
    lines += md.table(
        [
            "contender",
            "answered",
            "rows lost",
            "requests",
            "HTTP 429",
            "wall s",
            "achieved / allowed",
        ],
        rows,
        "l",
    )
    return lines, headline


def main() -> None:
    keep_traffic_local()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100)
    args = parser.parse_args()
    print(json.dumps(run(n=args.n), indent=2))


if __name__ == "__main__":
    main()
