"""Dropcontact under each reading of what seeds 000/001 leave open (the sandbox's knobs):
forceResults echoes, unknown and failed jobs, the legacy host, submit answer shapes,
credits_left, custom_fields and the 15 kB limit. Counted at the simulator."""

from __future__ import annotations

import pytest
from provider_fixtures import DEFAULT_BALANCE

from contact_udfs.models import Operation, Status
from contact_udfs.providers.base import JobRef, Task
from contact_udfs.sandbox import get_world


def _verify_tasks(n: int, seed: int = 3) -> list[Task]:
    return [Task(e, {"email": e}) for e in get_world(0).sample_emails(n, seed=seed)]


@pytest.fixture
def readings(sandbox):
    yield sandbox.dropcontact_reading
    sandbox.dropcontact_reading(reset=True)


@pytest.mark.parametrize("echo", ["exact", "padded"])
def test_force_results_leaves_unprocessed_contacts_pending(make, sandbox, readings,
                                                           echo) -> None:
    readings(force_echo=echo)
    sandbox.set_job_polls_before_ready(50)
    dc = make("dropcontact")
    tasks = _verify_tasks(10, seed=5)
    job = dc.submit(Operation.VERIFY, tasks).job
    assert dc.poll(job) is None
    partial = dc.poll(job, final=True)
    assert set(partial) == {t.key for t in tasks[:5]}  # the simulator processes half
    assert all(a.reason != "not_returned" for a in partial.values())
    assert sandbox.requests("dropcontact.poll") == 3  # plain, then plain + forceResults


@pytest.mark.parametrize("echo", ["exact", "padded"])
def test_force_results_for_find_leaves_unprocessed_people_pending(make, sandbox, readings,
                                                                  echo) -> None:
    readings(force_echo=echo)
    sandbox.set_job_polls_before_ready(50)
    people = [p for p in get_world(0).people() if p["dropcontact_findable"]][:4]
    dc = make("dropcontact")
    tasks = [Task(f"k{i}", {"first_name": p["first_name"], "last_name": p["last_name"],
                            "domain": p["domain"]}) for i, p in enumerate(people)]
    job = dc.submit(Operation.FIND, tasks).job
    partial = dc.poll(job, final=True)
    assert set(partial) == {"k0", "k1"}
    assert [partial[k].email for k in ("k0", "k1")] == [p["email"] for p in people[:2]]


def test_final_poll_of_a_finished_job_answers_everything(make, sandbox) -> None:
    """Found-nothing contacts look like their input; a finished job still answers them."""
    sandbox.set_job_polls_before_ready(0)
    dc = make("dropcontact")
    task = Task("nobody", {"full_name": "Zzyzx Qwv", "website": "nobody-here.example"})
    job = dc.submit(Operation.FIND, [task]).job
    answers = dc.poll(job, final=True)
    assert (answers["nobody"].email, answers["nobody"].reason) == (None, "not_found")
    assert sandbox.requests("dropcontact.poll") == 1


def test_unknown_job_id_not_ready_reading_stays_pending(make, readings) -> None:
    readings(unknown_id="not_ready")
    dc = make("dropcontact")
    job = JobRef("dropcontact", Operation.VERIFY, "no-such-id", ("a@b.co",), {"api": "v1"})
    assert dc.poll(job) is None
    assert dc.poll(job, final=True) is None


@pytest.mark.parametrize("api", ["v1", "legacy"])
def test_unknown_job_id_404_reading_is_job_lost_at_once(make, sandbox, readings, api) -> None:
    readings(unknown_id="404")
    dc = make("dropcontact")
    job = JobRef("dropcontact", Operation.VERIFY, "no-such-id", ("a@b.co", "c@d.co"),
                 {"api": api})
    answers = dc.poll(job)
    assert {k: (a.status, a.reason, a.retryable) for k, a in answers.items()} == {
        k: (Status.UNKNOWN, "job_lost", True) for k in job.keys}
    assert sandbox.requests("dropcontact.legacy_poll" if api == "legacy"
                            else "dropcontact.poll") == 1


def test_a_failed_job_ends_with_provider_error(make, sandbox, readings) -> None:
    sandbox.set_job_polls_before_ready(50)
    dc = make("dropcontact")
    tasks = _verify_tasks(3, seed=8)
    job = dc.submit(Operation.VERIFY, tasks).job
    assert dc.poll(job) is None
    readings(job_error="An error occurred while processing your request")
    answers = dc.poll(job)
    assert {k: (a.status, a.reason, a.retryable) for k, a in answers.items()} == {
        t.key: (Status.UNKNOWN, "provider_error", True) for t in tasks}
    assert sandbox.credits_spent("dropcontact") == 3 and sandbox.requests("dropcontact.poll") == 2


