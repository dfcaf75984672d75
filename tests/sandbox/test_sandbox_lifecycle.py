"""Starting, stopping, observing and serving the sandbox from the command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

import contact_udfs
from contact_udfs.sandbox import Sandbox


def test_start_stop_idempotent():
    sb = Sandbox()
    with pytest.raises(RuntimeError):
        _ = sb.base_urls
    sb.start()
    sb.start()
    port = sb.port
    assert port > 0 and sb.running
    assert sb.base_urls == {p: f"http://127.0.0.1:{port}/{p}"
                            for p in ("dropcontact", "fullcontact", "coldlead")}
    sb.stop()
    sb.stop()
    assert not sb.running
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/coldlead/v1/account", timeout=2)


def test_stop_closes_idle_keep_alive_connections():
    with Sandbox() as sb:
        http = requests.Session()
        headers = {"Authorization": f"Bearer {sb.keys['coldlead']}"}
        url = sb.base_urls["coldlead"] + "/v1/account"
        assert http.get(url, headers=headers, timeout=5).ok
    with pytest.raises(requests.ConnectionError):
        http.get(url, headers=headers, timeout=2)
    http.close()


def test_keys_and_env(sb):
    assert sb.keys == {"dropcontact": "sandbox-dropcontact-key",
                       "fullcontact": "sandbox-fullcontact-key",
                       "coldlead": "sandbox-coldlead-key"}
    env = sb.env()
    assert set(env) == {"DROPCONTACT_API_KEY", "DROPCONTACT_BASE_URL", "FULLCONTACT_API_KEY",
                        "FULLCONTACT_BASE_URL", "COLDLEAD_API_KEY", "COLDLEAD_BASE_URL",
                        "DROPCONTACT_LEGACY_BASE_URL"}
    assert env["COLDLEAD_BASE_URL"] == sb.base_urls["coldlead"]
    assert env["DROPCONTACT_LEGACY_BASE_URL"] == sb.dropcontact_legacy_url


def test_constructor_knobs():
    with Sandbox(seed=3, job_polls_before_ready=0, coldlead_rate=None,
                 balances={"dropcontact": 5, "fullcontact": 0, "coldlead": 1}) as sb:
        h = {"X-Access-Token": sb.keys["dropcontact"]}
        url = sb.base_urls["dropcontact"] + "/v1/enrich/all"
        rid = requests.post(url, json={"data": [{"email": "a@acme-robotics.com"}]}, headers=h,
                            timeout=5).json()["request_id"]
        assert requests.get(f"{url}/{rid}", headers=h, timeout=5).json()["success"] is True
        r = requests.get(sb.base_urls["coldlead"] + "/v1/account", timeout=5,
                         headers={"Authorization": f"Bearer {sb.keys['coldlead']}"})
        assert "X-RateLimit-Limit" not in r.headers
        assert sb.balance("dropcontact") == 4 and sb.balance("fullcontact") == 0
    with pytest.raises(ValueError):
        Sandbox(balances={"hunter": 1})


def test_counters_stats_and_reset(api, sb):
    api.cl_verify("contact@acme-robotics.com")
    api.dc_submit([{}])
    api.http.get(sb.url + "/nope", timeout=5)
    assert sb.requests("coldlead.verify") == 1 and sb.requests("*") == 3
    assert sb.requests("coldlead") == 1
    per_endpoint = sb.requests()
    assert per_endpoint["dropcontact.credits"] == 1 and per_endpoint["fullcontact.poll"] == 0
    stats = sb.stats()
    assert json.loads(json.dumps(stats)) == stats
    assert set(stats) >= {"requests", "credits", "http_429", "faults"}
    assert sb.credits_spent() == {"dropcontact": 0, "fullcontact": 0, "coldlead": 1}
    sb.reset_counters()
    assert sb.requests("*") == 0 and sb.credits_spent("coldlead") == 0
    assert sb.charges("coldlead") == {} and sb.balance("coldlead") == 9_999


def test_time_based_readiness(api, sb):
    sb.set_job_polls_before_ready(0)
    sb.set_job_delay(60)
    rid = api.dc_submit([{"email": "contact@acme-robotics.com"}]).json()["request_id"]
    assert api.dc_poll(rid).json()["success"] is False
    sb.set_job_delay(0)
    assert api.dc_poll(rid).json()["success"] is True


def test_python_dash_m_serves_and_prints_exports():
    root = Path(contact_udfs.__file__).parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.Popen([sys.executable, "-m", "contact_udfs.sandbox", "--seed", "2",
                             "--job-polls", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=env, cwd=root)
    try:
        lines = [proc.stdout.readline().strip() for _ in range(6)]
        exports = dict(line.removeprefix("export ").split("=", 1) for line in lines)
        assert all(line.startswith("export ") for line in lines)
        assert exports["COLDLEAD_API_KEY"] == "sandbox-coldlead-key"
        r = requests.get(exports["COLDLEAD_BASE_URL"] + "/v1/account", timeout=5,
                         headers={"Authorization": f"Bearer {exports['COLDLEAD_API_KEY']}"})
        assert r.status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0


def test_parallel_clients_are_billed_exactly(sb):
    headers = {"Authorization": f"Bearer {sb.keys['coldlead']}"}
    url = sb.base_urls["coldlead"] + "/v1/verify"

    def verify(i: int) -> int:
        return requests.get(url, params={"email": f"user{i % 50}@acme-robotics.com"},
                            headers=headers, timeout=10).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(verify, range(150)))
    assert codes == [200] * 150
    assert sb.credits_spent("coldlead") == 150 and sb.balance("coldlead") == 10_000 - 150
    assert set(sb.charges("coldlead").values()) == {3}
