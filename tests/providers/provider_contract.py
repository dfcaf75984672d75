"""Behaviour every registered provider must show, written once and reused per provider.

A provider's test class subclasses :class:`ProviderContract`, names the provider and,
for a paid one, the simulator endpoint its verify batch goes to. Everything is counted
at the simulator: answers per contact, credits per distinct contact, bad cells free,
errors mapped to the package's exceptions, the key nowhere in a ``repr``, an error or an
answer. Adding a provider means adding its class here (see docs/providers.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import pytest

from contact_udfs import Client
from contact_udfs.config import Settings
from contact_udfs.exceptions import AuthenticationError, ProviderError, QuotaExceededError
from contact_udfs.models import RESULT_TYPES, Answer, Operation, Status
from contact_udfs.providers.base import Provider, Submission, Task
from contact_udfs.providers.registry import PROVIDER_NAMES, provider_class
from contact_udfs.sandbox import Sandbox

WRONG_KEY = "wrong-key-9f8e7d6c5b4a"
#: a few cells that must be answered locally, for nothing (the full list is tests/bad_cells.py)
BAD_CELLS = [None, "", "#N/A", "ada.lovelace", "ada@@acme.com", 42]
MAX_POLLS = 20


def settle(provider: Provider, operation: Operation, tasks: list[Task]
           ) -> tuple[Submission, dict[str, Answer]]:
    """Submit, then poll the job (if any) until it is answered."""
    sub = provider.submit(operation, tasks)
    answers = dict(sub.answers)
    if sub.job is not None:
        for _ in range(MAX_POLLS):
            got = provider.poll(sub.job)
            if got is not None:
                answers.update(got)
                break
    return sub, answers


def contract_tasks(sandbox: Sandbox, operation: Operation, n: int) -> list[Task]:
    """``n`` distinct normalized tasks of the shape the engine hands every provider."""
    people = sandbox.world.people()
    if operation is Operation.VERIFY:
        emails = [p["email"] for p in people[: n // 2]]
        emails += [f"someone{i}@gmail.com" for i in range(n - len(emails))]
        return [Task(e, {"email": e}) for e in emails]
    fields = ("first_name", "last_name", "domain", "company")
    return [Task(f"{operation.value}-{i}", {f: p[f] for f in fields})
            for i, p in enumerate(people[:n])]


class ProviderContract:
    """Base class of the per-provider test classes (not collected on its own)."""

    #: the registry name
    name: ClassVar[str]
    #: whether it is paid (has a key, talks to the simulator)
    paid: ClassVar[bool] = True
    #: the simulator endpoint a verify batch of several tasks is sent to
    verify_endpoint: ClassVar[str] = ""

    def build(self, make: Callable[..., Any], **kwargs: Any) -> Provider:
        return make(self.name, **kwargs)

    @pytest.fixture
    def provider(self, make: Callable[..., Any]) -> Iterator[Provider]:
        yield self.build(make)

    @pytest.fixture
    def client_settings(self, sandbox_settings: Settings) -> Settings:
        """User defaults, every provider at the simulator (no DNS for ``local``)."""
        local = replace(sandbox_settings.provider("local"), options={"check_dns": False})
        providers = {**sandbox_settings.provider_settings, "local": local}
        return sandbox_settings.with_(provider_settings=providers, poll_interval=0.0)

    # -- registration ----------------------------------------------------------

    def test_is_registered_and_follows_the_protocol(self, provider: Provider) -> None:
        assert self.name in PROVIDER_NAMES
        assert provider_class(self.name).name == provider.name == self.name
        assert isinstance(provider, Provider)
        assert provider.operations and provider.max_batch >= 1
        for op in Operation:
            expected = (1 if self.paid else 0) if op in provider.operations else 0
            assert provider.cost(op) == expected

    def test_refuses_what_it_cannot_do_before_sending(self, provider: Provider,
                                                      sandbox: Sandbox) -> None:
        for op in set(Operation) - provider.operations:
            assert provider.unsupported(op, {"email": "a@b.co"}) == "unsupported_operation"
            with pytest.raises(ValueError):
                provider.submit(op, [Task("k", {"email": "a@b.co"})])
        op = next(iter(provider.operations))
        too_many = contract_tasks(sandbox, Operation.VERIFY, 1) * (provider.max_batch + 1)
        if self.paid and Operation.VERIFY in provider.operations:  # a vendor's own limit
            with pytest.raises(ValueError, match=str(provider.max_batch)):
                provider.submit(Operation.VERIFY, too_many)
        assert provider.submit(op, []).answers == {}
        assert sandbox.requests("*") == 0

    # -- answers and credits ---------------------------------------------------

    def test_one_answer_per_contact_one_credit_each(self, provider: Provider,
                                                    sandbox: Sandbox) -> None:
        for op in sorted(provider.operations, key=lambda o: o.value):
            sandbox.reset_counters()
            tasks = contract_tasks(sandbox, op, 6)
            sub, answers = settle(provider, op, tasks)
            assert sub.error is None
            assert set(answers) == {t.key for t in tasks}, op
            for answer in answers.values():
                assert isinstance(answer, RESULT_TYPES[op]) and answer.provider == self.name
            if not self.paid:
                assert sandbox.requests("*") == 0
                continue
            assert set(sandbox.charges(self.name).values()) == {1}, op  # nobody billed twice
            # distinct real people and addresses: each is one credit, counted at the vendor
            assert sandbox.credits_spent(self.name) == len(tasks) * provider.cost(op), op

    def test_a_run_pays_once_per_distinct_contact_and_bad_cells_are_free(
        self, client_settings: Settings, sandbox: Sandbox, tmp_path: Path
    ) -> None:
        emails = [t.key for t in contract_tasks(sandbox, Operation.VERIFY, 6)]
        rows = [*emails, *(e.upper() for e in emails[:3]), f"  {emails[0]}  ", *BAD_CELLS]
        with Client(providers=[self.name], settings=client_settings,
                    cache=tmp_path / "contract.sqlite") as client:
            answers = client.verify_emails(rows)
            assert len(answers) == len(rows)
            for answer, cell in zip(answers[-len(BAD_CELLS):], BAD_CELLS, strict=True):
                assert answer.status is Status.INVALID, cell
                assert answer.provider == "validation", cell  # answered locally, never sent
            assert all(a.provider == self.name for a in answers[: len(emails)])
            spent = sandbox.credits_spent(self.name) if self.paid else 0
            assert spent == (len(emails) if self.paid else 0)
            sandbox.reset_counters()
            again = client.verify_emails(rows)  # the cache answers: nothing is sent
            assert [a.status for a in again] == [a.status for a in answers]
        assert sandbox.requests("*") == 0

    # -- errors ----------------------------------------------------------------

    def _paid_only(self) -> None:
        if not self.paid:
            pytest.skip(f"{self.name} has no key and makes no calls")

    def _verify_error(self, provider: Provider, sandbox: Sandbox) -> ProviderError:
        tasks = contract_tasks(sandbox, Operation.VERIFY, 2)
        try:
            sub = provider.submit(Operation.VERIFY, tasks)
        except ProviderError as exc:
            return exc
        assert isinstance(sub.error, ProviderError), sub
        return sub.error

    def test_a_wrong_key_is_an_authentication_error_and_costs_nothing(
        self, make: Callable[..., Any], sandbox: Sandbox
    ) -> None:
        self._paid_only()
        provider = self.build(make, key=WRONG_KEY)
        error = self._verify_error(provider, sandbox)
        assert isinstance(error, AuthenticationError) and error.provider == self.name
        for text in (str(error), repr(error), repr(provider), repr(provider.client)):
            assert WRONG_KEY not in text and sandbox.keys[self.name] not in text
        assert sandbox.credits_spent(self.name) == 0

    def test_no_credits_left_is_a_quota_error_and_costs_nothing(
        self, provider: Provider, sandbox: Sandbox
    ) -> None:
        self._paid_only()
        sandbox.set_balance(self.name, 0)
        error = self._verify_error(provider, sandbox)
        assert isinstance(error, QuotaExceededError)
        assert sandbox.keys[self.name] not in str(error)
        assert sandbox.credits_spent(self.name) == 0

    def test_a_lost_answer_is_retryable_unknown_never_paid_twice(
        self, provider: Provider, sandbox: Sandbox
    ) -> None:
        self._paid_only()
        sandbox.inject(self.verify_endpoint, "lost_response")
        tasks = contract_tasks(sandbox, Operation.VERIFY, 3)
        sub, answers = settle(provider, Operation.VERIFY, tasks)
        assert sub.error is None and set(answers) == {t.key for t in tasks}
        lost = [a for a in answers.values() if a.reason == "connection_lost"]
        assert lost and all(a.status is Status.UNKNOWN and a.retryable for a in lost)
        assert set(sandbox.charges(self.name).values()) == {1}  # billed once, not re-sent

    @pytest.mark.parametrize("fault, resent", [("503", True), ("500", False)])
    def test_a_5xx_on_a_paid_call_is_resent_only_when_the_vendor_did_not_act(
        self, provider: Provider, sandbox: Sandbox, fault: str, resent: bool
    ) -> None:
        self._paid_only()
        sandbox.inject(self.verify_endpoint, fault)
        tasks = contract_tasks(sandbox, Operation.VERIFY, 3)
        sub, answers = settle(provider, Operation.VERIFY, tasks)
        assert sub.error is None and set(answers) == {t.key for t in tasks}
        ambiguous = [a for a in answers.values() if a.reason == "provider_error"]
        if resent:  # 503: surely not acted on, so sent again and answered
            assert not ambiguous
            assert set(sandbox.charges(self.name).values()) == {1}
        else:  # 500: maybe acted on: stored as retryable unknown, never re-sent
            assert ambiguous and all(a.retryable for a in ambiguous)
            assert set(sandbox.charges(self.name).values()) <= {1}

    def test_answers_and_reprs_never_carry_the_key(self, provider: Provider,
                                                   sandbox: Sandbox) -> None:
        self._paid_only()
        _, answers = settle(provider, Operation.VERIFY, contract_tasks(sandbox,
                                                                       Operation.VERIFY, 3))
        key = sandbox.keys[self.name]
        assert answers and all(key not in a.to_json() for a in answers.values())
        assert key not in repr(provider) and key not in repr(provider.client)

