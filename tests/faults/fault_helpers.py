"""Checks shared by the fault tests (imported as ``fault_helpers``).

The invariants every fault test asserts, whatever the fault:

* each contact ends answered, or ``unknown`` + ``retryable`` with a reason, or
  ``pending`` while its job is still running;
* nothing paid for is lost: every contact the simulator charged has a stored answer
  or sits in an open journaled job;
* no contact is charged twice automatically;
* once the faults stop, one ``retry_unknown=True`` call answers every contact a
  fault left unanswered, exactly as a run without faults would have.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contact_udfs import Client, Status
from contact_udfs.config import load_settings
from contact_udfs.sandbox import Sandbox

PROVIDERS = ("dropcontact", "fullcontact", "coldlead")
#: reasons meaning "a fault stopped the answer", never a vendor verdict
FAULT_REASONS = frozenset(
    {"connection_lost", "provider_error", "provider_unavailable", "pending", "job_lost",
     "job_expired", "not_returned"}
)  # fmt: skip
#: sandbox faults that strike before the vendor acts (nothing processed, nothing billed)
PRE_FAULTS = ("500", "502", "503", "504", "524", "429", "drop")
#: endpoints that bill, per provider
PAID = {
    "dropcontact": ("dropcontact.submit",),
    "fullcontact": ("fullcontact.submit", "fullcontact.single"),
    "coldlead": ("coldlead.verify",),
}
POLLS = {"dropcontact": "dropcontact.poll", "fullcontact": "fullcontact.poll"}


def label(fault: str, params: dict[str, Any]) -> str:
    """A test id for a fault and its parameters (``500-html``)."""
    return fault + ("-html" if params.get("html") else "")


def wait_until(predicate: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
    """Wait for a condition the simulator reports; bounded, fails loudly."""
    deadline = time.monotonic() + timeout
    tick = threading.Event()
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        tick.wait(0.01)


def faults_fired(sb: Sandbox, provider: str) -> int:
    fired = sb.stats()["faults"]
    return sum(sum(c.values()) for e, c in fired.items() if e.startswith(provider + "."))


def _handled(sb: Sandbox, endpoint: str) -> int:
    """Requests to ``endpoint`` that got past the faults striking before the vendor acts."""
    fired = sb.stats()["faults"].get(endpoint, {})
    requests = sb.requests(endpoint)
    assert isinstance(requests, int)
    return requests - sum(fired.get(f, 0) for f in PRE_FAULTS)


def billing_done(sb: Sandbox, provider: str) -> bool:
    """Whether the simulator has billed every request it processed.

    A ``slow`` fault answers after the client gave up on it (read timeout) and bills
    then; charges are only final once every processed request left its mark: a job for
    each batch submit, a charge for each single call.
    """
    with sb.state.lock:
        jobs = [j for j in sb.state.jobs.values() if j.kind == provider]
    charged = sum(sb.charges(provider).values())
    if provider == "dropcontact":
        return len(jobs) == _handled(sb, "dropcontact.submit")
    if provider == "fullcontact":
        in_jobs = sum(len(j.inputs) for j in jobs)
        return len(jobs) == _handled(sb, "fullcontact.submit") and charged == in_jobs + _handled(
            sb, "fullcontact.single"
        )
    return charged == _handled(sb, "coldlead.verify")


def settle(sb: Sandbox, provider: str) -> None:
    wait_until(lambda: billing_done(sb, provider), what=f"{provider} to bill what it processed")


def double_charged(sb: Sandbox, provider: str) -> list[str]:
    return sorted(k for k, n in sb.charges(provider).items() if n > 1)


def assert_nothing_paid_is_lost(sb: Sandbox, provider: str, client: Client) -> None:
    """Every charged contact has a stored answer or sits in an open journaled job."""
    charged = list(sb.charges(provider))
    stored = client.store.get_many(provider, "verify", charged)
    journaled = {k for rec in client.store.journal_open(provider, "verify") for k in rec.keys}
    lost = [k for k in charged if k not in stored and k not in journaled]
    assert not lost, f"{len(lost)} paid answers neither stored nor journaled: {lost[:5]}"


def assert_each_contact_accounted(results: Sequence[Any]) -> None:
    """Answered, or unknown + retryable with a reason, or pending."""
    for r in results:
        if r.reason in FAULT_REASONS:
            assert r.status is Status.UNKNOWN and r.retryable, r
        if r.status is Status.UNKNOWN:
            assert r.reason, r


def last_answers(batches: Sequence[Sequence[str]], runs: Sequence[Any]) -> dict[str, Any]:
    """Key -> the answer the latest run gave for it."""
    out: dict[str, Any] = {}
    for batch, run in zip(batches, runs, strict=True):
        for email, answer in zip(batch, run.results, strict=True):
            out[email.strip().lower()] = answer
    return out


def verdicts(answers: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {k: (a.status.value, a.reason) for k, a in answers.items()}


class Baseline:
    """What a provider answers when nothing fails, from a simulator and cache of its own."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._known: dict[tuple[str, tuple[str, ...]], dict[str, tuple[str, str | None]]] = {}

    def __call__(self, provider: str, emails: Sequence[str]) -> dict[str, tuple[str, str | None]]:
        wanted = (provider, tuple(emails))
        if wanted not in self._known:
            self._known[wanted] = self._ask(provider, list(emails))
        return self._known[wanted]

    def _ask(self, provider: str, emails: list[str]) -> dict[str, tuple[str, str | None]]:
        tmp = self.workdir / f"{provider}-{len(self._known)}"
        tmp.mkdir()
        (tmp / "empty.toml").write_text("")
        with Sandbox(seed=0, coldlead_rate=None) as sb:
            environ = {**sb.env(), "CONTACT_UDFS_CACHE": str(tmp / "base.sqlite"),
                       "CONTACT_UDFS_POLL_INTERVAL": "0",
                       f"{provider.upper()}_RATE_LIMIT": "1000/1"}  # fmt: skip
            settings = load_settings(environ, tmp / "empty.toml")
            with Client(providers=provider, settings=settings) as client:
                run = client.run("verify", emails)
        return verdicts(dict(zip(emails, run.results, strict=True)))


