"""RedisStore: the shared contract on a real redis-server, plus what only a shared server
can get wrong (passwords in messages, other tenants' keys, many machines claiming at once).

Each test gets its own key prefix derived from ``tmp_path``, so two handles made for one
test see the same data and tests never see each other's. Processes start together on a
line read from stdin, never after a sleep.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import contact_udfs
from contact_udfs.exceptions import ConfigurationError, StoreError
from contact_udfs.store import open_store
from contact_udfs.store.base import JobRecord

redis = pytest.importorskip("redis")
from redis_server import redis_url  # noqa: E402, F401

from contact_udfs.store.redis import RedisStore, redact_url  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))  # the shared contract sits beside this file
from store_contract import FakeClock, StoreContract, answer  # noqa: E402

pytestmark = pytest.mark.redis

P, V, F = "dropcontact", "verify", "find"
ROOT = Path(contact_udfs.__file__).resolve().parents[1]


def prefix_for(tmp_path: Path) -> str:
    return "t" + hashlib.sha1(str(tmp_path).encode()).hexdigest()[:12]


def dump(client: redis.Redis, match: str = "*") -> str:
    """Every key and value matching ``match``, as one text to search in."""
    parts: list[str] = []
    for name in client.scan_iter(match=match, count=1000):
        kind = client.type(name)
        value: object = {
            "string": client.get, "hash": client.hgetall, "set": client.smembers,
            "zset": lambda n: client.zrange(n, 0, -1, withscores=True),
            "list": lambda n: client.lrange(n, 0, -1),
        }[kind](name)  # fmt: skip
        parts.append(f"{name} {value}")
    return "\n".join(parts)


@pytest.fixture
def server(redis_url: str) -> str:  # noqa: F811
    """The session's redis-server; database 0 holds every test's own prefix."""
    return redis_url


@pytest.fixture
def db0(server: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(f"{server}/0", decode_responses=True)
    yield client
    client.close()


class TestRedisStore(StoreContract):
    @pytest.fixture(autouse=True)
    def _server(self, server: str, tmp_path: Path) -> Iterator[None]:
        self.url = f"{server}/0"
        yield
        RedisStore.from_url(self.url, prefix=prefix_for(tmp_path)).clear()

    def make_store(self, tmp_path: Path, clock: FakeClock) -> RedisStore:
        return RedisStore.from_url(self.url, prefix=prefix_for(tmp_path), clock=clock)


@pytest.fixture
def store(server: str, tmp_path: Path) -> Iterator[RedisStore]:
    store = RedisStore.from_url(f"{server}/0", prefix=prefix_for(tmp_path))
    yield store
    store.clear()
    store.close()


# -- the URL, the password, errors ------------------------------------------------


def test_redact_url() -> None:
    assert redact_url("redis://:hunter2@cache.example:6379/0") == "redis://cache.example:6379/0"
    assert redact_url("rediss://team:p%40ss@h:6380/2") == "rediss://team@h:6380/2"
    assert redact_url("redis://h/0?password=hunter2&db=1") == "redis://h/0?db=1"
    assert redact_url("unix://:pw@/run/redis.sock?db=3") == "unix:///run/redis.sock?db=3"
    assert "hunter2" not in redact_url("redis://:hunter2@[::1")


def test_password_never_shown(server: str, db0: redis.Redis) -> None:
    db0.execute_command("ACL", "SETUSER", "alice", "on", ">s3cret-pw", "~*", "&*", "+@all")
    port = server.rsplit(":", 1)[1]
    store = RedisStore.from_url(f"redis://alice:s3cret-pw@127.0.0.1:{port}/0", prefix="pwtest")
    try:
        assert store.location == f"redis://alice@127.0.0.1:{port}/0"
        store.put_many(P, V, {"a@x.com": answer()}, ttl=None)  # really authenticated
        shown = repr(store) + json.dumps(store.stats())
        assert "s3cret" not in shown and store.stats()["backend"] == "redis"
    finally:
        store.clear()
        store.close()
    wrong = RedisStore.from_url(f"redis://alice:wrong-pw-42@127.0.0.1:{port}/0")
    with pytest.raises(StoreError, match="Redis cache at redis://alice@127") as info:
        wrong.get_many(P, V, ["a@x.com"])
    assert "wrong-pw-42" not in str(info.value) and info.value.__cause__ is None


def test_unreachable_server_is_a_store_error() -> None:
    with socket.socket() as sock:  # a local port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = RedisStore.from_url(f"redis://:topsecret@127.0.0.1:{port}/0")
    with pytest.raises(StoreError, match=f"could not claim keys .*127.0.0.1:{port}") as info:
        store.claim(P, V, ["a@x.com"], owner="me", ttl=5)
    assert "topsecret" not in str(info.value)


def test_bad_url_and_prefix() -> None:
    with pytest.raises(ConfigurationError) as info:
        RedisStore.from_url("redis://:sekrit@h:notaport/0")
    assert "sekrit" not in str(info.value)
    with pytest.raises(ConfigurationError):
        RedisStore.from_url("redis://h/0", prefix="a*")


def test_closed_store(store: RedisStore, server: str) -> None:
    other = RedisStore.from_url(f"{server}/0", prefix=store.prefix)
    other.close()
    other.close()
    with pytest.raises(StoreError, match="closed"):
        other.get_many(P, V, ["a@x.com"])


def test_open_store_builds_a_redis_store(server: str, tmp_path: Path) -> None:
    clock = FakeClock()
    store = open_store(f"{server}/0", prefix=prefix_for(tmp_path), clock=clock)
    assert isinstance(store, RedisStore) and store.location == f"{server}/0"
    store.put_many(P, V, {"a@x.com": answer()}, ttl=10)
    clock.advance(11)
    assert store.get_many(P, V, ["a@x.com"]) == {}
    store.clear()
    store.close()


# -- what is in Redis -------------------------------------------------------------


def test_json_values_and_real_expiry(store: RedisStore, db0: redis.Redis) -> None:
    store.put_many(P, V, {"a@x.com": answer(n=1)}, ttl=3600)
    store.put_many(P, V, {"b@x.com": answer()}, ttl=None)
    store.claim(P, V, ["c@x.com"], owner="me", ttl=30)
    name = f"{store.prefix}:a:{P}:{V}:a@x.com"
    assert json.loads(db0.hget(name, "v")) == answer(n=1)
    assert 3600_000 < db0.pttl(name) <= 3660_000  # the safety net: TTL plus the margin
    assert db0.pttl(f"{store.prefix}:a:{P}:{V}:b@x.com") == -1
    assert 30_000 < db0.pttl(f"{store.prefix}:c:{P}:{V}:c@x.com") <= 90_000
    store.put_many(P, V, {"a@x.com": answer()}, ttl=None)  # forever now: no expiry left
    assert db0.pttl(name) == -1
    assert db0.pttl(f"{store.prefix}:e:a@x.com") == -1


def test_clear_leaves_other_prefixes_alone(store: RedisStore, server: str) -> None:
    neighbour = RedisStore.from_url(f"{server}/0", prefix=store.prefix + "2")
    client = redis.Redis.from_url(f"{server}/0", decode_responses=True)
    try:
        for s in (store, neighbour):
            s.put_many(P, V, {"a@x.com": answer()}, ttl=None, emails={"a@x.com": ["a@x.com"]})
            s.journal_add(JobRecord(P, V, "job", ["b@x.com"]))
            s.record_pattern("x.com", "first")
        client.set("unrelated", "1")
        client.zadd(f"{store.prefix}:ratelimit:coldlead", {"call": 1})
        store.clear()
        assert store.stats()["answers"] == 0 and not store.journal_open(P, V)
        assert neighbour.get_many(P, V, ["a@x.com"]) == {"a@x.com": answer()}
        assert [j.job_id for j in neighbour.journal_open(P, V)] == ["job"]
        assert client.get("unrelated") == "1"
        assert client.zcard(f"{store.prefix}:ratelimit:coldlead") == 1
        assert not [k for k in client.scan_iter(f"{store.prefix}:*") if "ratelimit" not in k]
    finally:
        client.delete("unrelated", f"{store.prefix}:ratelimit:coldlead")
        client.close()
        neighbour.clear()
        neighbour.close()


def test_forget_leaves_no_trace_in_redis(store: RedisStore, db0: redis.Redis) -> None:
    addr = "erase.me@forgotten.example"
    find_key = "erase|me|forgotten.example"
    store.put_many(P, V, {addr: answer(address=addr), "keep@x.com": answer()}, ttl=None)
    store.put_many(P, F, {find_key: answer(email=addr)}, ttl=60, emails={find_key: [addr]})
    # one answer about two people: forgetting one leaves the other's index clean
    store.put_many(P, V, {"pair@x.com": answer(suggestion=addr)}, ttl=None,
                   emails={"pair@x.com": ["pair@x.com", addr]})  # fmt: skip
    store.claim("coldlead", V, [addr], owner="x", ttl=60)
    meta = {"sent": {addr: "digest", "keep@x.com": "d2"}, "note": f"for {addr.upper()}"}
    store.journal_add(JobRecord(P, V, "open", [addr, "keep@x.com"], meta))
    store.journal_add(JobRecord(P, V, "done", [addr], state="done"))
    assert "forgotten.example" in dump(db0, f"{store.prefix}:*")

    assert store.forget(addr.upper()) == 3
    assert "forgotten.example" not in dump(db0, f"{store.prefix}:*")
    (job,) = store.journal_open(P, V)
    assert job.keys == ["keep@x.com"] and job.meta["sent"] == {"keep@x.com": "d2"}
    assert store.get_many(P, V, ["keep@x.com"]) == {"keep@x.com": answer()}


def test_put_moves_address_links(store: RedisStore, db0: redis.Redis) -> None:
    key = "ada|lovelace|acme.com"
    store.put_many(P, F, {key: answer(email="old@acme.com")}, ttl=None,
                   emails={key: ["old@acme.com"]})  # fmt: skip
    store.put_many(P, F, {key: answer(email="ada@acme.com")}, ttl=None,
                   emails={key: ["ada@acme.com"]})  # fmt: skip
    assert not db0.exists(f"{store.prefix}:e:old@acme.com")
    assert store.forget("old@acme.com") == 0
    assert store.forget("ada@acme.com") == 1


# -- many machines at once ----------------------------------------------------------

_WORKER = r"""
import json, random, sys
from contact_udfs.store.redis import RedisStore

