"""No key in the listener's logs or in what it stores; ``contact-udfs listen`` end to end."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading

from listen_helpers import entries, items_for, submit_then_close

from contact_udfs.models import Operation


def test_no_key_in_logs_answers_or_replies(sandbox, listener, client_for, http, caplog):
    caplog.set_level("DEBUG")
    secrets = set(sandbox.keys.values())
    key = sandbox.keys["fullcontact"]
    hooked = client_for("dropcontact", CONTACT_UDFS_WEBHOOK_URL=listener.url)
    submit_then_close(hooked, "dropcontact", Operation.VERIFY,
                      items_for(sandbox, Operation.VERIFY, 5),
                      before_closing=lambda: sandbox.wait_webhooks(1))
    client = client_for("fullcontact")
    submit_then_close(client, "fullcontact", Operation.VERIFY,
                      items_for(sandbox, Operation.VERIFY, 5))
    [job] = client.store.journal_open("fullcontact", "verify")
    # seed 003's links end in "apiKey="; a vendor filling them in must not leak the key
    leaky = entries(job.keys)
    for address, entry in leaky.items():
        entry["person"] = f"https://api.fullcontact.com/v2/person.json?email={address}&apiKey={key}"
    body = {"batchId": job.job_id, "completed": True, "response": {"status": 200, "emails": leaky}}
    replies = [
        http.post(f"{listener.urls['fullcontact']}?apiKey={key}", json=body, timeout=10),
        http.post(f"{listener.urls['fullcontact']}?apiKey={key}", timeout=10,
                  data=f'{{"batchId": "{key}", "completed": true}}'),
        http.post(listener.urls["fullcontact"], data=f'{{"apiKey": "{key}"', timeout=10),
    ]
    assert [r.status_code for r in replies] == [200, 400, 400]
    stored = client.store.get_many("fullcontact", "verify", list(job.keys))
    assert len(stored) == 5 and "apiKey=***" in json.dumps(stored)
    seen = caplog.text + json.dumps(stored) + "".join(r.text for r in replies)
    assert "pushed result for job" in caplog.text  # the log does say what happened
    assert [s for s in secrets if s in seen] == []


def _lines(stream, into: queue.Queue) -> None:
    for line in stream:
        into.put(line)


def test_the_listen_command(sandbox, env, client_for, tmp_path):
    client = client_for("dropcontact")  # also writes the empty config file the child reads
    child = subprocess.Popen(
        [sys.executable, "-m", "contact_udfs", "listen", "--port", "0"],
        env={**os.environ, **env, "CONTACT_UDFS_CONFIG": str(tmp_path / "empty.toml")},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    out: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_lines, args=(child.stdout, out), daemon=True).start()
    try:
        first = out.get(timeout=60)
        assert first.startswith("listening on http://127.0.0.1:"), first
        url = first.split()[-1]
        hooked = client_for("dropcontact", CONTACT_UDFS_WEBHOOK_URL=url)
        items = items_for(sandbox, Operation.VERIFY, 8)
        submit_then_close(hooked, "dropcontact", Operation.VERIFY, items,
                          before_closing=lambda: sandbox.wait_webhooks(1, timeout=30))
        assert [d["status"] for d in sandbox.webhook_deliveries] == [200]
        sandbox.reset_counters()
        assert client.run(Operation.VERIFY, items).report.from_cache == 8
        assert sandbox.requests("*") == 0
    finally:
        child.send_signal(signal.SIGINT)
        try:
            child.wait(timeout=20)
        finally:
            if child.returncode is None:
                child.kill()
    err = child.stderr.read()
    assert child.returncode == 0, err
    assert "8 answers saved" in err
    assert [s for s in sandbox.keys.values() if s in err] == []
