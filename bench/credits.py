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

import requests
from _common import client_for, isolated_env, log, make_sheet, temp_folder, timed
from _sandbox import RemoteSandbox

PROVIDERS = ("fullcontact", "coldlead", "dropcontact")
CONTENDERS = ("naive", "requests_cache", "contact_udfs")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--providers", default=",".join(PROVIDERS))
    args = parser.parse_args()
    print(json.dumps(run(rows=args.rows, providers=args.providers.split(",")), indent=2))


if __name__ == "__main__":
    main()
