"""The vendor simulator in its own process, steered through a pipe.

In production the vendor is another machine. Serving the simulator from the
benchmark's own interpreter would make every client wait for the server's
share of the GIL, which inflates the per-request cost of the chattiest
contender most. In a separate process it gets a core of its own and the
client's overhead shows as it is. The credit and request counters stay exact:
they are read from the :class:`~contact_udfs.sandbox.Sandbox` object in that
process.
"""

from __future__ import annotations

import multiprocessing as mp
from multiprocessing.connection import Connection
from typing import Any

#: simulated credits per provider: far more than any benchmark spends
BALANCE = 100_000_000
#: seconds to wait for the simulator to start or answer a command
_TIMEOUT = 60.0


def _serve(conn: Connection, seed: int, job_polls: int) -> None:
    """Child side: start the simulator, then run the parent's commands until "stop"."""
    from contact_udfs.sandbox import Sandbox

    balances = {p: BALANCE for p in ("dropcontact", "fullcontact", "coldlead")}
    with Sandbox(
        seed=seed, job_polls_before_ready=job_polls, coldlead_rate=None, balances=balances
    ) as sb:
        conn.send((True, sb.env()))
        while True:
            name, args, kwargs = conn.recv()
            if name == "stop":
                conn.send((True, None))
                return
            try:
                conn.send((True, getattr(sb, name)(*args, **kwargs)))
            except Exception as exc:  # report to the parent instead of dying silently
                conn.send((False, f"{type(exc).__name__}: {exc}"))


class RemoteSandbox:
    """A :class:`~contact_udfs.sandbox.Sandbox` running in a child process (see module doc)."""

    def __init__(self, seed: int = 0, job_polls_before_ready: int = 1) -> None:
        self.seed, self.job_polls = seed, job_polls_before_ready
        self._conn: Connection | None = None
        self._proc: Any = None
        self._env: dict[str, str] = {}

    def __enter__(self) -> RemoteSandbox:
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        self._proc = ctx.Process(
            target=_serve, args=(child, self.seed, self.job_polls), daemon=True
        )
        self._proc.start()
        self._conn = parent
        self._env = self._receive()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._conn is not None:
            try:
                self._call("stop")
            except (OSError, EOFError, RuntimeError):
                pass
            self._conn.close()
            self._conn = None
        if self._proc is not None:
            self._proc.join(timeout=10)
            if self._proc.is_alive():
                self._proc.terminate()
                self._proc.join(timeout=5)

    def _receive(self) -> Any:
        """The child's answer; fails fast if the child died, and after :data:`_TIMEOUT` s."""
        assert self._conn is not None
        for _ in range(int(_TIMEOUT / 0.25)):
            if self._conn.poll(0.25):
                break
            if self._proc is not None and not self._proc.is_alive():
                raise RuntimeError(f"the simulator process exited ({self._proc.exitcode})")
        else:
            raise RuntimeError("the simulator process did not answer")
        ok, value = self._conn.recv()
        if not ok:
            raise RuntimeError(value)
        return value

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if self._conn is None:
            raise RuntimeError("the simulator process is not running")
        self._conn.send((name, args, kwargs))
        return self._receive()

    # -- the Sandbox methods the benchmarks use ------------------------------------------------
    def env(self) -> dict[str, str]:
        """The six variables pointing the package at the simulator."""
        return dict(self._env)

    @property
    def url(self) -> str:
        return self._env["COLDLEAD_BASE_URL"].rsplit("/", 1)[0]

    def base_url(self, provider: str) -> str:
        return self._env[f"{provider.upper()}_BASE_URL"]

    def key(self, provider: str) -> str:
        return self._env[f"{provider.upper()}_API_KEY"]

    def requests(self, endpoint: str) -> int:
        """Requests seen by one endpoint or one provider (``"coldlead"``)."""
        return int(self._call("requests", endpoint))

    def credits_spent(self, provider: str) -> int:
        return int(self._call("credits_spent", provider))

    def count_429(self, provider: str) -> int:
        return int(self._call("count_429", provider))

    def reset_counters(self) -> None:
        self._call("reset_counters")

    def set_rate(self, provider: str, limit: int | None, window_s: float = 60.0) -> None:
        self._call("set_rate", provider, limit, window_s)

    def set_job_polls_before_ready(self, n: int) -> None:
        self._call("set_job_polls_before_ready", n)