url, prefix, owner, seed = sys.argv[1:5]
store = RedisStore.from_url(url, prefix=prefix)
keys = [f"k{i}@x.com" for i in range(400)]
rnd = random.Random(int(seed))
rnd.shuffle(keys)
print("ready", flush=True)
sys.stdin.readline()  # everyone starts together
mine = []
for start in range(0, 400, 25):
    batch = keys[start:start + 40]  # overlapping windows: every key is asked for twice
    got = store.claim("p", "verify", batch, owner=owner, ttl=3600)
    mine += got.mine
    store.put_many("p", "verify", {k: {"by": owner} for k in got.mine}, ttl=None, owner=owner)
store.close()
print(json.dumps(mine), flush=True)
"""


def test_eight_processes_each_key_has_one_owner(server: str, store: RedisStore) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}  # fmt: skip
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, f"{server}/0", store.prefix, f"proc-{n}", str(n)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )  # fmt: skip
        for n in range(8)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdin is not None
            assert proc.stdout.readline().strip() == "ready", proc.communicate(timeout=30)[1]
        for proc in procs:
            proc.stdin.write("go\n")  # type: ignore[union-attr]
            proc.stdin.flush()  # type: ignore[union-attr]
        owned = []
        for proc in procs:
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
            owned.append(json.loads(out))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    everything = [key for mine in owned for key in mine]
    assert sorted(everything) == sorted(f"k{i}@x.com" for i in range(400))  # once each
    saved = store.get_many("p", "verify", everything)
    assert all(saved[key]["by"] == f"proc-{n}" for n, mine in enumerate(owned) for key in mine)
    assert store.stats()["claims"] == 0
