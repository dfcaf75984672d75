"""Settings: environment variables and an optional TOML file, as one object.

The environment wins over the file, the file over the defaults. Keys are kept
in a :class:`Secret` so that no ``repr``, log line or traceback can show them.

Config file (``CONTACT_UDFS_CONFIG`` or ``<user config dir>/contact_udfs/config.toml``)::

    providers = ["dropcontact", "coldlead", "local"]
    cache = "~/contacts.sqlite"          # or "redis://host:6379/0"
    budget = 500
    ttl_days = 30
    poll_interval = 2
    poll_timeout = 600
    webhook_url = "https://hooks.example.com/contact-udfs"   # optional; see docs/webhooks.md
    mcp_budget = 100                     # per tool call of contact-udfs mcp; docs/mcp.md
    hot_cache = 20000                    # answers held in memory per process; 0 = off

    [dropcontact]
    api_key = "..."
    base_url = "https://api.dropcontact.com"
    rate_limit = "10/1"
    api = "v1"                           # or "legacy" for the /batch endpoint
    language = "en"
    siren = false

    [coldlead]
    api_key = "..."
    rate_limit = "200/60"
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import platformdirs

from .exceptions import ConfigurationError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "PAID_PROVIDERS",
    "redact_cache",
    "ProviderSettings",
    "RateLimit",
    "Secret",
    "Settings",
    "default_cache_path",
    "load_settings",
]

APP_NAME = "contact_udfs"
PAID_PROVIDERS: tuple[str, ...] = ("dropcontact", "fullcontact", "coldlead")

DEFAULT_BASE_URLS = {
    "dropcontact": "https://api.dropcontact.com",
    "fullcontact": "https://api.fullcontact.com",
    "coldlead": "https://api.coldlead.io",
}
#: paced a little under what each vendor documents
DEFAULT_RATE_LIMITS = {
    "dropcontact": "10/1",
    "fullcontact": "10/1",
    "coldlead": "190/60",
}
#: the options each provider reads from its config table (besides api_key, base_url, rate_limit)
PROVIDER_OPTIONS: dict[str, frozenset[str]] = {
    "dropcontact": frozenset({"api", "language", "siren", "callback_url", "legacy_base_url"}),
    "fullcontact": frozenset({"webhook_url"}),
    "coldlead": frozenset(),
    "local": frozenset({"check_dns", "dns_timeout"}),
}
TOP_LEVEL_KEYS = frozenset(
    {"providers", "cache", "budget", "ttl_days", "poll_interval", "poll_timeout", "claim_ttl",
     "webhook_url", "mcp_budget",
     "hot_cache"}
)  # fmt: skip
#: the provider option that a ``webhook_url`` fills in, as ``<webhook_url>/<provider>``
WEBHOOK_OPTIONS = {"dropcontact": "callback_url", "fullcontact": "webhook_url"}
DEFAULT_TTL_DAYS = 30.0  # how long Dropcontact keeps results
DEFAULT_POLL_INTERVAL = 2.0
DEFAULT_POLL_TIMEOUT = 600.0
#: seconds a claim lives between two heartbeats of its owner (renewed every third of it)
DEFAULT_CLAIM_TTL = 15.0
#: answers each process holds in memory per cache (0 = none); see store/hot.py
DEFAULT_HOT_CACHE = 20_000
DEFAULT_HTTP_TIMEOUT = (5.0, 60.0)
#: credits one ``contact-udfs mcp`` tool call may spend: an agent loop cannot drain an account
DEFAULT_MCP_BUDGET = 100.0


class Secret:
    """A string that never shows itself in ``repr``/``str``/logs."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass(frozen=True)
class RateLimit:
    """At most ``limit`` requests per ``seconds``; parsed from ``"N/S"``."""

    limit: int
    seconds: float

    @classmethod
    def parse(cls, text: str | RateLimit) -> RateLimit:
        if isinstance(text, RateLimit):
            return text
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*", str(text))
        if not match or int(match.group(1)) < 1 or float(match.group(2)) <= 0:
            raise ConfigurationError(
                f"rate limit {text!r} is not 'N/S' (N requests per S seconds), e.g. '200/60'"
            )
        return cls(int(match.group(1)), float(match.group(2)))

    def __str__(self) -> str:
        return f"{self.limit}/{self.seconds:g}"


@dataclass(frozen=True)
class ProviderSettings:
    """One paid provider's settings; ``api_key`` None means the provider is off."""

    name: str
    api_key: Secret | None = None
    base_url: str = ""
    rate_limit: RateLimit = field(default_factory=lambda: RateLimit(10, 1.0))
    #: extra provider options (Dropcontact ``api``, ``language``, ``siren``...)
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        return bool(self.api_key)