SEED_000_FIELDS = {"email", "first_name", "last_name", "full_name", "phone", "company",
                   "website"}


@pytest.mark.parametrize("echo", [True, False])
def test_legacy_endpoint_on_its_own_host(make, sandbox, readings, echo) -> None:
    readings(legacy_echo=echo)
    dc = make("dropcontact", api="legacy")
    tasks = _verify_tasks(5, seed=6)
    job = dc.submit(Operation.VERIFY, tasks).job
    assert job.meta["api"] == "legacy"
    answers = dc.poll(job) or dc.poll(job)
    assert set(answers) == {t.key for t in tasks}
    assert all(a.email == k and a.status is not Status.UNKNOWN for k, a in answers.items())
    assert sandbox.requests("dropcontact.legacy_submit") == 1
    assert sandbox.requests("dropcontact.submit") == 0
    assert sandbox.credits_spent("dropcontact") == 5


@pytest.mark.parametrize("echo", [True, False])
def test_legacy_sends_only_seed_000_fields_and_matches_without_the_echo(
        make, sandbox, readings, echo) -> None:
    readings(legacy_echo=echo)
    people = [p for p in get_world(0).people() if p["dropcontact_findable"]][:3]
    dc = make("dropcontact", api="legacy")
    tasks = [Task(f"e{i}", {"first_name": p["first_name"], "last_name": p["last_name"],
                            "company": p["company"], "job": "CEO", "country": "FR",
                            "custom_fields": {"crm": str(i)}}) for i, p in enumerate(people)]
    job = dc.submit(Operation.ENRICH, tasks).job
    sent = sandbox.state.get_job(job.job_id).inputs
    assert all(set(c) <= SEED_000_FIELDS for c in sent) and len(sent) == 3
    enriched = dc.poll(job) or dc.poll(job)
    assert [enriched[t.key].email for t in tasks] == [p["email"] for p in people]
    assert all(enriched[t.key].facebook and enriched[t.key].twitter for t in tasks)


def test_legacy_answers_that_do_not_fit_are_not_guessed(make) -> None:
    dc = make("dropcontact")
    job = JobRef("dropcontact", Operation.VERIFY, "j", ("a@x.co", "b@x.co"), {"api": "legacy"})
    swapped = [{"email": [{"email": k, "qualification": "nominative@pro"}]}
               for k in reversed(job.keys)]
    answers = dc._match(job, swapped, forced=False)
    assert {a.reason for a in answers.values()} == {"provider_error"}
    assert all(a.retryable for a in answers.values())


def test_legacy_without_custom_fields_matches_by_position(make) -> None:
    dc = make("dropcontact")
    job = JobRef("dropcontact", Operation.VERIFY, "j", ("a@x.co", "b@x.co"), {"api": "legacy"})
    contacts = [{"email": [{"email": k, "qualification": "nominative@pro"}]} for k in job.keys]
    answers = dc._match(job, contacts, forced=False)
    assert {k: a.email for k, a in answers.items()} == {"a@x.co": "a@x.co", "b@x.co": "b@x.co"}


def test_base_urls_one_per_api_both_overridable(sandbox, sandbox_settings) -> None:
    from contact_udfs.config import load_settings
    from contact_udfs.providers.dropcontact import LEGACY_BASE_URL, DropcontactProvider

    defaults = load_settings(environ={"DROPCONTACT_API_KEY": "k"}, config_file="/dev/null")
    dc = DropcontactProvider.from_settings(defaults)
    try:
        assert (dc.client.base_url, dc.legacy_client.base_url) == (
            "https://api.dropcontact.com", LEGACY_BASE_URL)
        assert LEGACY_BASE_URL == "https://api.dropcontact.io"
    finally:
        dc.close()
    assert sandbox_settings.provider("dropcontact").options["legacy_base_url"] == \
        sandbox.dropcontact_legacy_url


@pytest.mark.parametrize("api", ["v1", "legacy"])
def test_credits_is_free(make, sandbox, api) -> None:
    sandbox.set_balance("dropcontact", 321)
    assert make("dropcontact", api=api).credits() == 321
    assert sandbox.credits_spent("dropcontact") == 0
    assert sandbox.requests("dropcontact.credits") == 1


