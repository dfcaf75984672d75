"""Fixtures for the sandbox tests: a running sandbox, thin vendor clients, a webhook sink."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from contact_udfs.sandbox import Sandbox


class Vendors:
    """Minimal hand-written clients, as the documents describe each call."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.http = requests.Session()
        self.http.trust_env = False

    # Dropcontact
    def dc(self, method: str, path: str, token: str | None = None, **kw: Any) -> requests.Response:
        headers = {"X-Access-Token": self.sb.keys["dropcontact"] if token is None else token}
        headers.update(kw.pop("headers", {}))
        return self.http.request(method, self.sb.base_urls["dropcontact"] + path,
                                 headers=headers, timeout=kw.pop("timeout", 5), **kw)

    def dc_submit(self, contacts: list[dict[str, Any]], **options: Any) -> requests.Response:
        return self.dc("POST", "/v1/enrich/all", json={"data": contacts, **options})

    def dc_poll(self, request_id: str, **params: Any) -> requests.Response:
        return self.dc("GET", f"/v1/enrich/all/{request_id}", params=params)

    def dc_wait(self, request_id: str, limit: int = 10) -> dict[str, Any]:
        for _ in range(limit):
            body = self.dc_poll(request_id).json()
            if body.get("success"):
                return body
        raise AssertionError("job never became ready")

    # FullContact
    def fc(self, method: str, path: str, key: str | None = None, **kw: Any) -> requests.Response:
        params = dict(kw.pop("params", {}) or {})
        if key != "":
            params["apiKey"] = self.sb.keys["fullcontact"] if key is None else key
        return self.http.request(method, self.sb.base_urls["fullcontact"] + path, params=params,
                                 timeout=kw.pop("timeout", 5), **kw)

    def fc_single(self, email: str, **kw: Any) -> requests.Response:
        return self.fc("GET", "/v2/verification/email", params={"email": email}, **kw)

    def fc_submit(self, emails: list[str], **extra: Any) -> requests.Response:
        return self.fc("POST", "/v2/verification/emails", json={"emails": emails, **extra})

    def fc_poll(self, batch_id: str) -> requests.Response:
        return self.fc("GET", f"/v2/verification/emails/{batch_id}")

    # ColdLead
    def cl(self, method: str, path: str, key: str | None = None, **kw: Any) -> requests.Response:
        token = self.sb.keys["coldlead"] if key is None else key
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        return self.http.request(method, self.sb.base_urls["coldlead"] + path, headers=headers,
                                 timeout=kw.pop("timeout", 5), **kw)

    def cl_verify(self, email: str, **kw: Any) -> requests.Response:
        return self.cl("GET", "/v1/verify", params={"email": email}, **kw)

    def cl_finder(self, name: str, domain: str) -> requests.Response:
        return self.cl("GET", "/v1/finder", params={"name": name, "domain": domain})


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(seed=0) as sandbox:
        yield sandbox


@pytest.fixture
def api(sb: Sandbox) -> Iterator[Vendors]:
    vendors = Vendors(sb)
    yield vendors
    vendors.http.close()


class WebhookSink:
    """A tiny local HTTP listener recording every POSTed JSON body."""

    def __init__(self, status: int = 200) -> None:
        self.received: list[dict[str, Any]] = []
        self.cond = threading.Condition()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - stdlib name
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
                with sink.cond:
                    sink.received.append({"path": self.path, "body": body})
                    sink.cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def wait(self, n: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        with self.cond:
            self.cond.wait_for(lambda: len(self.received) >= n, timeout)
            return list(self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sink() -> Iterator[WebhookSink]:
    listener = WebhookSink()
    yield listener
    listener.close()


@pytest.fixture
def wait_until() -> Callable[..., bool]:
    """Wait for a condition produced by another thread (bounded, never a fixed sleep)."""

    def wait(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.01)
        return predicate()

    return wait
