"""SQLiteStore: the shared contract plus what only a file on disk can get wrong.

Concurrency tests start their threads and processes together with a barrier
(processes wait for a line on stdin), never with sleeps.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading
import types
from pathlib import Path

import pytest

import contact_udfs
from contact_udfs.exceptions import ConfigurationError, StoreError
from contact_udfs.store import SQLiteStore, open_store
from contact_udfs.store.base import JobRecord
from contact_udfs.store.sqlite import SCHEMA_VERSION

sys.path.insert(0, os.path.dirname(__file__))  # the shared contract sits beside this file
from store_contract import FakeClock, StoreContract, answer  # noqa: E402

P, V, F = "dropcontact", "verify", "find"
ROOT = Path(contact_udfs.__file__).resolve().parents[1]
POSIX = os.name == "posix"


class TestSQLiteStore(StoreContract):
    def make_store(self, tmp_path: Path, clock: FakeClock) -> SQLiteStore:
        return SQLiteStore(tmp_path / "cache" / "contacts.sqlite", clock=clock)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "contacts.sqlite"


# -- the file -----------------------------------------------------------------


@pytest.mark.skipif(not POSIX, reason="POSIX file modes")
def test_file_0600_in_a_new_0700_directory(tmp_path: Path) -> None:
    target = tmp_path / "new" / "dir" / "contacts.sqlite"
    store = SQLiteStore(target)
    store.put_many(P, V, {"a@x.com": answer()}, ttl=None)
    assert store.location == str(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700
    for suffix in ("-wal", "-shm"):
        sidecar = Path(f"{target}{suffix}")
        assert sidecar.exists() and stat.S_IMODE(sidecar.stat().st_mode) == 0o600
    store.close()


def test_wal_mode_and_schema_version(path: Path) -> None:
    SQLiteStore(path).close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master")}
    assert {"answers", "answer_emails", "claims", "jobs", "patterns"} <= tables


def test_newer_schema_is_refused(path: Path) -> None:
    SQLiteStore(path).close()
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="newer"):
        SQLiteStore(path)


def test_memory_path_is_refused() -> None:
    with pytest.raises(ConfigurationError):
        SQLiteStore(":memory:")


def test_closed_store(path: Path) -> None:
    store = SQLiteStore(path)
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.get_many(P, V, ["a@x.com"])


def test_held_lock_ends_in_a_clear_error(path: Path) -> None:
    store = SQLiteStore(path, timeout=0.05)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError, match="locked"):
            store.put_many(P, V, {"a@x.com": answer()}, ttl=None)
        assert store.get_many(P, V, ["a@x.com"]) == {}  # readers are not blocked by WAL
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    store.put_many(P, V, {"a@x.com": answer()}, ttl=None)
    store.close()


# -- data that must come back verbatim and stay private -------------------------


def test_injection_looking_keys_are_plain_data(path: Path) -> None:
    store = SQLiteStore(path)
    keys = [
        "'; DROP TABLE answers; --",
        "robert'); DROP TABLE jobs;--@x.com",
        '" OR "1"="1',
        "x@y.com' OR 1=1 --",
        "%_*?[]\\",
        "{marks}",
    ]
    store.put_many(P, V, {key: answer(key=key) for key in keys}, ttl=None)
    assert store.get_many(P, V, keys) == {key: answer(key=key) for key in keys}
    assert store.claim(P, V, keys, owner="o'wner", ttl=60).mine == []
    store.journal_add(JobRecord(P, V, "'; DELETE FROM jobs; --", keys, {"q": keys[0]}))
    assert store.journal_open(P, V)[0].keys == keys
    assert store.forget(keys[1]) == 1
    assert store.stats()["answers"] == len(keys) - 1
    store.close()


def test_stats_never_show_keys(path: Path) -> None:
    store = SQLiteStore(path)
    keys = ["private.person@secret-co.example", "hidden|name|secret-co.example"]
    store.put_many(P, V, {key: answer() for key in keys}, ttl=None)
    store.claim(P, F, ["claimed.one@secret-co.example"], owner="x", ttl=60)
    store.journal_add(JobRecord(P, F, "job", ["journal.one@secret-co.example"]))
    text = json.dumps(store.stats())
    assert "secret-co" not in text and "private" not in text and "claimed" not in text
    store.close()


def test_forget_leaves_no_bytes_on_disk(path: Path) -> None:
    store = SQLiteStore(path)
    addr = "erase.me.please@forgotten-domain.example"
    find_key = "erase|me|forgotten-domain.example"
    filler = {f"someone{i}@x.com": answer(n=i, note="filler " * 10) for i in range(300)}
    store.put_many(P, V, filler, ttl=None)
    store.put_many(P, V, {addr: answer(address=addr)}, ttl=None)
    store.put_many(P, F, {find_key: answer(email=addr)}, ttl=None, emails={find_key: [addr]})
    store.journal_add(JobRecord(P, V, "job", [addr, "someone1@x.com"]))
    store.journal_add(JobRecord(P, V, "done", [addr], state="done"))
    store.put_many(P, V, {addr: answer("risky", address=addr)}, ttl=None)  # an older copy too

    def on_disk() -> bytes:
        files = [path, Path(f"{path}-wal")]
        return b"".join(f.read_bytes() for f in files if f.exists())

    assert addr.encode() in on_disk()
    assert store.forget(addr.upper()) == 2
    raw = on_disk()
    assert addr.encode() not in raw and find_key.encode() not in raw
    assert b"forgotten-domain" not in raw
    assert len(store.get_many(P, V, list(filler))) == 300  # the rest is intact
    store.close()


# -- concurrency --------------------------------------------------------------


def test_threads_each_key_has_one_owner(path: Path) -> None:
    store = SQLiteStore(path)
    keys = [f"k{i}@x.com" for i in range(500)]
    chunks = [keys[i : i + 25] for i in range(0, 500, 25)]
    barrier = threading.Barrier(4)
    owned: dict[int, list[str]] = {}
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            mine: list[str] = []
            for r in range(len(chunks)):
                barrier.wait()  # every round: all four at once on the shared chunk r
                wanted = chunks[(n * 5 + r) % len(chunks)] + chunks[r]
                mine += store.claim(P, V, wanted, owner=f"thread-{n}", ttl=3600).mine
            owned[n] = mine
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    # a thread claiming its own key again gets it again: compare sets of owned keys
    everything = [key for mine in owned.values() for key in set(mine)]
    assert sorted(everything) == sorted(keys)  # disjoint, and nothing left unclaimed
    # round 0 gives threads 1-3 a chunk nobody else wants yet (thread 0's is the shared one)
    assert all(owned[n] for n in (1, 2, 3))
    store.close()


_WORKER = r"""
import json, random, sys
from contact_udfs.store.sqlite import SQLiteStore