@pytest.mark.parametrize("api", ["v1", "legacy"])
@pytest.mark.parametrize("shape", ["request_id", "pending"])
def test_every_submit_records_credits_left(make, sandbox, readings, api, shape) -> None:
    readings(submit_reply=shape)
    dc = make("dropcontact", api=api)
    dc.submit(Operation.VERIFY, _verify_tasks(4, seed=9))
    sandbox.reset_counters()
    sandbox.set_balance("dropcontact", sandbox.balance("dropcontact"))
    left = dc.credits()
    if shape == "pending" and api == "v1":  # that answer carries no credits_left
        assert left == sandbox.balance("dropcontact")
        assert sandbox.requests("dropcontact.credits") == 1
    else:
        assert left == DEFAULT_BALANCE - 4 == sandbox.balance("dropcontact")
        assert sandbox.requests("*") == 0


def test_a_callback_only_submit_is_journaled_under_our_reference(make, sandbox,
                                                                  readings) -> None:
    readings(submit_reply="callback_ack")
    dc = make("dropcontact", callback_url="http://127.0.0.1:9/hook")
    tasks = _verify_tasks(3, seed=10)
    job = dc.submit(Operation.VERIFY, tasks).job
    assert job.job_id == "ref:" + job.meta["batch"] and job.meta["callback_only"]
    pushed = sandbox.wait_webhooks(1)[0]["payload"]
    assert dc.poll(job) is None and dc.poll(job, final=True) is None
    assert sandbox.requests("*") == 1  # the submit: there is nothing to poll
    [delivery] = dc.split_delivery(pushed)
    assert delivery.also == (job.job_id,)
    assert set(dc.parse_delivery(job, delivery.result)) == {t.key for t in tasks}


def test_without_a_callback_an_id_less_answer_is_ambiguous(make, sandbox, readings) -> None:
    readings(submit_reply="callback_ack")  # the vendor only omits the id with a callback URL
    dc = make("dropcontact")
    sub = dc.submit(Operation.VERIFY, _verify_tasks(2, seed=10))
    assert sub.job is not None and sub.answers == {}


def test_users_custom_fields_survive_the_round_trip(make, sandbox) -> None:
    people = [p for p in get_world(0).people() if p["dropcontact_findable"]][:2]
    dc = make("dropcontact")
    tasks = [Task(f"e{i}", {"first_name": p["first_name"], "last_name": p["last_name"],
                            "company": p["company"],
                            "custom_fields": {"crm_id": f"42{i}", "owner": "me"}})
             for i, p in enumerate(people)]
    job = dc.submit(Operation.ENRICH, tasks).job
    sent = sandbox.state.get_job(job.job_id).inputs
    assert [c["custom_fields"]["crm_id"] for c in sent] == ["420", "421"]
    assert all({"cu_key", "cu_batch", "owner"} <= set(c["custom_fields"]) for c in sent)
    enriched = dc.poll(job) or dc.poll(job)
    assert [enriched[t.key].custom_fields for t in tasks] == [
        {"crm_id": "420", "owner": "me"}, {"crm_id": "421", "owner": "me"}]


def test_an_oversized_contact_is_answered_locally(make, sandbox) -> None:
    dc = make("dropcontact")
    tasks = [Task("big", {"first_name": "Ada", "last_name": "L", "company": "Acme",
                          "job": "x" * 15_500}),
             Task("ok", {"first_name": "Ada", "last_name": "Lovelace", "company": "Acme"})]
    sub = dc.submit(Operation.ENRICH, tasks)
    assert (sub.answers["big"].status, sub.answers["big"].reason) == (Status.INVALID,
                                                                      "contact_too_large")
    assert sub.job is not None and sub.job.keys == ("ok",)
    assert sandbox.credits_spent("dropcontact") == 1
    only = dc.submit(Operation.ENRICH, tasks[:1])
    assert only.job is None and sandbox.requests("dropcontact.submit") == 1


def test_a_refused_batch_keeps_the_local_answers(make, sandbox) -> None:
    from contact_udfs.exceptions import QuotaExceededError

    sandbox.set_balance("dropcontact", 0)
    dc = make("dropcontact")
    tasks = [Task("big", {"first_name": "Ada", "last_name": "L", "company": "Acme",
                          "job": "x" * 15_500}),
             Task("ok", {"first_name": "Ada", "last_name": "Lovelace", "company": "Acme"})]
    sub = dc.submit(Operation.ENRICH, tasks)
    assert isinstance(sub.error, QuotaExceededError) and sub.job is None
    assert set(sub.answers) == {"big"} and sandbox.credits_spent("dropcontact") == 0
    with pytest.raises(QuotaExceededError):
        dc.submit(Operation.ENRICH, tasks[1:])
