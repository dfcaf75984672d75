"""Credits and calls: what a sheet costs with ``contact_udfs`` and with what users write today.

The promise under test is DESIGN §5: one credit per distinct contact, ever.
Users today loop over their rows and call each vendor's single endpoint
(FullContact's single GET, ColdLead's verify, Dropcontact's POST of one
contact then polling), some put requests-cache in front of that loop. Both
pay for every duplicate that is not byte-identical, and requests-cache cannot
help with Dropcontact at all (a POST, and a poll must never be cached). So the
same sheet - 30 % duplicates that differ by case or spaces, then a rerun with
10 % new rows - goes through the three contenders, provider by provider, and
the simulator counts what each one was charged and how many requests it made.

Pacing is lifted here (no server limit, a client limit far above the request
rate): this benchmark is about credits and calls; rate-limit use is
:mod:`rate_limit`'s subject.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
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

PROVIDERS = ("fullcontact", "coldlead", "dropcontact")
CONTENDERS = ("naive", "requests_cache", "contact_udfs")
#: how each contender is named in the report
LABELS = {
    "naive": "naive loop",
    "requests_cache": "requests-cache + loop",
    "contact_udfs": "contact_udfs",
}
#: a naive Dropcontact loop polls a job at most this many times
MAX_POLLS = 20
_TIMEOUT = 30.0


class NaiveLoop:
    """One vendor request per row, as in the scripts users write today.

    The loop polls Dropcontact without sleeping (the simulator's jobs are
    ready after a number of polls, not seconds), so its wall time is a lower
    bound of what the real script takes.
    """

    def __init__(self, session: requests.Session, provider: str, base_url: str, key: str) -> None:
        self.session, self.provider, self.base, self.key = session, provider, base_url, key
        self.errors = 0

    def verify(self, rows: Sequence[str]) -> None:
        one: Callable[[str], bool] = getattr(self, f"_{self.provider}")
        for row in rows:
            if not one(row):
                self.errors += 1

    def _fullcontact(self, email: str) -> bool:
        r = self.session.get(
            f"{self.base}/v2/verification/email",
            params={"email": email, "apiKey": self.key},
            timeout=_TIMEOUT,
        )
        return r.ok and isinstance(r.json(), dict)

    def _coldlead(self, email: str) -> bool:
        r = self.session.get(
            f"{self.base}/v1/verify",
            params={"email": email},
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=_TIMEOUT,
        )
        return r.ok and isinstance(r.json(), dict)

    def _dropcontact(self, email: str) -> bool:
        headers = {"X-Access-Token": self.key}
        r = self.session.post(
            f"{self.base}/v1/enrich/all",
            json={"data": [{"email": email}], "language": "en"},
            headers=headers,
            timeout=_TIMEOUT,
        )
        request_id = r.json().get("request_id") if r.ok else None
        if not request_id:
            return False
        for _ in range(MAX_POLLS):
            poll = self.session.get(
                f"{self.base}/v1/enrich/all/{request_id}", headers=headers, timeout=_TIMEOUT
            )
            if poll.ok and poll.json().get("success"):
                return True
        return False


def _cached_session(folder: Path, sandbox_url: str) -> requests.Session:
    """requests-cache as a careful user sets it up: GETs only, never a job poll.

    Caching Dropcontact's poll would answer "not ready" forever from the
    cache, so its URL is excluded; POSTs are not cached at all (their key
    would be the whole body, and a cached submit returns a stale job id).
    ``wal=True``: the default journal syncs the disk for every response
    saved, which would make this contender look slow for a reason that has
    nothing to do with credits.
    """
    import requests_cache

    host = sandbox_url.split("://", 1)[1]
    return requests_cache.CachedSession(
        str(folder / "http_cache"),
        backend="sqlite",
        wal=True,
        allowable_methods=("GET",),
        urls_expire_after={f"{host}/dropcontact/v1/enrich/all/": requests_cache.DO_NOT_CACHE},
    )


def _measure(
    sb: RemoteSandbox, provider: str, contender: str, label: str, work: Callable[[], Any]
) -> dict[str, Any]:
    sb.reset_counters()
    _, seconds = timed(work)
    return {
        "provider": provider,
        "contender": contender,
        "run": label,
        "credits": sb.credits_spent(provider),
        "requests": sb.requests(provider),
        "seconds": round(seconds, 3),
    }


def _contender_runs(
    sb: RemoteSandbox, provider: str, contender: str, runs: list[tuple[str, list[str]]], tmp: Path
) -> list[dict[str, Any]]:
    """Both runs of one contender; state (session cache, store) carries over between them."""
    folder = tmp / f"{provider}-{contender}"
    folder.mkdir()
    out: list[dict[str, Any]] = []
    if contender == "contact_udfs":
        env = isolated_env(folder, sb.env(), **{f"{provider.upper()}_RATE_LIMIT": "100000/1"})
        for label, rows in runs:
            client = client_for(env, provider)  # a new client per run: the rerun is another day

            def go(client: Any = client, rows: list[str] = rows) -> None:
                got = client.run("verify", rows, progress=None)
                assert len(got.results) == len(rows)

            try:
                out.append(_measure(sb, provider, contender, label, go))
            finally:
                client.close()
        return out
    session = (
        _cached_session(folder, sb.url) if contender == "requests_cache" else requests.Session()
    )
    loop = NaiveLoop(session, provider, sb.base_url(provider), sb.key(provider))
    try:
        for label, rows in runs:
            out.append(_measure(sb, provider, contender, label, lambda r=rows: loop.verify(r)))
            out[-1]["errors"] = loop.errors
    finally:
        session.close()
    return out


def run(
    rows: int = 10_000,
    dup_share: float = 0.3,
    new_share: float = 0.1,
    providers: Sequence[str] = PROVIDERS,
    job_polls: int = 0,
) -> dict[str, Any]:
    """Credits, requests and wall time per provider, contender and run (first, rerun).

    ``job_polls`` is how many "not ready" answers a Dropcontact job gives before
    its results: 0, the fewest requests any client can make, keeps the
    comparison conservative (a real job needs several polls, which only the
    per-row loops pay per row).
    """
    sheet = make_sheet(rows, dup_share, new_share, seed=1)
    runs = [("first", sheet.rows), ("rerun", sheet.rerun)]
    results: list[dict[str, Any]] = []
    with temp_folder("credits") as tmp, RemoteSandbox(job_polls_before_ready=job_polls) as sb:
        for provider in providers:
            for contender in CONTENDERS:
                log(f"credits: {provider} / {contender}")
                results += _contender_runs(sb, provider, contender, runs, tmp)
    return {
        "params": {
            "rows": rows,
            "dup_share": dup_share,
            "new_share": new_share,
            "distinct": sheet.distinct,
            "rerun_rows": len(sheet.rerun),
            "new_rows": sheet.new,
            "job_polls_before_ready": job_polls,
        },
        "results": results,
    }


def markdown(data: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The report section: a table per provider, then the ratios and the headline."""
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
                        md.num(r["credits"]),
                        md.num(r["requests"]),
                        md.num(r["seconds"], 2),
                    ]
                )
        lines += md.table(["contender", "run", "credits", "HTTP requests", "wall s"], rows, "ll")

        def total(contender: str, field: str, provider: str = provider) -> float:
            return sum(by[(provider, contender, run)][field] for run in ("first", "rerun"))

        cu = {f: total("contact_udfs", f) for f in ("credits", "requests", "seconds")}
        naive = {f: total("naive", f) for f in cu}
        cached = {f: total("requests_cache", f) for f in cu}
        summary_rows.append(
            [
                provider,
                md.times(naive["credits"], cu["credits"]),
                md.times(cached["credits"], cu["credits"]),
                md.times(naive["requests"], cu["requests"]),
                md.times(cached["requests"], cu["requests"]),
                md.times(naive["seconds"], cu["seconds"]),
                md.times(cached["seconds"], cu["seconds"]),
            ]
        )
        rerun_cu = by[(provider, "contact_udfs", "rerun")]
        headline.append(
            f"{provider}: the naive loop pays {md.times(naive['credits'], cu['credits'])} the "
            f"credits and sends {md.times(naive['requests'], cu['requests'])} the requests of "
            f"contact_udfs (requests-cache + loop: {md.times(cached['credits'], cu['credits'])} "
            f"and {md.times(cached['requests'], cu['requests'])}); the rerun costs contact_udfs "
            f"{rerun_cu['credits']:,} credits for {p['new_rows']:,} new rows."
        )
    lines += [
        "### Ratios (both runs together; higher means contact_udfs spends less)",
        "",
        *md.table(
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


def main() -> None:
    keep_traffic_local()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--providers", default=",".join(PROVIDERS))
    args = parser.parse_args()
    print(json.dumps(run(rows=args.rows, providers=args.providers.split(",")), indent=2))


if __name__ == "__main__":
    main()
