"""contact_udfs.http.client: redaction, the before/after-sending split, limiter backends, pacing."""

from __future__ import annotations

import http.client
import os
import socket
import stat
import time

import pytest
import requests
import urllib3.exceptions as u3
from pyrate_limiter import InMemoryBucket, RedisBucket, SQLiteBucket

from contact_udfs.config import RateLimit, Secret
from contact_udfs.exceptions import ConfigurationError, ProviderUnavailable, RateLimitError
from contact_udfs.http import Auth, HttpClient, limiter_for, redact, redact_url
from contact_udfs.http.policy import _sent
from contact_udfs.models import Operation, Status
from contact_udfs.providers.base import Task


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SpySleep:
    """Records the waits the client asks for and waits nothing (no wall-clock in tests)."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def test_redact_url_masks_key_parameters() -> None:
    url = "https://api.fullcontact.com/v2/verification/email?email=a@b.co&apiKey=s3cr3t"
    assert redact_url(url) == "https://api.fullcontact.com/v2/verification/email?email=a@b.co&apiKey=***"
    assert redact_url("https://x/person.json?email=a@b.co&apiKey=") .endswith("apiKey=")
    assert "s3cr3t" not in redact_url("https://x/?access_token=s3cr3t&api_key=s3cr3t")


def test_redact_masks_literal_secrets_bearer_and_access_token() -> None:
    text = "Authorization: Bearer abc123 X-Access-Token: xyz789 raw=k-e-y"
    out = redact(text, "k-e-y")
    assert "abc123" not in out and "xyz789" not in out and "k-e-y" not in out


@pytest.mark.parametrize("exc, sent", [
    (requests.ConnectTimeout("connect timed out"), False),
    (requests.ConnectionError(u3.MaxRetryError(None, "/v1/verify", reason=u3.NewConnectionError(
        None, "Connection refused"))), False),
    (requests.exceptions.SSLError("handshake"), False),
    (requests.ConnectionError(u3.ProtocolError("Connection aborted.",
                                               http.client.RemoteDisconnected("closed"))), True),
    (requests.ReadTimeout("read timed out"), True),
    (requests.exceptions.ChunkedEncodingError("truncated"), True),
])
def test_errors_before_sending_are_told_apart_from_errors_after(
        exc: requests.RequestException, sent: bool) -> None:
    assert _sent(exc) is sent


def test_reprs_never_show_the_key(make, sandbox) -> None:
    key = sandbox.keys["fullcontact"]
    fc = make("fullcontact")
    for obj in (fc, fc.client, fc.client.session.auth):
        assert key not in repr(obj)


def test_urllib3_debug_line_is_redacted(make, sandbox, debug_logs) -> None:
    """urllib3 logs the whole URL at DEBUG; FullContact's key is a query parameter."""
    fc = make("fullcontact")
    email = "ada.lovelace@gmail.com"
    fc.submit(Operation.VERIFY, [Task(email, {"email": email})])
    assert "apiKey=***" in debug_logs.text
    assert sandbox.keys["fullcontact"] not in debug_logs.text


def test_connection_refused_is_resent_then_unavailable(make, sandbox) -> None:
    """Refused before sending: the vendor surely did not act, so a paid call may be re-sent."""
    cl = make("coldlead", base_url=f"http://127.0.0.1:{_closed_port()}/coldlead")
    spy = SpySleep()
    cl.client._sleep = spy
    sub = cl.submit(Operation.VERIFY, [Task("a@b.co", {"email": "a@b.co"})])
    assert isinstance(sub.error, ProviderUnavailable)
    assert sub.answers == {}  # nothing was paid for, nothing to store
    assert len(spy.calls) == 2  # 3 attempts under the test policy
    assert sandbox.keys["coldlead"] not in str(sub.error)


def test_retry_after_beyond_max_wait_raises_at_once(make, sandbox) -> None:
    sandbox.inject("coldlead.verify", "429", retry_after=30)
    cl = make("coldlead")
    sub = cl.submit(Operation.VERIFY, [Task("a@b.co", {"email": "a@b.co"})])
    assert isinstance(sub.error, RateLimitError)
    assert sandbox.requests("coldlead.verify") == 1
    assert sandbox.credits_spent("coldlead") == 0