path, owner, mode, seed = sys.argv[1:5]
store = SQLiteStore(path)
print("ready", flush=True)
sys.stdin.readline()  # everyone starts together
rnd = random.Random(int(seed))
mine = []
if mode == "claim":
    keys = [f"k{i}@x.com" for i in range(500)]
    rnd.shuffle(keys)
    for start in range(0, 500, 20):
        mine += store.claim("p", "verify", keys[start:start + 20], owner=owner, ttl=3600).mine
else:
    keys = [f"k{i}@x.com" for i in range(300)]
    for _ in range(30):
        batch = rnd.sample(keys, 40)
        got = store.claim("p", "verify", batch, owner=owner, ttl=3600)
        mine += got.mine
        answers = {key: {"status": "deliverable", "by": owner} for key in got.mine}
        store.put_many("p", "verify", answers, ttl=None, owner=owner, emails={})
        assert set(store.get_many("p", "verify", batch)) >= set(got.cached) | set(got.mine)
store.close()
print(json.dumps(mine), flush=True)
"""


def run_workers(path: Path, count: int, mode: str) -> list[list[str]]:
    """Start ``count`` interpreters, release them at once, return what each claimed."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(path), f"proc-{n}", mode, str(n)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env=env,
        )
        for n in range(count)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line.strip() == "ready", proc.communicate(timeout=30)[1]
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            assert "locked" not in err
            results.append(json.loads(out))
        return results
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()


