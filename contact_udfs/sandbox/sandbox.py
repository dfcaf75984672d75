"""``Sandbox``: start the fake vendors on a loopback port and steer them from a test.

Everything a test needs to *prove* the credit economy lives on this object: what was
requested, what was charged (and for whom, twice?), which faults fired, and the knobs
that make jobs slow, limits tight and answers go missing.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

from .coldlead import ColdLeadAPI
from .dropcontact import DropcontactAPI, DropcontactReadings
from .faults import ENDPOINTS, PROVIDERS, Fault
from .fullcontact import FullContactAPI
from .messages import VendorAPI
from .readings import Readings
from .server import App, SandboxHTTPServer
from .state import State
from .world import World, get_world

KEYS = {p: f"sandbox-{p}-key" for p in PROVIDERS}
ENV_NAMES = {p: (f"{p.upper()}_API_KEY", f"{p.upper()}_BASE_URL") for p in PROVIDERS}
#: seed 000's ``/batch`` is on its own host: served under this prefix
DROPCONTACT_LEGACY = "dropcontact-legacy"


def _check_provider(provider: str) -> str:
    if provider not in PROVIDERS:
        raise ValueError(f"unknown provider {provider!r}; expected one of {PROVIDERS}")
    return provider


class Sandbox:
    """A local, strict simulator of the Dropcontact, FullContact and ColdLead APIs.

    >>> with Sandbox(seed=0) as sb:          # doctest: +SKIP
    ...     requests.get(sb.base_urls["coldlead"] + "/v1/account",
    ...                  headers={"Authorization": f"Bearer {sb.keys['coldlead']}"})
    """

    def __init__(
        self,
        seed: int = 0,
        job_polls_before_ready: int = 1,
        coldlead_rate: tuple[int, float] | None = (200, 60.0),
        dropcontact_rate: tuple[int, float] | None = None,
        fullcontact_rate: tuple[int, float] | None = None,
        balances: dict[str, int] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        for provider in balances or {}:
            _check_provider(provider)
        self.seed = seed
        self.host, self.port = host, port
        self.world: World = get_world(seed)
        self.keys: dict[str, str] = dict(KEYS)
        self.state = State(balances, job_polls_before_ready,
                           {"coldlead": coldlead_rate, "dropcontact": dropcontact_rate,
                            "fullcontact": fullcontact_rate})
        #: Dropcontact's readings of what its seeds leave open (see ``dropcontact_reading``)
        self.dropcontact_readings = DropcontactReadings()
        dc = (self.state, self.world, self.keys["dropcontact"])
        self._apis: dict[str, VendorAPI] = {
            "dropcontact": DropcontactAPI(*dc, readings=self.dropcontact_readings),
            DROPCONTACT_LEGACY: DropcontactAPI(*dc, legacy=True,
                                               readings=self.dropcontact_readings),
            "fullcontact": FullContactAPI(self.state, self.world, self.keys["fullcontact"]),
            "coldlead": ColdLeadAPI(self.state, self.world, self.keys["coldlead"]),
        }
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lifecycle = threading.Lock()

    # ----- lifecycle ------------------------------------------------------------------
    def start(self) -> Sandbox:
        """Bind and serve in a daemon thread; returns at once, ready for requests."""
        with self._lifecycle:
            if self._server is not None:
                return self
            self.state.stop_event.clear()
            server = SandboxHTTPServer((self.host, self.port), App(self.state, self._apis))
            self.port = server.server_address[1]
            self._server = server
            self._thread = threading.Thread(target=server.serve_forever, kwargs={
                "poll_interval": 0.05}, name=f"contact-udfs-sandbox-{self.port}", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every connection; safe to call twice."""
        with self._lifecycle:
            server, thread = self._server, self._thread
            self._server = self._thread = None
            if server is None:
                return
            self.state.stop_event.set()
            stopper = threading.Thread(target=server.shutdown, daemon=True)
            stopper.start()
            self._wake(server)
            stopper.join()
            server.server_close()
            server.close_connections()
            if thread is not None:
                thread.join(timeout=5)

    def _wake(self, server: SandboxHTTPServer) -> None:
        """Poke the accept loop so shutdown does not wait for its next poll tick."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        try:
            with socket.create_connection((host, server.server_address[1]), timeout=0.5):
                pass
        except OSError:
            pass

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    # ----- addresses ------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the sandbox is not started; call start() first")
        return f"http://{self.host}:{self.port}"

    @property
    def base_urls(self) -> dict[str, str]:
        return {p: f"{self.url}/{p}" for p in PROVIDERS}

    @property
    def dropcontact_legacy_url(self) -> str:
        """Base URL of the legacy ``/batch`` host (seed 000's api.dropcontact.io)."""
        return f"{self.url}/{DROPCONTACT_LEGACY}"

    def env(self) -> dict[str, str]:
        """The variables pointing the package at this sandbox (keys and base URLs)."""
        urls = self.base_urls
        out: dict[str, str] = {}
        for p in PROVIDERS:
            key_var, url_var = ENV_NAMES[p]
            out[key_var], out[url_var] = self.keys[p], urls[p]
        out["DROPCONTACT_LEGACY_BASE_URL"] = self.dropcontact_legacy_url
        return out

    # ----- observations ---------------------------------------------------------------
    def requests(self, endpoint: str | None = None) -> int | dict[str, int]:
        """Requests seen: all per endpoint (None), the total ("*"), one endpoint or one
        provider ("coldlead")."""
        with self.state.lock:
            counts = dict(self.state.requests)
        if endpoint is None:
            return {e: counts.get(e, 0) for e in ENDPOINTS} | (
                {"unknown": counts["unknown"]} if "unknown" in counts else {})
        if endpoint == "*":
            return sum(counts.values())
        if endpoint in PROVIDERS:
            return sum(n for e, n in counts.items() if e.startswith(endpoint + "."))
        return counts.get(endpoint, 0)

    def credits_spent(self, provider: str | None = None) -> int | dict[str, int]:
        spent = self.state.stats()["credits"]
        return spent if provider is None else spent[_check_provider(provider)]

    def balance(self, provider: str) -> int:
        return self.state.balance(_check_provider(provider))

    def set_balance(self, provider: str, n: int) -> None:
        self.state.set_balance(_check_provider(provider), n)

    def count_429(self, provider: str | None = None) -> int | dict[str, int]:
        counts = self.state.stats()["http_429"]
        return counts if provider is None else counts[_check_provider(provider)]

    def charges(self, provider: str) -> dict[str, int]:
        """Times each normalized email (or ``person:...``/``finder:...`` key) was charged."""
        with self.state.lock:
            return dict(self.state.charges[_check_provider(provider)])

    def stats(self) -> dict[str, Any]:
        return self.state.stats()

    def reset_counters(self) -> None:
        """Zero requests, credits spent, charges, 429s, fault counts and webhook records
        (balances, jobs, knobs and planned faults stay)."""
        self.state.reset_counters()

    @property
    def webhook_deliveries(self) -> list[dict[str, Any]]:
        return self.state.deliveries()

    def wait_webhooks(self, n: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Block until ``n`` deliveries are recorded (or timeout); returns them."""
        self.state.wait_deliveries(n, timeout)
        return self.state.deliveries()

    # ----- knobs ----------------------------------------------------------------------
    def inject(self, endpoint: str, fault: Fault | str, times: int = 1, **params: Any) -> None:
        """The next ``times`` requests to ``endpoint`` get ``fault``. Params: ``retry_after``
        (429), ``html`` (5xx), ``delay`` (slow). ``"coldlead.*"`` and ``"*"`` work too."""
        with self.state.lock:
            self.state.faults.inject(endpoint, fault, times, params)

    def fault_rates(self, endpoint: str, rates: dict[str, float], seed: int = 0) -> None:
        """Random faults at the given rates, reproducible through ``seed``, until cleared."""
        with self.state.lock:
            self.state.faults.set_rates(endpoint, rates, seed)

    def clear_faults(self) -> None:
        with self.state.lock:
            self.state.faults.clear()

    def pending_faults(self) -> dict[str, list[str]]:
        with self.state.lock:
            return self.state.faults.pending()

    def set_job_polls_before_ready(self, n: int) -> None:
        with self.state.lock:
            self.state.job_polls_before_ready = max(0, int(n))

    def set_job_delay(self, seconds: float) -> None:
        with self.state.lock:
            self.state.job_delay = max(0.0, float(seconds))

    def dropcontact_reading(
        self, reset: bool = False, **readings: Any
    ) -> DropcontactReadings:
        """Choose how Dropcontact reads what seeds 000/001 leave open (``force_echo``,
        ``unknown_id``, ``legacy_echo``, ``submit_reply``, ``job_error``,
        ``push_request_id``); ``reset=True`` first restores the defaults. Returns the
        readings in force."""
        with self.state.lock:
            if reset:
                self.dropcontact_readings.set(**vars(DropcontactReadings()))
            self.dropcontact_readings.set(**readings)
            return self.dropcontact_readings

    def set_rate(self, provider: str, limit: int | None, window_s: float = 60.0) -> None:
        """A fixed window of ``limit`` requests per ``window_s``; ``limit=None`` removes it."""
        self.state.set_rate(_check_provider(provider),
                            None if limit is None else (limit, window_s))

    def set_readings(self, **readings: Any) -> None:
        """Choose how the vendors answer where their documents are silent.

        ``fullcontact_403`` ("worded" | "bare"), ``spamtraps`` (False | True),
        ``coldlead_finder_miss`` ("null" | "404"), ``coldlead_bad_syntax``
        ("422" | "billed"), ``fullcontact_push`` ("status" | "response"); see
        :mod:`contact_udfs.sandbox.readings`.
        """
        with self.state.lock:
            self.state.readings = self.state.readings.with_(**readings)

    def reset_readings(self) -> None:
        """Back to the default reading of every silent place, Dropcontact's included."""
        with self.state.lock:
            self.state.readings = Readings()
            self.dropcontact_readings.set(**vars(DropcontactReadings()))

    @property
    def readings(self) -> dict[str, Any]:
        with self.state.lock:
            return self.state.readings.as_dict()

    def __repr__(self) -> str:
        where = self.url if self.running else "stopped"
        return f"<Sandbox seed={self.seed} {where}>"
