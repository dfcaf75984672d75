"""A throwaway redis-server for the tests: started once per session, on a free local port.

The Redis tests need a real server (Lua scripts, WATCH, expiry), not a fake.
Test modules import the fixture::

    from redis_server import redis_url  # noqa: F401

Without ``redis-server`` on PATH those tests are skipped with the reason; CI
installs it with apt-get, so there they always run.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["RedisServer", "fresh_db", "redis_url"]

SKIP_REASON = "redis-server not installed; .ci/run installs it with apt-get"
#: longest wait for a started server to answer PING (seconds)
START_TIMEOUT = 15.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """One ``redis-server`` child process: no persistence, loopback only, its own temp dir."""

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._dir = Path(tempfile.mkdtemp(prefix="redis-test-"))

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> RedisServer:
        """Start on a free port; a port taken in the meantime gets another try."""
        last = ""
        for _ in range(3):
            self.port = _free_port()
            log = self._dir / "redis.log"
            self.proc = subprocess.Popen(
                [self.executable, "--port", str(self.port), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no", "--dir", str(self._dir),
                 "--logfile", str(log), "--databases", "32"],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )  # fmt: skip
            if self._wait_ready():
                return self
            last = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            self.stop(remove=False)
        raise RuntimeError(f"redis-server did not start:\n{last}")

    def _wait_ready(self) -> bool:
        """Bounded wait until the server answers PING (or exits)."""
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + START_TIMEOUT
        try:
            while time.monotonic() < deadline:
                assert self.proc is not None
                if self.proc.poll() is not None:
                    return False
                try:
                    if client.ping():
                        return True
                except redis.ConnectionError:
                    time.sleep(0.02)
            return False
        finally:
            client.close()

    def stop(self, *, remove: bool = True) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc is not None and self.proc.stderr is not None:
            self.proc.stderr.close()
        self.proc = None
        if remove:
            shutil.rmtree(self._dir, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """``redis://127.0.0.1:<port>`` of a private server (no database number)."""
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.skip(SKIP_REASON)
    try:
        import redis  # noqa: F401
    except ImportError:
        pytest.skip("the redis package is not installed: pip install 'contact-udfs[redis]'")
    server = RedisServer(executable).start()
    try:
        yield server.url
    finally:
        server.stop()


_next_db = iter(range(1, 32))


def fresh_db(url: str) -> str:
    """``url`` with a database of its own (emptied), so tests sharing the server never meet."""
    import redis

    db = next(_next_db, None)
    if db is None:
        raise RuntimeError("more than 31 tests asked for a database of their own")
    client = redis.Redis.from_url(f"{url}/{db}")
    try:
        client.flushdb()
    finally:
        client.close()
    return f"{url}/{db}"
