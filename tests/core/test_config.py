"""Settings from env + TOML, and keys that never show."""

from __future__ import annotations

import logging

import pytest

from contact_udfs import Client
from contact_udfs.config import RateLimit, Secret, load_settings
from contact_udfs.exceptions import ConfigurationError, UnknownProviderError

KEY = "sk-live-THIS-MUST-NOT-LEAK-42"


def write(tmp_path, text):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_defaults_without_keys(tmp_path):
    s = load_settings(environ={}, config_file=write(tmp_path, ""))
    assert s.providers == ("local",)
    assert s.budget is None and s.ttl_days == 30
    assert s.cache.endswith("contacts.sqlite")
    assert str(s.provider("coldlead").rate_limit) == "190/60"


def test_env_wins_over_file(tmp_path):
    cfg = write(
        tmp_path,
        f"""
providers = ["coldlead", "local"]
budget = 100
cache = "{tmp_path / "from-file.sqlite"}"
[dropcontact]
api_key = "file-key"
base_url = "http://127.0.0.1:9/dc/"
language = "fr"
[coldlead]
api_key = "file-cl"
rate_limit = "20/2"
""",
    )
    env = {
        "DROPCONTACT_API_KEY": KEY,
        "CONTACT_UDFS_PROVIDERS": "dropcontact, local",
        "CONTACT_UDFS_BUDGET": "12.5",
        "COLDLEAD_RATE_LIMIT": "50/10",
    }
    s = load_settings(environ=env, config_file=cfg)
    assert s.providers == ("dropcontact", "local")
    assert s.budget == 12.5
    assert s.cache == str(tmp_path / "from-file.sqlite")
    dc = s.provider("dropcontact")
    assert dc.api_key.get() == KEY and dc.base_url == "http://127.0.0.1:9/dc"
    assert dc.options["language"] == "fr"
    assert s.provider("coldlead").rate_limit == RateLimit(50, 10.0)
    assert s.provider("fullcontact").enabled is False


def test_default_order_is_keyed_providers_then_local(tmp_path):
    env = {"COLDLEAD_API_KEY": "k1", "DROPCONTACT_API_KEY": "k2"}
    s = load_settings(environ=env, config_file=write(tmp_path, ""))
    assert s.providers == ("dropcontact", "coldlead", "local")


@pytest.mark.parametrize(
    "env,match",
    [
        ({"CONTACT_UDFS_BUDGET": "lots"}, "must be a number"),
        ({"COLDLEAD_RATE_LIMIT": "fast"}, "N/S"),
        ({"COLDLEAD_RATE_LIMIT": "0/60"}, "N/S"),
    ],
)
def test_bad_values_are_clear(tmp_path, env, match):
    with pytest.raises(ConfigurationError, match=match):
        load_settings(environ=env, config_file=write(tmp_path, ""))


def test_bad_file_is_clear(tmp_path):
    with pytest.raises(ConfigurationError, match="cannot be read"):
        load_settings(environ={}, config_file=write(tmp_path, "providers = [unclosed"))
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_settings(environ={}, config_file=tmp_path / "nope.toml")


def test_key_never_in_repr(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    s = load_settings(environ={"COLDLEAD_API_KEY": KEY}, config_file=write(tmp_path, ""))
    logging.getLogger("contact_udfs").debug("settings: %r %s", s, s)
    assert KEY not in repr(s) and KEY not in str(s) and KEY not in caplog.text
    assert KEY not in repr(Secret(KEY)) and KEY not in f"{Secret(KEY)}"
    client = Client(settings=s)
    assert KEY not in repr(client)


def test_unknown_provider_lists_valid_names(tmp_path):
    with pytest.raises(UnknownProviderError, match="dropcontact, fullcontact, coldlead, local"):
        Client(providers=["hunter"])


def test_paid_provider_without_key_is_clear(tmp_path):
    client = Client(providers=["coldlead"], cache=tmp_path / "c.sqlite")
    with pytest.raises(ConfigurationError, match="COLDLEAD_API_KEY"):
        client.verify_emails(["a@b.com"])


def test_with_rejects_unknown_fields(tmp_path):
    s = load_settings(environ={}, config_file=write(tmp_path, ""))
    with pytest.raises(TypeError, match="unknown settings: budgett"):
        s.with_(budgett=3)
