"""HTTP plumbing: route by vendor prefix, count, inject faults, write or lose the answer.

Fault injection lives here, around the vendor handlers, because its whole value is in
*when* it strikes: a 5xx or ``drop`` before the vendor acts, ``lost_response`` and
``malformed_json`` after it has billed.
"""

from __future__ import annotations

import socket
import sys
import threading
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .faults import STATUS_FAULTS, Fault
from .messages import JSON_TYPE, Reply, Request, VendorAPI
from .state import State

MAX_BODY = 16 * 1024 * 1024
MALFORMED_BODY = b'{"data": ['
STATUS_TEXT = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
               504: "Gateway Timeout", 524: "A Timeout Occurred"}
_HTML = ("<html><head><title>{code} {text}</title></head><body><center><h1>{code} {text}"
         "</h1></center><hr><center>cloudflare</center></body></html>")


@dataclass
class Outcome:
    """A reply to send, or ``drop`` to close the socket without a word."""

    reply: Reply | None
    drop: bool = False
    after: list[Any] = field(default_factory=list)


class App:
    """Maps ``/<vendor>/...`` to the vendor handler and applies planned faults."""

    def __init__(self, state: State, apis: dict[str, VendorAPI]) -> None:
        self.state = state
        self.apis = apis

    def dispatch(self, method: str, raw_path: str, headers: Any, body: bytes) -> Outcome:
        """Never raises: a sandbox bug becomes a 500 answer, not a dead connection."""
        try:
            return self._dispatch(method, raw_path, headers, body)
        except Exception as exc:
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            return Outcome(Reply(500, {"error": True, "message": f"sandbox error: {detail}"}))

    def _dispatch(self, method: str, raw_path: str, headers: Any, body: bytes) -> Outcome:
        parts = urlsplit(raw_path)
        prefix, _, rest = parts.path.lstrip("/").partition("/")
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        api = self.apis.get(prefix)
        if api is None:
            self.state.count_request("unknown")
            return Outcome(Reply(404, {"error": True, "message": f"Not found: {parts.path}"}))
        req = Request(method, "/" + unquote(rest).rstrip("/"), query, headers, body)
        endpoint = api.endpoint(req)
        if endpoint is None:
            self.state.count_request("unknown")
            return Outcome(api.error_reply(404, f"Not found: {method} {req.path}"))
        self.state.count_request(endpoint)
        planned = self.state.next_fault(endpoint)
        fault = planned.fault if planned else None
        if planned is not None:
            if fault in STATUS_FAULTS:
                return Outcome(self._status_fault(api, int(fault.value), planned.html))
            if fault is Fault.HTTP_429:
                self.state.count_429(api.provider)
                return Outcome(api.throttled_reply(planned.retry_after))
            if fault is Fault.DROP:
                return Outcome(None, drop=True)
            if fault is Fault.SLOW:
                self.state.stop_event.wait(planned.delay)
        reply = api.handle(endpoint, req, fault)
        if fault is Fault.LOST_RESPONSE:
            return Outcome(None, drop=True, after=reply.after)
        if fault is Fault.MALFORMED_JSON:
            reply = Reply(200, MALFORMED_BODY, reply.headers, JSON_TYPE, reply.after)
        return Outcome(reply, after=reply.after)

    @staticmethod
    def _status_fault(api: VendorAPI, code: int, html: bool) -> Reply:
        text = STATUS_TEXT.get(code, "Error")
        if html:
            return Reply(code, _HTML.format(code=code, text=text), {}, "text/html; charset=utf-8")
        return api.error_reply(code, text)


class _Handler(BaseHTTPRequestHandler):
    """Keep-alive HTTP/1.1 handler; every answer has a Content-Length."""

    protocol_version = "HTTP/1.1"
    # answers are small and many: without this each one waits on delayed ACKs (~40 ms)
    disable_nagle_algorithm = True
    server_version = "contact-udfs-sandbox"
    timeout = 30
    server: SandboxHTTPServer

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        super().setup()
        try:  # headers and body go out in two writes: without this, Nagle adds ~40 ms
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silent: test output stays readable and no key ever reaches a log."""

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(min(length, MAX_BODY)) if length > 0 else b""

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        outcome = self.server.app.dispatch(self.command, self.path, self.headers, body)
        if outcome.drop or outcome.reply is None:
            self._drop()
        else:
            self._write(outcome.reply)
        for callback in outcome.after:
            callback()

    def _write(self, reply: Reply) -> None:
        payload = reply.payload()
        try:
            self.send_response(reply.status, STATUS_TEXT.get(reply.status))
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    def _drop(self) -> None:
        """Shut the socket so the client sees a connection error at once, not a hang."""
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.close_connection = True


class SandboxHTTPServer(ThreadingHTTPServer):
    """Threaded server that can close its idle keep-alive connections on stop."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: App) -> None:
        self.app = app
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up (timeouts, injected drops) are normal here, not errors."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)

    def track(self, conn: socket.socket, alive: bool) -> None:
        with self._conns_lock:
            (self._conns.add if alive else self._conns.discard)(conn)

    def close_connections(self) -> None:
        with self._conns_lock:
            conns, self._conns = list(self._conns), set()
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