def test_two_processes_each_key_has_one_owner(path: Path) -> None:
    SQLiteStore(path).close()
    owned = run_workers(path, 2, "claim")
    everything = [key for mine in owned for key in mine]
    assert sorted(everything) == sorted(f"k{i}@x.com" for i in range(500))


def test_eight_processes_claim_and_save(path: Path) -> None:
    owned = run_workers(path, 8, "loop")
    everything = [key for mine in owned for key in mine]
    assert len(everything) == len(set(everything))  # no key was paid for twice
    store = SQLiteStore(path)
    saved = store.get_many("p", "verify", [f"k{i}@x.com" for i in range(300)])
    assert set(saved) == set(everything)
    assert all(saved[key]["by"] == f"proc-{n}" for n, mine in enumerate(owned) for key in mine)
    assert store.stats()["claims"] == 0
    store.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_usable_after_fork(path: Path) -> None:
    store = SQLiteStore(path)
    store.claim(P, V, ["parent@x.com"], owner="parent", ttl=60)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            result = store.claim(P, V, ["parent@x.com", "child@x.com"], owner="child", ttl=60)
            store.put_many(P, V, {"child@x.com": answer()}, ttl=None, owner="child")
            code = 0 if result.elsewhere == ["parent@x.com"] else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.get_many(P, V, ["child@x.com"]) == {"child@x.com": answer()}
    store.close()


# -- open_store ---------------------------------------------------------------


def test_open_store_paths_and_instances(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = open_store(tmp_path / "a.sqlite")
    assert isinstance(store, SQLiteStore) and store.location == str(tmp_path / "a.sqlite")
    assert open_store(store) is store
    store.close()
    monkeypatch.setattr("contact_udfs.config.default_cache_path", lambda: tmp_path / "d.sqlite")
    default = open_store(None, clock=FakeClock())
    assert default.location == str(tmp_path / "d.sqlite")
    default.close()
    with pytest.raises(ConfigurationError):
        open_store(42)  # type: ignore[arg-type]


def test_open_store_redis_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "contact_udfs.store.redis", None)
    with pytest.raises(ConfigurationError, match=r"contact-udfs\[redis\]") as info:
        open_store("redis://:hunter2@cache.example:6379/0")
    assert "hunter2" not in str(info.value)

    seen: list[tuple[str, dict[str, object]]] = []

    class FakeRedisStore:
        @classmethod
        def from_url(cls, url: str, **kwargs: object) -> str:
            seen.append((url, kwargs))
            return "redis-store"

    fake = types.ModuleType("contact_udfs.store.redis")
    fake.RedisStore = FakeRedisStore  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "contact_udfs.store.redis", fake)
    for url in ("redis://h/0", "rediss://h:6380/1", "unix:///tmp/redis.sock", " REDIS://h "):
        assert open_store(url, prefix="t") == "redis-store"
    assert [url for url, _ in seen] == [
        "redis://h/0", "rediss://h:6380/1", "unix:///tmp/redis.sock", "REDIS://h"]
    assert seen[0][1] == {"prefix": "t"}


def test_forget_scrubs_open_job_meta(path: Path) -> None:
    store = SQLiteStore(path)
    meta = {"api": "v1", "sent": {"ada@x.com": "d1", "bob@x.com": "d2"}, "order": ["ada@x.com"]}
    store.journal_add(JobRecord(P, V, "job-1", ["ada@x.com", "bob@x.com"], meta=meta))
    store.forget("Ada@X.com")
    (job,) = store.journal_open(P, V)
    assert job.keys == ["bob@x.com"]
    assert job.meta == {"api": "v1", "sent": {"bob@x.com": "d2"}, "order": []}
    store.close()
    for suffix in ("", "-wal"):
        file = Path(f"{path}{suffix}")
        if file.exists():
            assert b"ada@x.com" not in file.read_bytes()