def test_in_memory_limiter_without_cache() -> None:
    limiter = limiter_for("coldlead", RateLimit(5, 1.0), "")
    assert limiter.try_acquire("coldlead")
    assert all(isinstance(b, InMemoryBucket) for b in limiter.buckets())
    limiter.bucket_factory.close()


def test_sqlite_limiter_next_to_the_cache_is_private(tmp_path) -> None:
    limiter = limiter_for("coldlead", RateLimit(5, 1.0), str(tmp_path / "sub" / "c.sqlite"))
    assert limiter.try_acquire("coldlead")
    path = tmp_path / "sub" / "c.sqlite.ratelimit.sqlite"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert all(isinstance(b, SQLiteBucket) for b in limiter.buckets())
    limiter.bucket_factory.close()


def test_sqlite_limiter_is_shared_between_clients(tmp_path) -> None:
    """Two limiters on one file (two processes in real life) share one allowance."""
    cache = str(tmp_path / "c.sqlite")
    first, second = (limiter_for("coldlead", RateLimit(3, 60.0), cache) for _ in range(2))
    assert [first.try_acquire("coldlead", blocking=False) for _ in range(2)] == [True, True]
    assert second.try_acquire("coldlead", blocking=False)
    assert not second.try_acquire("coldlead", blocking=False)
    assert not first.try_acquire("coldlead", blocking=False)
    first.bucket_factory.close()
    second.bucket_factory.close()


def test_redis_limiter_is_built_from_the_url_without_connecting() -> None:
    try:
        import redis  # noqa: F401
    except ImportError:
        with pytest.raises(ConfigurationError, match="redis"):
            limiter_for("coldlead", RateLimit(5, 1.0), "redis://127.0.0.1:1/0")
        return
    limiter = limiter_for("coldlead", RateLimit(5, 1.0), "redis://127.0.0.1:1/0")
    assert issubclass(limiter.bucket_factory.bucket_class, RedisBucket)
    kwargs = limiter.bucket_factory.bucket_init_kwargs
    assert kwargs["bucket_key"] == "contact_udfs:ratelimit:coldlead"
    limiter.bucket_factory.close()


def _bare_client(spy: SpySleep) -> HttpClient:
    return HttpClient("coldlead", f"http://127.0.0.1:{_closed_port()}", auth=Auth("bearer"),
                      secret=Secret("k"), rate_limit=RateLimit(20, 2.0), sleep=spy)


def test_used_up_window_waits_for_the_reset_header() -> None:
    spy = SpySleep()
    client = _bare_client(spy)
    now = time.time()
    client._note_window({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(now) + 3)},
                        now)
    client._wait_for_window()
    assert len(spy.calls) == 1 and 1.5 < spy.calls[0] <= 3.0
    client.close()


def test_used_up_window_without_reset_is_estimated_from_its_first_answer() -> None:
    spy = SpySleep()
    client = _bare_client(spy)
    now = time.time()
    client._note_window({"X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "19"}, now - 1.5)
    client._note_window({"X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "0"}, now)
    client._wait_for_window()
    assert len(spy.calls) == 1 and 0.2 < spy.calls[0] <= 0.5  # opened 1.5 s ago, 2 s window
    client.close()


def test_remaining_above_zero_never_waits() -> None:
    spy = SpySleep()
    client = _bare_client(spy)
    client._note_window({"X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "3"}, time.time())
    client._wait_for_window()
    assert spy.calls == []
    client.close()


def test_base_url_must_be_http() -> None:
    with pytest.raises(ConfigurationError):
        HttpClient("coldlead", "ftp://x", auth=Auth("bearer"), secret=Secret("k"),
                   rate_limit=RateLimit(1, 1.0))


def test_answers_are_stamped_and_scrubbed(make, sandbox) -> None:
    fc = make("fullcontact")
    email = "grace.hopper@gmail.com"
    answer = fc.submit(Operation.VERIFY, [Task(email, {"email": email})]).answers[email]
    assert answer.provider == "fullcontact" and answer.checked_at is not None
    assert answer.status in set(Status)
    assert sandbox.keys["fullcontact"] not in answer.to_json()
