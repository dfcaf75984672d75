"""What every benchmark shares: an isolated environment, the data, timers, child processes.

Benchmarks must never touch the user's cache, config or network, and their
numbers must be comparable between contenders, so this module owns:

* :func:`isolated_env` - a copy of the environment with every ``contact_udfs``
  variable replaced, the cache and config under a temporary folder, the
  platformdirs roots moved there too, and the simulator as the only host;
* :func:`make_sheet` - one deterministic sheet (distinct addresses from the
  simulator's world plus case/space variants) that every contender gets;
* :func:`run_child` - a fresh interpreter per heavy measurement, so the peak
  RSS it reports belongs to that measurement alone (read with ``wait4``).
"""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
_PREFIXES = ("CONTACT_UDFS_", "DROPCONTACT_", "FULLCONTACT_", "COLDLEAD_")
_T = TypeVar("_T")

#: how a duplicate row differs from the row it repeats (cycled in this order)
VARIANTS = ("exact", "upper", "title", "spaces", "upper_spaces")
#: addresses drawn from the world's sampler; bigger pools are derived from these
_SAMPLED_MAX = 100_000


# -- environment ------------------------------------------------------------------------------


def isolated_env(
    folder: Path, sandbox_env: Mapping[str, str] | None = None, **extra: str
) -> dict[str, str]:
    """The environment of a benchmark run: nothing of the user's set-up leaks in.

    Keys and base URLs come only from ``sandbox_env``; the cache, the config
    file and the platformdirs roots live under ``folder``; polling is instant
    (the simulator's jobs are ready after a fixed number of polls, not seconds).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(_PREFIXES)}
    config = folder / "empty.toml"
    config.write_text("")
    env.update(
        CONTACT_UDFS_CACHE=str(folder / "cache.sqlite"),
        CONTACT_UDFS_CONFIG=str(config),
        CONTACT_UDFS_POLL_INTERVAL="0",
        XDG_CACHE_HOME=str(folder / "xdg-cache"),
        XDG_CONFIG_HOME=str(folder / "xdg-config"),
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(sandbox_env or {})
    env.update(extra)
    return env


def keep_traffic_local() -> None:
    """Never send the simulator's 127.0.0.1 traffic through a proxy named in the environment.

    The naive loops use plain ``requests`` sessions, which honour ``HTTP_PROXY``;
    ``NO_PROXY`` keeps them direct while they still pay for reading the
    environment on every request, as users' scripts do.
    """
    for name in ("NO_PROXY", "no_proxy"):
        hosts = [h for h in os.environ.get(name, "").split(",") if h.strip()]
        os.environ[name] = ",".join(dict.fromkeys([*hosts, "127.0.0.1", "localhost"]))


def client_for(env: Mapping[str, str], providers: str | list[str], **local: Any) -> Any:
    """A ``Client`` built from ``env`` only (never ``os.environ`` or the user's config).

    ``local`` sets options of the offline provider (``check_dns=False``): the
    config file has no section for it, so they are added to the settings here.
    """
    from contact_udfs import Client
    from contact_udfs.config import ProviderSettings, load_settings

    settings = load_settings(environ=env, config_file=env["CONTACT_UDFS_CONFIG"])
    if local:
        options = ProviderSettings("local", options=dict(local))
        settings = settings.with_(
            provider_settings={**settings.provider_settings, "local": options}
        )
    return Client(providers=providers, settings=settings)


@contextmanager
def temp_folder(prefix: str) -> Iterator[Path]:
    """A private temporary folder (0700), removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=f"contact-udfs-bench-{prefix}-") as name:
        yield Path(name)


# -- data -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sheet:
    """One benchmark sheet: the rows, the rows of the rerun, and how they were made."""

    rows: list[str]
    #: ``rows`` plus the new rows of the rerun, appended
    rerun: list[str]
    distinct: int
    new: int


def variant(email: str, kind: str) -> str:
    """A duplicate of ``email`` as people type it: case and stray spaces changed."""
    if kind == "exact":
        return email
    if kind == "upper":
        return email.upper()
    if kind == "title":
        local, _, domain = email.partition("@")
        return f"{local.title()}@{domain.capitalize()}"
    if kind == "spaces":
        return f"  {email} "
    if kind == "upper_spaces":
        return f" {email.upper()}  "
    raise ValueError(kind)


