"""Offline throughput: emails per second of the keyless ``local`` provider, DNS off.

With no key at all the package still answers (syntax, typos, disposable,
free-mail and role addresses). The natural yardstick is what a user would
write instead: a loop over ``email_validator.validate_email(...,
check_deliverability=False)``, which checks syntax only. Three levels of the
package are timed on the same distinct addresses, each in a fresh process so
no level profits from a cache another one warmed (normalization memoizes):

* the provider alone (normalize, then ``LocalProvider(check_dns=False).submit``);
* the whole client, first run: dedupe, claims, answers written to the store;
* the whole client, rerun: every answer read back from the store.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import _markdown as md
from _common import (
    client_for,
    isolated_env,
    keep_traffic_local,
    log,
    make_sheet,
    run_child,
    temp_folder,
    timed,
)

LEVELS = ("email_validator", "provider", "client_first", "client_cached")


def measure(level: str, n: int, folder: str) -> dict[str, Any]:
    """Child side: time one level on ``n`` distinct addresses; emails per second."""
    from pathlib import Path

    emails = make_sheet(n, dup_share=0.0, seed=5).rows
    if level == "email_validator":
        from email_validator import EmailNotValidError, validate_email

        def work() -> None:
            for e in emails:
                try:
                    validate_email(e, check_deliverability=False)
                except EmailNotValidError:
                    pass

        _, seconds = timed(work)
    elif level == "provider":
        from contact_udfs.identity import normalize_email
        from contact_udfs.models import Operation
        from contact_udfs.providers.base import Task
        from contact_udfs.providers.local import LocalProvider

        provider = LocalProvider(check_dns=False)

        def work() -> None:
            keys = [k for k in (normalize_email(e).key for e in emails) if k]
            tasks = [Task(k, {"email": k}) for k in keys]
            for i in range(0, len(tasks), provider.max_batch):
                provider.submit(Operation.VERIFY, tasks[i : i + provider.max_batch])

        _, seconds = timed(work)
    else:
        env = isolated_env(Path(folder))
        client = client_for(env, ["local"], check_dns=False)
        try:
            if level == "client_cached":
                client.verify_emails(emails)  # fill the cache; the rerun is what is timed
            results, seconds = timed(lambda: client.verify_emails(emails))
            assert all(r.provider == "local" for r in results)
            if level == "client_cached":
                assert all(r.from_cache for r in results)
        finally:
            client.close()
    return {"level": level, "emails": n, "seconds": seconds, "per_s": n / seconds}


#: fresh processes per level; the median is reported (one run of a second or two moves
#: by a fifth or more on a shared machine)
REPEATS = 3


def run(n: int = 30_000, repeats: int = REPEATS) -> dict[str, Any]:
    """One row per level: the median of ``repeats`` runs, each from its own process."""
    rows = []
    with temp_folder("offline") as tmp:
        for i, level in enumerate(LEVELS):
            log(f"offline: {level} on {n:,} addresses, {repeats} runs")
            runs = []
            for r in range(repeats):
                folder = tmp / f"{i}-{r}"
                folder.mkdir()
                args = {"level": level, "n": n, "folder": str(folder)}
                runs.append(run_child("offline", "measure", args))
            runs.sort(key=lambda x: x["per_s"])
            middle = dict(runs[len(runs) // 2])
            middle["runs_per_s"] = [x["per_s"] for x in runs]
            rows.append(middle)
    return {"params": {"n": n, "repeats": repeats}, "results": rows}


def markdown(data: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The report section: emails per second per level, against the email_validator loop."""
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
        f"one warmed, {data['params'].get('repeats', 1)} times: the median, and the range.",
        "",
        *md.table(
            ["what", "emails / s", "range", "vs email_validator loop"],
            [
                [names[k], md.num(r["per_s"]), _range(r), md.times(r["per_s"], base)]
                for k, r in results.items()
            ],
            "l",
        ),
    ]
    prov, first = results["provider"], results["client_first"]
    headline = [
        f"Offline: the local provider checks {prov['per_s']:,.0f} emails/s "
        f"({md.times(prov['per_s'], base)} a bare `email_validator` loop); through the client "
        f"with the cache, {first['per_s']:,.0f}/s on a first run and "
        f"{results['client_cached']['per_s']:,.0f}/s on a rerun."
    ]
    return lines, headline


def _range(r: dict[str, Any]) -> str:
    runs = r.get("runs_per_s") or [r["per_s"]]
    return f"{min(runs):,.0f} – {max(runs):,.0f}"


def main() -> None:
    keep_traffic_local()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=30_000)
    print(json.dumps(run(n=parser.parse_args().n), indent=2))


if __name__ == "__main__":
    main()
