"""``Listener``: a small HTTP server that takes vendor webhooks into the store.

Vendors push to ``<CONTACT_UDFS_WEBHOOK_URL>/dropcontact`` and ``/fullcontact``;
a tunnel or reverse proxy the user runs forwards that to this port. Each body
goes to :func:`contact_udfs.core.deliveries.receive`, which stores its answers
as a poll would have. Answers: 200 once saved (or ignored: a job we do not
know), 400 for a body that is not a delivery (nothing stored), 404 for a path
that names no provider, 500 if the store failed (the vendor may push again,
and polling collects the job anyway).

The server logs method, path (no query string) and status only: never a
header, never a body, so no key or contact data reaches a log line.
"""

from __future__ import annotations

import json
import logging
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from ...api import Client
from ...core.deliveries import GRACE, MalformedDelivery, receive
from ...exceptions import ConfigurationError
from ...providers.base import Provider, PushesResults

__all__ = ["MAX_BODY", "Listener", "listen"]

log = logging.getLogger(__name__)

#: the largest body taken: 250 Dropcontact contacts of at most 15 kB each, with room
MAX_BODY = 16 * 1024 * 1024
#: the providers that can push job results
PUSHING = ("dropcontact", "fullcontact")


class Listener:
    """Receives vendor webhooks on ``host:port`` and saves them into ``client``'s store.

    >>> with Listener(port=0) as listener:                  # doctest: +SKIP
    ...     print(listener.urls["dropcontact"])
    http://127.0.0.1:53117/dropcontact

    Args:
        client: whose store and provider keys to use; default a new
            :class:`~contact_udfs.Client` from the environment (closed with the listener).
        host: the address to bind; keep ``127.0.0.1`` behind a tunnel or proxy.
        port: the port; ``0`` takes a free one (see :attr:`port`).
        grace: seconds a push for a job not journaled yet waits for it.
    """

    def __init__(
        self,
        client: Client | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        grace: float = GRACE,
    ) -> None:
        self._own_client = client is None
        self.client = client if client is not None else Client()
        self.host, self.port, self.grace = host, int(port), grace
        #: the providers whose pushes are taken (those with a key)
        self.providers: dict[str, Provider] = {}
        for name in PUSHING:
            if self.client.settings.provider(name).enabled:
                provider = self.client.provider(name)
                if isinstance(provider, PushesResults):
                    self.providers[name] = provider
        if not self.providers:
            if self._own_client:
                self.client.close()
            raise ConfigurationError(
                "no provider that pushes results has a key: set DROPCONTACT_API_KEY "
                "or FULLCONTACT_API_KEY"
            )
        self.counts = {"saved": 0, "ignored": 0, "malformed": 0, "failed": 0}
        self._counts_lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ----- lifecycle --------------------------------------------------------------------
    def start(self) -> Listener:
        """Bind and serve in a daemon thread; returns once the port is open."""
        if self._server is None:
            self._server = _Server((self.host, self.port), self)
            self.port = self._server.server_address[1]
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                name=f"contact-udfs-listen-{self.port}", daemon=True,
            )  # fmt: skip
            self._thread.start()
            log.info("listening on %s for %s", self.url, ", ".join(self.providers))
        return self

    def stop(self) -> None:
        """Stop serving; safe to call twice. Closes the client if the listener made it."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        if self._own_client:
            self.client.close()

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (the command line)."""
        self.start()
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(timeout=0.5)
        finally:
            self.stop()

    def __enter__(self) -> Listener:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "stopped"
        return f"<Listener {where} {sorted(self.providers)}>"

    # ----- addresses --------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The local base URL; ``CONTACT_UDFS_WEBHOOK_URL`` must lead here."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def urls(self) -> dict[str, str]:
        """Where each provider's pushes are received, on this machine."""
        return {name: f"{self.url}/{name}" for name in self.providers}

    # ----- one request ------------------------------------------------------------------
    def handle(self, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        """Status and JSON answer for one POSTed body (the HTTP handler calls this)."""
        name = urlsplit(path).path.rstrip("/").rsplit("/", 1)[-1]
        provider = self.providers.get(name)
        if provider is None:
            return 404, {"error": f"no provider here; POST to {', '.join(self.urls.values())}"}
        try:
            parsed = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            self._count("malformed")
            log.warning("%s: refused a push that is not JSON", name)
            return 400, {"error": "the body is not JSON"}
        client = self.client
        try:
            got = receive(provider, client.store, client.settings, parsed, grace=self.grace)
        except MalformedDelivery as exc:
            self._count("malformed")
            log.warning("refused a push: %s", exc)
            return 400, {"error": str(exc)}
        except Exception as exc:  # the store failed, most likely: the vendor may push again
            self._count("failed")
            # the type only: a message could quote the body
            log.error("%s: a push could not be saved (%s)", name, type(exc).__name__)
            return 500, {"error": "not saved; the job is still polled"}
        self._count("saved", got.saved)
        self._count("ignored", len(got.ignored))
        return 200, {"saved": got.saved, "jobs": len(got.settled), "ignored": len(got.ignored)}

    def _count(self, what: str, n: int = 1) -> None:
        with self._counts_lock:
            self.counts[what] += n


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "contact-udfs-listen"
    #: a slow or stuck sender must not hold a thread for ever
    timeout = 30
    server: _Server

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Nothing from the request line: its query string could hold anything."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("%s %s -> %s", self.command, urlsplit(self.path).path[:200], code)

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        """A health check for tunnels and proxies."""
        self._reply(200, {"listening": sorted(self.server.listener.providers)})

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        try:
            body = self._body()
        except ValueError as exc:
            self.close_connection = True
            self._reply(413 if "large" in str(exc) else 400, {"error": str(exc)})
            return
        status, answer = self.server.listener.handle(self.path, body)
        self._reply(status, answer)

    def _body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline(64).split(b";")[0].strip() or b"0", 16)
                total += size
                if total > MAX_BODY:
                    raise ValueError("the body is too large")
                if size == 0:
                    self.rfile.readline(64)
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(64)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("the body is too large")
        return self.rfile.read(length) if length > 0 else b""

    def _reply(self, status: int, answer: dict[str, Any]) -> None:
        payload = json.dumps(answer).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], listener: Listener) -> None:
        self.listener = listener
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A sender hanging up is normal; anything else is logged without the request."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError):
            log.error("a request failed: %s", type(exc).__name__)


def listen(
    port: int = 0, client: Client | None = None, *, host: str = "127.0.0.1",
    grace: float = GRACE,
) -> Listener:  # fmt: skip
    """Start a :class:`Listener` (already serving); use it as a context manager or ``stop()`` it.

    >>> listener = listen(port=8787)                          # doctest: +SKIP
    >>> listener.stop()                                        # doctest: +SKIP
    """
    return Listener(client, host=host, port=port, grace=grace).start()