@dataclass
class Ledger:
    """Per-provider totals over the fault suite (counted at the simulator)."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    basetemp: Path | None = None

    COLUMNS = ("tests", "contacts", "requests", "faults", "answered", "retryable", "pending",
               "healed", "double")  # fmt: skip

    def add(self, provider: str, **numbers: int) -> None:
        self.rows.append({"provider": provider, "tests": 1, **numbers})

    def totals(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for row in self.rows:
            tot = out.setdefault(row["provider"], dict.fromkeys(self.COLUMNS, 0))
            for col in self.COLUMNS:
                tot[col] += int(row.get(col, 0))
        return out

    def table(self) -> list[str]:
        totals = self.totals()
        head = ["provider", *self.COLUMNS]
        body = [[p, *(str(totals[p][c]) for c in self.COLUMNS)] for p in PROVIDERS if p in totals]
        widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
        return [
            "  ".join(
                v.rjust(w) if i else v.ljust(w)
                for i, (v, w) in enumerate(zip(r, widths, strict=True))
            )
            for r in [head, *body]
        ]


def exercise(
    sb: Sandbox,
    client: Client,
    provider: str,
    batches: Iterable[Sequence[str]],
    ledger: Ledger,
    baseline: Baseline,
) -> dict[str, Any]:
    """Run ``batches`` under whatever faults are planned, check every invariant, record
    the numbers, then stop the faults and check that one conscious retry heals all."""
    batches = [list(b) for b in batches]
    runs = [client.run("verify", b) for b in batches]
    settle(sb, provider)
    first = last_answers(batches, runs)
    for run in runs:
        assert_each_contact_accounted(run.results)
    doubles = double_charged(sb, provider)
    assert not doubles, f"charged twice without retry_unknown: {doubles[:5]}"
    assert_nothing_paid_is_lost(sb, provider, client)
    hit = {k for k, a in first.items() if a.reason in FAULT_REASONS}
    pending = {k for k in hit if first[k].reason == "pending"}
    numbers = {
        "contacts": len(first), "requests": sb.requests(provider),
        "faults": faults_fired(sb, provider), "answered": len(first) - len(hit),
        "retryable": len(hit - pending), "pending": len(pending), "double": len(doubles),
    }  # fmt: skip

    sb.clear_faults()
    keys = sorted(first)
    healed = client.run("verify", keys, retry_unknown=True)
    after = dict(zip(keys, healed.results, strict=True))
    still = {k: a.reason for k, a in after.items() if a.reason in FAULT_REASONS}
    assert not still, f"not healed by retry_unknown: {list(still.items())[:5]}"
    assert verdicts(after) == baseline(provider, keys)
    ledger.add(provider, healed=len(hit), **numbers)
    return {"first": first, "healed": after, "hit": hit, **numbers}