# -- the bulk read ------------------------------------------------------------


def test_the_one_statement_read_gives_what_reading_row_by_row_gives(path: Path) -> None:
    from contact_udfs.store import _sqlite_sql as sql

    clock = FakeClock()
    store = SQLiteStore(path, clock=clock)
    odd_keys = ['a"quote@x.com', "back\\slash@x.com", "josé@bücher.de", "tab\tkey", "k,1"]
    store.put_many(P, V, {k: answer(n=i) for i, k in enumerate(odd_keys)}, ttl=30.1)
    store.put_many(P, V, {"forever@x.com": answer("risky")}, ttl=None)
    clock.now += 0.1 + 1 / 3  # an expiry with every digit of its float
    store.put_many(P, V, {"soon@x.com": answer()}, ttl=0.5)
    keys = [*odd_keys, "forever@x.com", "soon@x.com", "missing@x.com"]
    with store._pool.connection() as conn:
        rows = sql._answers(conn, P, V, keys)
        for now in (clock.now, *(expires for _, _, expires in rows.values() if expires)):
            # at each expiry exactly: the same float compared in SQL as in Python
            live, stale = sql._decoded_answers(conn, P, V, keys, now)
            assert sorted(stale) == sorted(k for k, r in rows.items() if sql._expired(r[2], now))
            assert live == {k: json.loads(r[0]) for k, r in rows.items() if k not in stale}
    assert store.get_many(P, V, keys) == {k: answer(n=i) for i, k in enumerate(odd_keys)} | {
        "forever@x.com": answer("risky"), "soon@x.com": answer()}  # fmt: skip
    clock.now += 1
    assert "soon@x.com" not in store.get_many(P, V, ["soon@x.com", "forever@x.com"])


def test_a_payload_that_is_not_one_json_object_is_read_row_by_row(path: Path) -> None:
    store = SQLiteStore(path)
    store.put_many(P, V, {"a@x.com": answer(), "b@x.com": answer()}, ttl=None)
    with sqlite3.connect(path) as raw:  # as an older or foreign writer might have left it
        raw.execute("UPDATE answers SET payload = '[1, 2]' WHERE key = 'b@x.com'")
    assert store.get_many(P, V, ["a@x.com", "b@x.com"]) == {"a@x.com": answer(), "b@x.com": [1, 2]}
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE answers SET payload = '{\"a\": 1}, \"x\"' WHERE key = 'b@x.com'")
    with pytest.raises(ValueError):  # a corrupt row fails the read, as it did row by row
        store.get_many(P, V, ["a@x.com", "b@x.com"])