def redact_cache(location: str) -> str:
    """A cache location fit for messages: a ``redis://`` URL loses its password."""
    if not location.startswith(("redis://", "rediss://", "unix://")):
        return location
    from urllib.parse import parse_qsl, urlencode, urlsplit

    try:
        parts = urlsplit(location.strip())
    except ValueError:
        return "a Redis URL that could not be parsed"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}@{host}" if user else host
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if k.lower() != "password"
        ]
    )
    return f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")


@dataclass(frozen=True, repr=False)
class Settings:
    """Everything configurable, resolved once; pass it to :class:`Client`."""

    providers: tuple[str, ...] = ()
    cache: str = ""
    budget: float | None = None
    ttl_days: float = DEFAULT_TTL_DAYS
    poll_interval: float = DEFAULT_POLL_INTERVAL
    poll_timeout: float = DEFAULT_POLL_TIMEOUT
    claim_ttl: float = DEFAULT_CLAIM_TTL
    #: (connect, read) seconds for every HTTP call
    http_timeout: tuple[float, float] = DEFAULT_HTTP_TIMEOUT
    provider_settings: Mapping[str, ProviderSettings] = field(default_factory=dict)
    config_file: str | None = None
    #: where vendors may push job results (``contact-udfs listen`` behind a tunnel); "" = never
    webhook_url: str = ""
    #: the most credits one MCP tool call may spend (``CONTACT_UDFS_MCP_BUDGET``)
    mcp_budget: float = DEFAULT_MCP_BUDGET
    #: answers held in memory per cache location by each process (0 turns it off)
    hot_cache: int = DEFAULT_HOT_CACHE

    def provider(self, name: str) -> ProviderSettings:
        conf = self.provider_settings.get(name) or ProviderSettings(name=name)
        option = WEBHOOK_OPTIONS.get(name)
        if self.webhook_url and option and not conf.options.get(option):
            # one public URL for the listener; the path says which vendor is calling
            url = f"{self.webhook_url.rstrip('/')}/{name}"
            conf = replace(conf, options={**conf.options, option: url})
        return conf

    def __repr__(self) -> str:
        # keys are Secrets already; a Redis URL may carry a password
        shown = {f.name: getattr(self, f.name) for f in fields(self)}
        shown["cache"] = redact_cache(self.cache)
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    @property
    def ttl_seconds(self) -> float | None:
        return self.ttl_days * 86400 if self.ttl_days > 0 else None

    def with_(self, **changes: Any) -> Settings:
        """A copy with some fields changed; unknown names raise ``TypeError``."""
        valid = {f.name for f in fields(self)}
        unknown = set(changes) - valid
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        return replace(self, **changes)


def default_cache_path() -> Path:
    return Path(platformdirs.user_cache_dir(APP_NAME)) / "contacts.sqlite"


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def _read_file(path: Path, explicit: bool) -> dict[str, Any]:
    if not path.exists():
        if explicit:
            raise ConfigurationError(f"config file {path} does not exist")
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"config file {path} cannot be read: {exc}") from None


