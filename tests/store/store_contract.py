"""Behaviour every Store backend must show, written once and reused per backend.

A backend's test module subclasses :class:`StoreContract` and implements
``make_store(tmp_path, clock)``. Calling it twice with the same ``tmp_path``
must give two handles on the same data (that is how durability is checked).
Time only moves through the fake clock, so nothing here sleeps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from contact_udfs.store.base import ClaimResult, JobRecord, Store

P, V, F, E = "dropcontact", "verify", "find", "enrich"


class FakeClock:
    """A clock the test moves by hand; stores read ``now`` from it."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def answer(status: str = "deliverable", **extra: Any) -> dict[str, Any]:
    return {"status": status, "retryable": False, "provider": P, **extra}


class StoreContract:
    """Base class of the per-backend test classes (not collected on its own)."""

    def make_store(self, tmp_path: Path, clock: FakeClock) -> Store:
        raise NotImplementedError

    @pytest.fixture
    def clock(self) -> FakeClock:
        return FakeClock()

    @pytest.fixture
    def store(self, tmp_path: Path, clock: FakeClock) -> Any:
        store = self.make_store(tmp_path, clock)
        yield store
        store.close()

    # -- answers ---------------------------------------------------------------

    def test_is_a_store(self, store: Store) -> None:
        assert isinstance(store, Store)
        assert store.location

    def test_round_trip_keeps_dicts_verbatim(self, store: Store) -> None:
        answers = {
            "o'brien@x.com": answer(raw={"qualification": "nominative@pro"}, n=[1, 2.5, None]),
            "zoë@exämple.org": answer("risky", reason="accept_all — «catch-all» ✓"),
            'quote"d@x.com': answer("unknown", retryable=True, nested={"a": {"b": True}}),
        }
        store.put_many(P, V, answers, ttl=3600)
        got = store.get_many(P, V, [*answers, "missing@x.com"])
        assert got == answers
        assert store.get_many(P, F, list(answers)) == {}
        assert store.get_many("fullcontact", V, list(answers)) == {}
        assert store.get_many(P, V, []) == {}

    def test_put_overwrites(self, store: Store) -> None:
        store.put_many(P, V, {"a@x.com": answer("unknown", retryable=True)}, ttl=None)
        store.put_many(P, V, {"a@x.com": answer("deliverable")}, ttl=None)
        assert store.get_many(P, V, ["a@x.com"]) == {"a@x.com": answer("deliverable")}

    def test_ttl_expiry(self, store: Store, clock: FakeClock) -> None:
        store.put_many(P, V, {"short@x.com": answer()}, ttl=60)
        store.put_many(P, V, {"forever@x.com": answer()}, ttl=None)
        clock.advance(59)
        assert set(store.get_many(P, V, ["short@x.com", "forever@x.com"])) == {
            "short@x.com", "forever@x.com"}
        clock.advance(2)
        assert store.stats()["expired"] == 1
        assert set(store.get_many(P, V, ["short@x.com", "forever@x.com"])) == {"forever@x.com"}
        clock.advance(10 * 365 * 86400)
        assert set(store.get_many(P, V, ["short@x.com", "forever@x.com"])) == {"forever@x.com"}
        # an expired answer counts as absent for claims too
        assert store.claim(P, V, ["short@x.com"], owner="a", ttl=30).mine == ["short@x.com"]

    # -- claims ----------------------------------------------------------------

    def test_claim_splits_cached_mine_elsewhere(self, store: Store) -> None:
        store.put_many(P, V, {"done@x.com": answer()}, ttl=None)
        first = store.claim(P, V, ["b@x.com", "done@x.com", "a@x.com"], owner="one", ttl=60)
        assert first == ClaimResult(cached={"done@x.com": answer()}, mine=["b@x.com", "a@x.com"])
        keys = ["c@x.com", "a@x.com", "done@x.com", "c@x.com", "b@x.com", "d@x.com"]
        second = store.claim(P, V, keys, owner="two", ttl=60)
        assert second.cached == {"done@x.com": answer()}
        assert second.mine == ["c@x.com", "d@x.com"]  # input order, duplicates dropped
        assert second.elsewhere == ["a@x.com", "b@x.com"]
        # the same owner asking again keeps its claims
        again = store.claim(P, V, ["a@x.com", "c@x.com"], owner="one", ttl=60)
        assert again.mine == ["a@x.com"] and again.elsewhere == ["c@x.com"]
        # claims are per provider and operation
        assert store.claim(P, F, ["a@x.com"], owner="two", ttl=60).mine == ["a@x.com"]

    def test_claim_of_a_dead_owner_is_taken_over(self, store: Store, clock: FakeClock) -> None:
        store.claim(P, V, ["a@x.com"], owner="dead", ttl=120)
        clock.advance(119)
        assert store.claim(P, V, ["a@x.com"], owner="live", ttl=120).elsewhere == ["a@x.com"]
        clock.advance(2)
        assert store.claim(P, V, ["a@x.com"], owner="live", ttl=120).mine == ["a@x.com"]
        assert store.claim(P, V, ["a@x.com"], owner="dead", ttl=120).elsewhere == ["a@x.com"]

    def test_put_drops_the_owners_claims(self, store: Store) -> None:
        store.claim(P, V, ["a@x.com", "b@x.com"], owner="one", ttl=60)
        store.put_many(P, V, {"a@x.com": answer()}, ttl=None, owner="one")
        store.release(P, V, ["b@x.com"], owner="one")
        result = store.claim(P, V, ["a@x.com", "b@x.com"], owner="two", ttl=60)
        assert result.cached == {"a@x.com": answer()} and result.mine == ["b@x.com"]
        assert store.stats()["claims"] == 1

    def test_skip_retryable(self, store: Store) -> None:
        shaky = answer("unknown", retryable=True, reason="connection_lost")
        store.put_many(P, V, {"shaky@x.com": shaky, "sure@x.com": answer()}, ttl=None)
        plain = store.claim(P, V, ["shaky@x.com", "sure@x.com"], owner="a", ttl=60)
        assert set(plain.cached) == {"shaky@x.com", "sure@x.com"} and plain.mine == []
        retry = store.claim(P, V, ["shaky@x.com", "sure@x.com"], owner="a", ttl=60,
                            skip_retryable=True)
        assert retry.cached == {"sure@x.com": answer()} and retry.mine == ["shaky@x.com"]
        other = store.claim(P, V, ["shaky@x.com"], owner="b", ttl=60, skip_retryable=True)
        assert other.elsewhere == ["shaky@x.com"]
        store.put_many(P, V, {"shaky@x.com": answer("undeliverable")}, ttl=None, owner="a")
        settled = store.claim(P, V, ["shaky@x.com"], owner="b", ttl=60, skip_retryable=True)
        assert settled.cached == {"shaky@x.com": answer("undeliverable")}
        assert store.stats()["retryable"] == 0

    def test_extend_and_release_by_owner_only(self, store: Store, clock: FakeClock) -> None:
        store.claim(P, V, ["a@x.com", "b@x.com"], owner="one", ttl=10)
        clock.advance(8)
        store.extend(P, V, ["a@x.com", "b@x.com"], owner="two", ttl=100)  # not its claims
        store.extend(P, V, ["a@x.com"], owner="one", ttl=10)  # a@ now lasts until t=18
        store.release(P, V, ["b@x.com"], owner="two")  # not its claim: no effect
        assert store.claim(P, V, ["b@x.com"], owner="two", ttl=10).elsewhere == ["b@x.com"]
        clock.advance(5)  # t=13: b@ (until 10) lapsed, a@ still held
        result = store.claim(P, V, ["a@x.com", "b@x.com"], owner="two", ttl=10)
        assert result.elsewhere == ["a@x.com"] and result.mine == ["b@x.com"]
        store.release(P, V, ["a@x.com"], owner="one")
        assert store.claim(P, V, ["a@x.com"], owner="two", ttl=10).mine == ["a@x.com"]
        store.extend(P, V, [], owner="one", ttl=10)
        store.release(P, V, [], owner="one")

    # -- journal ---------------------------------------------------------------

    def test_journal(self, store: Store, clock: FakeClock, tmp_path: Path) -> None:
        store.journal_add(JobRecord(P, E, "job-2", ["k1", "k2", "k3"], {"n": 3}, owner="me"))
        clock.advance(1)
        store.journal_add(JobRecord(P, E, "job-3", ["k4"], owner="me"))
        store.journal_add(JobRecord(P, E, "job-1", ["k0"], created_at=clock() - 100))
        store.journal_add(JobRecord("fullcontact", V, "job-9", ["a@x.com"]))
        store.journal_add(JobRecord(P, V, "job-8", ["b@x.com"]))
        opened = store.journal_open(P, E)
        assert [job.job_id for job in opened] == ["job-1", "job-2", "job-3"]
        job2 = opened[1]
        assert (job2.provider, job2.operation, job2.keys) == (P, E, ["k1", "k2", "k3"])
        assert (job2.meta, job2.state, job2.owner) == ({"n": 3}, "open", "me")
        assert job2.created_at == clock() - 1
        store.journal_update(P, "job-2", remaining=["k3"])
        store.journal_update(P, "job-3", remaining=[])
        store.journal_update(P, "no-such-job", remaining=[])
        # durable: another handle on the same data sees it
        other = self.make_store(tmp_path, clock)
        try:
            reopened = other.journal_open(P, E)
            assert [(job.job_id, job.keys) for job in reopened] == [
                ("job-1", ["k0"]), ("job-2", ["k3"])]
            assert other.stats()["open_jobs"] == 4
        finally:
            other.close()

    # -- patterns --------------------------------------------------------------

    def test_patterns(self, store: Store) -> None:
        assert store.domain_patterns("acme.com") == {}
        for pattern in ("first.last", "first.last", "flast", "first.last"):
            store.record_pattern("acme.com", pattern)
        store.record_pattern("other.org", "first")
        assert store.domain_patterns("acme.com") == {"first.last": 3, "flast": 1}
        assert store.stats()["patterns"] == 3

    # -- forget, clear, stats --------------------------------------------------

    def test_forget_everywhere(self, store: Store) -> None:
        who = "Ada.Lovelace@Acme.com"
        addr = who.lower()
        store.put_many(P, V, {addr: answer(), "keep@acme.com": answer()}, ttl=None)
        store.put_many("fullcontact", V, {addr: answer("risky")}, ttl=None)
        store.put_many(P, F, {"ada|lovelace|acme.com": answer(email=addr),
                              "bob|b|acme.com": answer(email="bob@acme.com")},
                       ttl=None, emails={"ada|lovelace|acme.com": [addr],
                                         "bob|b|acme.com": ["bob@acme.com"]})
        store.put_many(P, E, {"ada|lovelace|acme": answer(emails=[who])}, ttl=None,
                       emails={"ada|lovelace|acme": [who]})
        store.claim("coldlead", V, [addr, "other@acme.com"], owner="x", ttl=60)
        store.journal_add(JobRecord(P, V, "open-job", [addr, "keep@acme.com"]))
        store.journal_add(JobRecord(P, V, "only-job", [addr]))
        store.journal_add(JobRecord(P, V, "done-job", [addr], state="done"))

        assert store.forget(f"  {who} ") == 4
        assert store.get_many(P, V, [addr, "keep@acme.com"]) == {"keep@acme.com": answer()}
        assert store.get_many("fullcontact", V, [addr]) == {}
        assert list(store.get_many(P, F, ["ada|lovelace|acme.com", "bob|b|acme.com"])) == [
            "bob|b|acme.com"]
        assert store.get_many(P, E, ["ada|lovelace|acme"]) == {}
        assert store.claim("coldlead", V, [addr], owner="y", ttl=60).mine == [addr]
        assert [(j.job_id, j.keys) for j in store.journal_open(P, V)] == [
            ("open-job", ["keep@acme.com"])]
        assert store.stats()["answers"] == 2
        assert store.forget(who) == 0
        assert store.forget("") == 0

    def test_clear(self, store: Store) -> None:
        store.put_many(P, V, {"a@x.com": answer()}, ttl=None)
        store.claim(P, V, ["b@x.com"], owner="x", ttl=60)
        store.journal_add(JobRecord(P, V, "j", ["b@x.com"]))
        store.record_pattern("x.com", "first")
        store.clear()
        stats = store.stats()
        assert (stats["answers"], stats["claims"], stats["open_jobs"], stats["patterns"]) == (
            0, 0, 0, 0)
        assert store.get_many(P, V, ["a@x.com"]) == {}
        assert store.claim(P, V, ["b@x.com"], owner="y", ttl=60).mine == ["b@x.com"]

    def test_stats(self, store: Store, clock: FakeClock) -> None:
        store.put_many(P, V, {"a@x.com": answer(), "b@x.com": answer()}, ttl=None)
        store.put_many(P, F, {"c|d|x.com": answer()}, ttl=None)
        store.put_many("coldlead", V, {"e@x.com": answer("unknown", retryable=True)}, ttl=None)
        store.put_many("coldlead", V, {"old@x.com": answer()}, ttl=1)
        store.claim(P, V, ["z@x.com"], owner="x", ttl=60)
        store.journal_add(JobRecord(P, V, "j", ["z@x.com"]))
        clock.advance(2)
        stats = store.stats()
        assert stats["location"] == store.location
        assert stats["answers"] == 4 and stats["expired"] == 1 and stats["retryable"] == 1
        assert stats["by_provider"] == {P: {V: 2, F: 1}, "coldlead": {V: 1}}
        assert (stats["claims"], stats["open_jobs"], stats["patterns"]) == (1, 1, 0)
        assert isinstance(stats["backend"], str) and isinstance(stats["size_bytes"], int)

    def test_thousand_key_batches(self, store: Store) -> None:
        keys = [f"user{i}@big.example" for i in range(1_000)]
        half = {key: answer(n=i) for i, key in enumerate(keys[:600])}
        store.put_many(P, V, half, ttl=None, emails={key: [key] for key in half})
        got = store.get_many(P, V, keys)
        assert got == half
        result = store.claim(P, V, list(reversed(keys)), owner="a", ttl=60)
        assert result.mine == list(reversed(keys[600:]))
        assert result.cached == half
        assert store.claim(P, V, keys, owner="b", ttl=60).elsewhere == keys[600:]
        store.extend(P, V, keys, owner="a", ttl=600)
        store.put_many(P, V, {key: answer() for key in keys[600:]}, ttl=None, owner="a")
        assert store.stats()["claims"] == 0 and store.stats()["answers"] == 1_000
        store.release(P, V, keys, owner="a")

    # -- the shared budget counter ---------------------------------------------------

    def test_budget_counter_stops_at_its_limit(self, store: Store) -> None:
        assert store.budget_add("job", 6, limit=10) == (6, 6)
        assert store.budget_add("job", 6, limit=10) == (4, 10)  # only what is left
        assert store.budget_add("job", 1, limit=10) == (0, 10)
        assert store.budget_add("job", -3, limit=10) == (-3, 7)  # reserved, not spent
        assert store.budget_add("job", 0, limit=10) == (0, 7)  # a read
        assert store.budget_add("job", -100, limit=10) == (-7, 0)  # never below zero
        assert store.budget_add("other", 2.5, limit=3) == (2.5, 2.5)
        assert store.budget_add("job", 0, limit=10) == (0, 0)  # counters are per name

    def test_budget_counter_is_durable_and_expires(
        self, store: Store, clock: FakeClock, tmp_path: Path
    ) -> None:
        store.budget_add("nightly", 40, limit=100, ttl=3600)
        again = self.make_store(tmp_path, clock)
        try:
            assert again.budget_add("nightly", 0, limit=100) == (0, 40)
            clock.advance(3601)
            assert again.budget_add("nightly", 0, limit=100) == (0, 0)
        finally:
            again.close()

    def test_budget_counter_grants_the_last_credits_once(self, store: Store) -> None:
        """Eight threads race for 50 credits, one at a time: exactly 50 are granted."""
        from concurrent.futures import ThreadPoolExecutor

        def take(_: int) -> float:
            return sum(store.budget_add("race", 1, limit=50)[0] for _ in range(10))

        with ThreadPoolExecutor(8) as pool:
            granted = list(pool.map(take, range(8)))
        assert sum(granted) == 50
        assert store.budget_add("race", 0, limit=50) == (0, 50)

    # -- one purchase for several operations ------------------------------------

    def test_claim_holders_and_take_over(self, store: Store, clock: FakeClock) -> None:
        store.claim(P, V, ["a@x.com", "b@x.com"], owner="gone", ttl=60)
        store.claim(P, V, ["c@x.com"], owner="alive", ttl=60)
        keys = ["a@x.com", "b@x.com", "c@x.com", "free@x.com"]
        assert store.claim_holders(P, V, keys) == {
            "a@x.com": "gone", "b@x.com": "gone", "c@x.com": "alive"}
        taken = store.take_over(P, V, keys, dead={"gone"}, owner="me", ttl=60)
        assert taken == ["a@x.com", "b@x.com"]
        assert store.claim_holders(P, V, ["a@x.com"]) == {"a@x.com": "me"}
        assert store.claim(P, V, keys, owner="other", ttl=60).mine == ["free@x.com"]
        assert store.take_over(P, V, keys, dead={"nobody"}, owner="me", ttl=60) == []
        assert store.take_over(P, V, keys, dead=set(), owner="me", ttl=60) == []
        clock.advance(61)  # lapsed claims have no holder
        assert store.claim_holders(P, V, keys) == {}
        # the taken claims are the new owner's: it releases them like its own
        store.claim(P, F, ["k"], owner="gone", ttl=60)
        assert store.take_over(P, F, ["k"], dead={"gone"}, owner="me", ttl=60) == ["k"]
        store.release(P, F, ["k"], owner="me")
        assert store.claim_holders(P, F, ["k"]) == {}

    def test_answers_found_by_an_address_they_list(self, store: Store, clock: FakeClock) -> None:
        store.put_many(P, E, {"ada|lovelace|acme.com": answer(email="ada@acme.com"),
                              "bob|b|acme.com": answer(email="bob@acme.com")}, ttl=10,
                       emails={"ada|lovelace|acme.com": ["ada@acme.com", "contact@acme.com"],
                               "bob|b|acme.com": ["contact@acme.com"]})  # fmt: skip
        store.put_many(P, F, {"ada|lovelace|acme.com": answer(email="ada@acme.com")}, ttl=None,
                       emails={"ada|lovelace|acme.com": ["ada@acme.com"]})
        found = store.get_mentioning(P, E, ["ADA@acme.com", "contact@acme.com", "no@acme.com"])
        assert found == {
            "ada@acme.com": {"ada|lovelace|acme.com": answer(email="ada@acme.com")},
            "contact@acme.com": {"ada|lovelace|acme.com": answer(email="ada@acme.com"),
                                 "bob|b|acme.com": answer(email="bob@acme.com")},
        }  # fmt: skip
        assert list(store.get_mentioning(P, F, ["ada@acme.com"])) == ["ada@acme.com"]
        assert store.get_mentioning("coldlead", E, ["ada@acme.com"]) == {}
        assert store.get_mentioning(P, E, []) == {}
        clock.advance(11)  # expired answers are not found either
        assert store.get_mentioning(P, E, ["ada@acme.com"]) == {}

    def test_aliases_learned_ambiguous_forgotten_cleared(self, store: Store) -> None:
        store.put_many(P, F, {"ada|l|acme.com": answer(email="ada@acme.com"),
                              "bob|b|acme.com": answer(email="bob@acme.com")}, ttl=None,
                       emails={"ada|l|acme.com": ["ada@acme.com"],
                               "bob|b|acme.com": ["bob@acme.com"]})  # fmt: skip
        store.add_aliases(P, F, {"ada|l|acme.com": {"acme": "acme.com"},
                                 "bob|b|acme.com": {"acme": "acme.com", "acme labs": "acme.com"}})
        assert store.aliases(["acme", "acme labs", "unknown"]) == {
            "acme": "acme.com", "acme labs": "acme.com"}
        # one name, two domains: ambiguous, so it matches neither
        store.add_aliases(P, E, {"zoe|z|acme.fr": {"acme": "acme.fr"}})
        assert store.aliases(["acme"]) == {}
        store.forget("zoe@acme.fr")  # not mentioned by the answer at that key: stays
        assert store.aliases(["acme"]) == {}
        # forgetting the answers that taught an alias erases it
        store.put_many(P, E, {"zoe|z|acme.fr": answer(email="zoe@acme.fr")}, ttl=None,
                       emails={"zoe|z|acme.fr": ["zoe@acme.fr"]})
        assert store.forget("zoe@acme.fr") == 1
        assert store.aliases(["acme"]) == {"acme": "acme.com"}
        store.forget("bob@acme.com")
        assert store.aliases(["acme", "acme labs"]) == {"acme": "acme.com"}
        store.clear()
        assert store.aliases(["acme"]) == {}
        assert store.aliases([]) == {}
