"""``CONTACT_UDFS_WEBHOOK_URL`` tells the vendors where to push; a push may wait for its job."""

from __future__ import annotations

import itertools
import time

import pytest
from listen_helpers import entries

from contact_udfs.config import load_settings
from contact_udfs.core.deliveries import receive
from contact_udfs.exceptions import ConfigurationError
from contact_udfs.store.base import JobRecord


def _settings(tmp_path, env, text=""):
    config = tmp_path / "config.toml"
    config.write_text(text)
    return load_settings(environ=env, config_file=config)


def test_one_url_for_both_vendors(tmp_path):
    s = _settings(tmp_path, {"CONTACT_UDFS_WEBHOOK_URL": "https://hooks.example.com/cu/"})
    assert s.provider("dropcontact").options["callback_url"] == (
        "https://hooks.example.com/cu/dropcontact")
    assert s.provider("fullcontact").options["webhook_url"] == (
        "https://hooks.example.com/cu/fullcontact")
    assert "webhook_url" not in s.provider("coldlead").options
    off = _settings(tmp_path, {})
    assert off.webhook_url == "" and "callback_url" not in off.provider("dropcontact").options
    later = off.with_(webhook_url="https://x.example")
    assert later.provider("fullcontact").options["webhook_url"] == "https://x.example/fullcontact"


def test_the_config_file_and_its_own_provider_urls(tmp_path):
    s = _settings(tmp_path, {}, 'webhook_url = "https://a.example"\n'
                                '[dropcontact]\ncallback_url = "https://b.example/hook"\n')
    assert s.provider("dropcontact").options["callback_url"] == "https://b.example/hook"
    assert s.provider("fullcontact").options["webhook_url"] == "https://a.example/fullcontact"


@pytest.mark.parametrize("bad", ["hooks.example.com", "ftp://hooks.example.com", "http://"])
def test_a_url_vendors_cannot_call_is_refused(tmp_path, bad):
    with pytest.raises(ConfigurationError, match="webhook_url"):
        _settings(tmp_path, {"CONTACT_UDFS_WEBHOOK_URL": bad})


def test_a_push_ahead_of_the_journal_waits_for_its_job(client_for):
    """A fast vendor may push before the submitting run has written its job down."""
    client = client_for("fullcontact")
    provider = client.provider("fullcontact")
    keys = ["ada.lovelace@acme-robotics.com", "grace.hopper@acme-robotics.com"]
    body = {"batchId": "b-1-vs", "completed": True,
            "response": {"status": 200, "emails": entries(keys)}}
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # the submitting run journals its job meanwhile
        waits.append(seconds)
        if len(waits) == 3:
            client.store.journal_add(JobRecord("fullcontact", "verify", "b-1-vs", keys,
                                               created_at=time.time()))

    got = receive(provider, client.store, client.settings, body, sleep=sleep)
    assert (got.settled, got.saved, len(waits)) == (["b-1-vs"], 2, 3)
    assert set(client.store.get_many("fullcontact", "verify", keys)) == set(keys)

    ticks = itertools.count(0.0, 0.25)
    never = receive(provider, client.store, client.settings, {**body, "batchId": "b-2-vs"},
                    grace=2.0, sleep=lambda s: None, clock=lambda: next(ticks))
    assert never.ignored == ["b-2-vs"] and never.saved == 0