def _number(name: str, value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{name} must be a number, got {value!r}") from None


def _count(name: str, value: float) -> int:
    if value < 0 or value != int(value):
        raise ConfigurationError(f"{name} must be a whole number of answers (0 = off), got {value}")
    return int(value)


def load_settings(
    environ: Mapping[str, str] | None = None, config_file: str | os.PathLike[str] | None = None
) -> Settings:
    """Resolve settings from ``environ`` (default ``os.environ``) and the config file."""
    env = os.environ if environ is None else environ
    explicit = config_file or env.get("CONTACT_UDFS_CONFIG")
    path = Path(explicit).expanduser() if explicit else default_config_path()
    data = _read_file(path, bool(explicit))

    unknown = set(data) - TOP_LEVEL_KEYS - set(PROVIDER_OPTIONS)
    if unknown:  # a misspelt key must not be silently ignored
        raise ConfigurationError(
            f"unknown key(s) in {path}: {', '.join(sorted(unknown))}; valid keys: "
            f"{', '.join(sorted(TOP_LEVEL_KEYS))} and the tables "
            f"{', '.join(f'[{n}]' for n in PROVIDER_OPTIONS)}"
        )
    prov: dict[str, ProviderSettings] = {}
    for name in (*PAID_PROVIDERS, "local"):
        section = data.get(name, {}) or {}
        if not isinstance(section, dict):
            raise ConfigurationError(f"[{name}] in {path} must be a table")
        allowed = PROVIDER_OPTIONS[name] | (
            {"api_key", "base_url", "rate_limit"} if name != "local" else set()
        )
        bad = set(section) - allowed
        if bad:
            raise ConfigurationError(
                f"unknown key(s) in [{name}] of {path}: {', '.join(sorted(bad))}; "
                f"valid: {', '.join(sorted(allowed)) or 'none'}"
            )
        if name == "local":
            prov[name] = ProviderSettings(name=name, options=dict(section))
            continue
        upper = name.upper()
        key = env.get(f"{upper}_API_KEY") or section.get("api_key") or None
        base = env.get(f"{upper}_BASE_URL") or section.get("base_url") or DEFAULT_BASE_URLS[name]
        rate = (
            env.get(f"{upper}_RATE_LIMIT") or section.get("rate_limit") or DEFAULT_RATE_LIMITS[name]
        )
        options = {
            k: v for k, v in section.items() if k not in ("api_key", "base_url", "rate_limit")
        }
        if name == "dropcontact" and env.get("DROPCONTACT_API"):
            options["api"] = env["DROPCONTACT_API"]
        if name == "dropcontact" and env.get("DROPCONTACT_LEGACY_BASE_URL"):
            # seed 000's /batch lives on its own host: one base URL per API
            options["legacy_base_url"] = env["DROPCONTACT_LEGACY_BASE_URL"]
        prov[name] = ProviderSettings(
            name=name,
            api_key=Secret(key.strip()) if key and key.strip() else None,
            base_url=str(base).rstrip("/"),
            rate_limit=RateLimit.parse(rate),
            options=options,
        )

    order_text = env.get("CONTACT_UDFS_PROVIDERS") or data.get("providers")
    if order_text:
        items = order_text.split(",") if isinstance(order_text, str) else list(order_text)
        order = tuple(p.strip().lower() for p in items if str(p).strip())
    else:
        order = tuple(n for n in PAID_PROVIDERS if prov[n].enabled) + ("local",)

    if env.get("CONTACT_UDFS_BUDGET"):
        budget: float | None = _number("CONTACT_UDFS_BUDGET", env["CONTACT_UDFS_BUDGET"])
    elif data.get("budget") not in (None, ""):
        budget = _number(f"budget in {path}", data["budget"])
    else:
        budget = None
    cache = env.get("CONTACT_UDFS_CACHE") or data.get("cache") or str(default_cache_path())
    if not str(cache).startswith(("redis://", "rediss://", "unix://")):
        cache = str(Path(str(cache)).expanduser())

    def num(env_name: str, key: str, default: float) -> float:
        if env.get(env_name) not in (None, ""):
            return _number(env_name, env[env_name])
        raw = data.get(key)
        return _number(f"{key} in {path}", raw) if raw not in (None, "") else default

    webhook = str(env.get("CONTACT_UDFS_WEBHOOK_URL") or data.get("webhook_url") or "").strip()
    if webhook and not re.match(r"(?i)https?://[^/\s]+", webhook):
        raise ConfigurationError(
            f"webhook_url must be an http(s) URL vendors can reach, got {webhook!r}"
        )

    mcp_budget = num("CONTACT_UDFS_MCP_BUDGET", "mcp_budget", DEFAULT_MCP_BUDGET)
    if mcp_budget < 0:
        raise ConfigurationError(f"CONTACT_UDFS_MCP_BUDGET must be 0 or more, got {mcp_budget:g}")

    return Settings(
        providers=order,
        cache=str(cache),
        budget=budget,
        ttl_days=num("CONTACT_UDFS_TTL_DAYS", "ttl_days", DEFAULT_TTL_DAYS),
        poll_interval=num("CONTACT_UDFS_POLL_INTERVAL", "poll_interval", DEFAULT_POLL_INTERVAL),
        poll_timeout=num("CONTACT_UDFS_POLL_TIMEOUT", "poll_timeout", DEFAULT_POLL_TIMEOUT),
        claim_ttl=num("CONTACT_UDFS_CLAIM_TTL", "claim_ttl", DEFAULT_CLAIM_TTL),
        provider_settings=prov,
        config_file=str(path) if path.exists() else None,
        webhook_url=webhook,
        mcp_budget=mcp_budget,
        hot_cache=_count(
            "hot_cache", num("CONTACT_UDFS_HOT_CACHE", "hot_cache", DEFAULT_HOT_CACHE)
        ),
    )
