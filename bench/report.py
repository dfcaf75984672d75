"""Turn the benchmarks' result dicts into ``docs/benchmarks.md``.

The page is generated, never edited by hand: every number in it comes from
the run whose command, date and machine it states, so anyone can reproduce
it with that command (and see at once when their machine differs).
"""

from __future__ import annotations

import math
import os
import platform
import subprocess
from collections.abc import Iterable, Sequence
from importlib import metadata
from typing import Any

from _common import ROOT, ratio

PACKAGES = (
    "contact-udfs",
    "pandas",
    "numpy",
    "requests",
    "requests-cache",
    "requests-ratelimiter",
    "pyrate-limiter",
    "email-validator",
    "xlwings",
    "openpyxl",
    "tqdm",
)
LABELS = {
    "naive": "naive loop",
    "requests_cache": "requests-cache + loop",
    "contact_udfs": "contact_udfs",
}


# -- machine ----------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> str:
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            kib = int(next(line for line in fh if line.startswith("MemTotal")).split()[1])
        return f"{kib / 2**20:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        return "unknown"


def _revision() -> str:
    """The commit measured, flagged when the package has uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "contact_udfs"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head} (package with uncommitted changes)" if dirty else head


def machine() -> dict[str, Any]:
    """What the numbers depend on: cores, CPU, memory, Python, package versions, load."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory": _memory_gib(),
        "os": platform.platform(terse=True),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "revision": _revision(),
        "packages": versions,
    }


# -- formatting -------------------------------------------------------------------------------