def make_sheet(n_rows: int, dup_share: float = 0.3, new_share: float = 0.0, seed: int = 0) -> Sheet:
    """``n_rows`` rows of which ``dup_share`` repeat an earlier address (a variant of it).

    Distinct addresses come from the simulator's world (every verdict kind in
    realistic proportions); the duplicates cycle through :data:`VARIANTS`, so
    one in five is an exact repeat and the rest differ only in case or spaces.
    The rerun appends ``new_share * n_rows`` addresses never seen before.
    """
    distinct = n_rows - round(n_rows * dup_share)
    new = round(n_rows * new_share)
    pool = _pool(distinct + new, seed)
    base, fresh = pool[:distinct], pool[distinct:]
    rng = random.Random(f"bench-sheet-{seed}-{n_rows}")
    dups = [
        variant(rng.choice(base), VARIANTS[i % len(VARIANTS)]) for i in range(n_rows - distinct)
    ]
    rows = base + dups
    rng.shuffle(rows)
    return Sheet(rows=rows, rerun=rows + fresh, distinct=distinct, new=new)


# -- measuring --------------------------------------------------------------------------------


def _pool(n: int, seed: int) -> list[str]:
    """``n`` distinct addresses; past :data:`_SAMPLED_MAX` the sampler (slow for a million)
    gives a tenth of them and the rest are numbered siblings at the same domains."""
    from contact_udfs.sandbox import get_world

    sampled = get_world(0).sample_emails(min(n, max(_SAMPLED_MAX, -(-n // 10))), seed=seed)
    out = list(sampled)
    k = 0
    while len(out) < n:
        k += 1
        out.extend(
            f"{local}.{k}@{domain}"
            for local, _, domain in (e.rpartition("@") for e in sampled[: n - len(out)])
        )
    if len(set(out)) != n:
        raise RuntimeError(f"could not make {n} distinct addresses")
    return out


def timed(fn: Callable[[], _T]) -> tuple[_T, float]:
    """``fn()`` and the wall seconds it took."""
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def maxrss_mb() -> float:
    """Peak RSS of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    """Current RSS of this process in MiB (for a baseline before the measured call)."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return float("nan")


@dataclass(frozen=True)
class ChildResult:
    """What a child process returned, with its own peak RSS and wall time."""

    returncode: int
    seconds: float
    maxrss_mb: float
    stdout: str
    stderr: str


def run_process(
    cmd: list[str], env: Mapping[str, str], *, timeout: float, cwd: Path | None = None
) -> ChildResult:
    """Run ``cmd`` and read its own peak RSS with ``wait4`` (not the max over all children).

    The wait is a bounded poll: a benchmark that hangs is killed at ``timeout``.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=dict(env), stdout=out, stderr=err, cwd=cwd)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return ChildResult(
            returncode=proc.returncode,
            seconds=seconds,
            maxrss_mb=usage.ru_maxrss / 1024,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
        )


def run_child(
    module: str,
    function: str,
    kwargs: Mapping[str, Any],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 600.0,
) -> dict[str, Any]:
    """``module.function(**kwargs)`` in a fresh interpreter; its dict plus ``child_maxrss_mb``.

    A fresh process is the only honest way to report a peak RSS: the parent
    has already paid for its own imports and data.
    """
    with tempfile.TemporaryDirectory(prefix="contact-udfs-bench-child-") as tmp:
        result = Path(tmp) / "result.json"
        cmd = [
            sys.executable,
            str(BENCH_DIR / "_child.py"),
            module,
            function,
            json.dumps(dict(kwargs)),
            str(result),
        ]
        done = run_process(cmd, env or os.environ, timeout=timeout, cwd=ROOT)
        if done.returncode != 0 or not result.exists():
            tail = "\n".join(done.stderr.strip().splitlines()[-15:])
            raise RuntimeError(f"{module}.{function} failed (exit {done.returncode}):\n{tail}")
        data: dict[str, Any] = json.loads(result.read_text())
    data["child_maxrss_mb"] = round(done.maxrss_mb, 1)
    data["child_seconds"] = round(done.seconds, 2)
    return data


def log(message: str) -> None:
    """Progress on stderr, so stdout stays free for results."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