def test_without_sqlite_json_functions_the_read_goes_row_by_row(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contact_udfs.store import _sqlite_sql as sql

    store = SQLiteStore(path)
    store.put_many(P, V, {"a@x.com": answer()}, ttl=None)
    monkeypatch.setattr(sql, "_READ_AS_JSON", "SELECT no_such_function(?, ?, ?), 1")
    monkeypatch.setattr(sql, "_json_reads", True)
    assert store.get_many(P, V, ["a@x.com", "b@x.com"]) == {"a@x.com": answer()}
    assert sql._json_reads is False  # found out once, not asked again
    assert store.get_many(P, V, ["a@x.com"]) == {"a@x.com": answer()}


# -- the write to run later ---------------------------------------------------------------------


def _rows(path: Path) -> dict[str, tuple]:
    with sqlite3.connect(path) as raw:
        return {
            k: (json.loads(p), r, c, e)
            for k, p, r, c, e in raw.execute(
                "SELECT key, payload, retryable, created_at, expires_at FROM answers"
            )
        }


def _links_of(path: Path) -> set[tuple]:
    with sqlite3.connect(path) as raw:
        return set(raw.execute("SELECT provider, operation, key, email FROM answer_emails"))


def test_a_write_run_later_stores_what_put_many_stores(tmp_path: Path) -> None:
    clock = FakeClock()
    odd = ['a"quote@x.com', "back\\slash@x.com", "josé@bücher.de", "tab\tkey", "k,1"]
    answers = {k: answer(n=i, note="é\u2028\"'") for i, k in enumerate(odd)}
    answers["u@x.com"] = answer("unknown", retryable=True, big=2**70)  # beyond orjson's ints
    emails = {"k,1": ["ada@x.com", "k,1"], "u@x.com": ["u@x.com"]}
    now_path, later_path = tmp_path / "now.sqlite", tmp_path / "later.sqlite"
    for p, ttl in ((now_path, 30.1), (later_path, 30.1)):
        store = SQLiteStore(p, clock=clock)
        if p == now_path:
            store.put_many(P, V, answers, ttl=ttl, emails=emails)
        else:
            write = store.put_many_later(P, V, answers, ttl=ttl, emails=emails)
            assert store.stats()["answers"] == 0  # encoded, not written
            write()
        store.put_many(P, V, {"x@x.com": answer()}, ttl=None)
        store.put_many_later(P, V, {"x@x.com": answer("risky")}, ttl=None)()  # an overwrite
        store.close()
    assert _rows(later_path) == _rows(now_path)
    assert _rows(later_path)["u@x.com"][1] == 1 and _rows(later_path)["x@x.com"][0] == answer(
        "risky"
    )
    assert _links_of(later_path) == _links_of(now_path) == {(P, V, "k,1", "ada@x.com")}


def test_a_write_run_later_is_one_statement(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite works through the batch in one step, which holds no interpreter lock."""
    store = SQLiteStore(path)
    statements: list[str] = []
    with store._pool.connection() as conn:
        conn.set_trace_callback(statements.append)
    write = store.put_many_later(P, V, {f"u{i}@x.com": answer() for i in range(2_000)}, ttl=None)
    write()
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO ANSWERS")]
    assert len(inserts) == 1 and store.stats()["answers"] == 2_000
    assert store.put_many_later(P, V, {}, ttl=None)() is None  # nothing to write


def test_without_sqlite_json_functions_a_write_run_later_goes_row_by_row(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contact_udfs.store import _sqlite_sql as sql

    store = SQLiteStore(path)
    monkeypatch.setattr(sql, "_UPSERT_ANSWERS_JSON", "SELECT no_such_function(:rows)")
    monkeypatch.setattr(sql, "_json_reads", True)
    store.put_many_later(P, V, {"a@x.com": answer(), "b@x.com": answer()}, ttl=None)()
    assert sql._json_reads is False
    assert store.get_many(P, V, ["a@x.com", "b@x.com"]) == {
        "a@x.com": answer(), "b@x.com": answer()}  # fmt: skip
    store.put_many_later(P, V, {"c@x.com": answer()}, ttl=None)()  # not asked again
    assert store.stats()["answers"] == 3


def test_a_bad_payload_fails_before_the_write_is_handed_over(path: Path) -> None:
    store = SQLiteStore(path)
    with pytest.raises(TypeError):
        store.put_many_later(P, V, {"a@x.com": answer(when=object())}, ttl=None)
    assert store.stats()["answers"] == 0


def test_the_one_statement_read_takes_a_key_given_twice(path: Path) -> None:
    from contact_udfs.store import _sqlite_sql as sql

    store = SQLiteStore(path)
    store.put_many(P, V, {"a@x.com": answer(), "b@x.com": answer("risky")}, ttl=None)
    with store._pool.connection() as conn:
        live, stale = sql._decoded_answers(
            conn, P, V, ["a@x.com", "a@x.com", "b@x.com", "none@x.com"], 0.0
        )
    assert live == {"a@x.com": answer(), "b@x.com": answer("risky")} and stale == []
    assert sql._json_reads is True  # read in one statement, not row by row