def _num(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


def _x(value: float | None) -> str:
    """A ratio as "12.3x" (or "-" when undefined)."""
    if value is None:
        return "-"
    return f"{value:,.1f}x" if value < 100 else f"{value:,.0f}x"


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]], align: str = "") -> list[str]:
    """A Markdown table; ``align`` is one letter per column (l/r), right by default."""
    marks = [":--" if (align[i : i + 1] or "r") == "l" else "--:" for i in range(len(header))]
    out = ["| " + " | ".join(header) + " |", "| " + " | ".join(marks) + " |"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out + [""]


# -- sections ---------------------------------------------------------------------------------


def _credits(data: dict[str, Any]) -> tuple[list[str], list[str]]:
    p, results = data["params"], data["results"]
    lines = [
        "## Credits and calls",
        "",
        f"One sheet of {p['rows']:,} rows: {p['distinct']:,} distinct addresses and "
        f"{p['rows'] - p['distinct']:,} duplicates ({p['dup_share']:.0%}; one in five an exact "
        "repeat, the others differing only in case or surrounding spaces). Then a rerun: the "
        f"same rows plus {p['new_rows']:,} new ones ({p['rerun_rows']:,} rows). Every contender "
        "verifies both through one provider at a time; the simulator counts the credits charged "
        "and the HTTP requests received. Pacing is lifted for this benchmark (no server limit, "
        "a client limit far above the request rate). "
        + (
            "Dropcontact jobs are ready at the first poll: the fewest requests any client can "
            "make (a real job needs several polls, which the per-row loops pay per row)."
            if p["job_polls_before_ready"] == 0
            else f'Dropcontact jobs are ready after {p["job_polls_before_ready"]} "not ready" '
            "poll(s)."
        ),
        "",
        "* **naive loop**: one request per row to the vendor's single endpoint "
        "(FullContact `GET /v2/verification/email`, ColdLead `GET /v1/verify`, Dropcontact "
        "`POST /v1/enrich/all` with one contact, then polls until ready) with a "
        "`requests.Session`;",
        "* **requests-cache + loop**: the same loop through a `requests_cache.CachedSession` "
        "(SQLite, WAL, GETs only, Dropcontact polls excluded): it dedupes exact-URL repeats "
        "only, and caches nothing for POSTs;",
        '* **contact_udfs**: `Client(providers=[provider]).run("verify", rows)`, a new client '
        "for the rerun, the same cache file.",
        "",
    ]
    by = {(r["provider"], r["contender"], r["run"]): r for r in results}
    providers = list(dict.fromkeys(r["provider"] for r in results))
    headline: list[str] = []
    summary_rows = []
    for provider in providers:
        lines += [f"### {provider}", ""]
        rows = []
        for contender in LABELS:
            for run in ("first", "rerun"):
                r = by.get((provider, contender, run))
                if r is None:
                    continue
                rows.append(
                    [
                        LABELS[contender],
                        run,
                        _num(r["credits"]),
                        _num(r["requests"]),
                        _num(r["seconds"], 2),
                    ]
                )
        lines += _table(["contender", "run", "credits", "HTTP requests", "wall s"], rows, "ll")

        def total(contender: str, field: str, provider: str = provider) -> float:
            return sum(by[(provider, contender, run)][field] for run in ("first", "rerun"))

        cu = {f: total("contact_udfs", f) for f in ("credits", "requests", "seconds")}
        naive = {f: total("naive", f) for f in cu}
        cached = {f: total("requests_cache", f) for f in cu}
        summary_rows.append(
            [
                provider,
                _x(ratio(naive["credits"], cu["credits"])),
                _x(ratio(cached["credits"], cu["credits"])),
                _x(ratio(naive["requests"], cu["requests"])),
                _x(ratio(cached["requests"], cu["requests"])),
                _x(ratio(naive["seconds"], cu["seconds"])),
                _x(ratio(cached["seconds"], cu["seconds"])),
            ]
        )
        rerun_cu = by[(provider, "contact_udfs", "rerun")]
        headline.append(
            f"{provider}: the naive loop pays {_x(ratio(naive['credits'], cu['credits']))} the "
            f"credits and sends {_x(ratio(naive['requests'], cu['requests']))} the requests of "
            f"contact_udfs (requests-cache + loop: {_x(ratio(cached['credits'], cu['credits']))} "
            f"and {_x(ratio(cached['requests'], cu['requests']))}); the rerun costs contact_udfs "
            f"{rerun_cu['credits']:,} credits for {p['new_rows']:,} new rows."
        )
    lines += [
        "### Ratios (both runs together; higher means contact_udfs spends less)",
        "",
        *_table(
            [
                "provider",
                "credits: naive / cu",
                "credits: requests-cache / cu",
                "requests: naive / cu",
                "requests: requests-cache / cu",
                "wall: naive / cu",
                "wall: requests-cache / cu",
            ],
            summary_rows,
            "l",
        ),
    ]
    return lines, headline


def _rate(data: dict[str, Any]) -> tuple[list[str], list[str]]:
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
                _num(r["answered"]),
                _num(lost),
                _num(r["requests"]),
                _num(r["http_429"]),
                _num(r["seconds"], 2),
                f"{r['utilization']:.2f}",
            ]
        )
        if r["contender"].startswith("contact_udfs"):
            headline.append(
                f"{r['contender']}: {r['utilization']:.2f} of the allowed rate, "
                f"{r['http_429']} HTTP 429."
            )
    lines += _table(
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


def _faces(data: dict[str, Any]) -> tuple[list[str], list[str]]:
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
            _num(seconds, 3),
            _num(seconds / n * 1e6, 1),
            _num(floor, 3),
            _x(ratio(seconds, floor)) if floor else "",
            _num(before) if before is not None else "",
            _num(peak) if peak is not None else "",
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
    lines += _table(
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
        f"({_x(ratio(acc['seconds'], acc['floor_seconds']))} the bare store reads), the CLI on "
        f"{p['rows']:,} rows in {warm['seconds']:.2f} s (peak RSS {warm['maxrss_mb']:.0f} MiB)."
    ]
    return lines, headline


def _offline(data: dict[str, Any]) -> tuple[list[str], list[str]]:
    results = {r["level"]: r for r in data["results"]}
    base = results["email_validator"]["per_s"]
    names = {
        "email_validator": "`email_validator.validate_email(e, check_deliverability=False)` loop",
        "provider": "`LocalProvider(check_dns=False)`: normalize + submit",
        "client_first": '`Client(providers=["local"])`, first run (answers stored)',
        "client_cached": '`Client(providers=["local"])`, rerun (answers read back)',
    }
    lines = [
        "## Offline provider throughput",
        "",
        f"{data['params']['n']:,} distinct addresses, no DNS (the local provider's "
        "`check_dns=False`); each level in a fresh process, so no level uses a cache another "
        "one warmed.",
        "",
        *_table(
            ["what", "emails / s", "vs email_validator loop"],
            [[names[k], _num(r["per_s"]), _x(ratio(r["per_s"], base))] for k, r in results.items()],
            "l",
        ),
    ]
    prov, first = results["provider"], results["client_first"]
    headline = [
        f"Offline: the local provider checks {prov['per_s']:,.0f} emails/s "
        f"({_x(ratio(prov['per_s'], base))} a bare `email_validator` loop); through the client "
        f"with the cache, {first['per_s']:,.0f}/s on a first run and "
        f"{results['client_cached']['per_s']:,.0f}/s on a rerun."
    ]
    return lines, headline


def _scale(data: dict[str, Any]) -> tuple[list[str], list[str]]:
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
            _num(r["rows"]),
            _num(r["distinct"]),
            _num(r["cold_seconds"], 1),
            _num(r["cold_seconds"] / r["rows"] * 1e6, 1),
        ]
        if with_cached:
            row += [
                "-" if cached is None else _num(cached, 1),
                "-" if cached is None else _num(cached / r["rows"] * 1e6, 1),
            ]
        row += [
            _num(r["rss_before_mb"]),
            _num(r["rss_peak_cold_mb"]),
            _num(r["input_frame_mb"]),
            _num(r["answer_columns_mb"]),
            bound + _num(_mem(r)),
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
    lines += _table(header, rows)
    small, big = data["results"][0], data["results"][-1]
    if big is not small:
        per_small = small["cold_seconds"] / small["rows"] * 1e6
        per_big = big["cold_seconds"] / big["rows"] * 1e6
        lines += [
            f"From {small['rows']:,} to {big['rows']:,} rows the first run's cost per row goes "
            f"from {per_small:,.0f} to {per_big:,.0f} µs ({_x(ratio(per_big, per_small))}), and "
            f"the working memory from {_mem(small):,.0f} to {_mem(big):,.0f} MiB "
            f"({_x(ratio(_mem(big), _mem(small)))} for {_x(ratio(big['rows'], small['rows']))} "
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


SECTIONS = {
    "credits": _credits,
    "rate_limit": _rate,
    "faces": _faces,
    "offline": _offline,
    "scale": _scale,
}


def render(
    command: str,
    started: str,
    seconds: float,
    info: dict[str, Any],
    results: dict[str, Any],
    load: tuple[str, str],
    notes: Sequence[str] = (),
) -> str:
    """The whole page."""
    body: list[str] = []
    headline: list[str] = []
    for name, section in SECTIONS.items():
        if name in results:
            lines, heads = section(results[name])
            body += lines
            headline += heads
    pkgs = ", ".join(f"{k} {v}" for k, v in info["packages"].items())
    out = [
        "# Benchmarks",
        "",
        "<!-- Generated by bench/run_all.py: edit the benchmarks, not this page. -->",
        "",
        f"Produced by `{command}` on {started}, in {seconds / 60:.1f} minutes. Every "
        "benchmark runs against the vendor simulator (`contact_udfs.sandbox`) on 127.0.0.1, "
        "with a private temporary cache and config: no real vendor, no user cache.",
        "",
        "## Machine",
        "",
        *_table(
            ["cores", "CPU", "memory", "OS", "Python", "revision", "load average (start / end)"],
            [
                [
                    info["cores"],
                    info["cpu"],
                    info["memory"],
                    info["os"],
                    info["python"],
                    info["revision"],
                    f"{load[0]} / {load[1]}",
                ]
            ],
            "lllllll",
        ),
        f"Packages: {pkgs}.",
        "",
    ]
    if notes:
        out += [*(f"> {n}" for n in notes), ""]
    out += ["## Headline", "", *(f"* {h}" for h in headline), "", *body]
    return "\n".join(out).rstrip() + "\n"
