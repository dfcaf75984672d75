"""What the three paid providers share, so each vendor file is only its endpoints,
its payload <-> answer mapping and its error table.

The rules that must hold for every vendor live here once: keys come from settings
and nothing else, every answer is keyed by ``task.key`` and carries provider, time
and the vendor's own object (scrubbed of the key), a batch is never larger than the
vendor allows, and an ambiguous paid call becomes retryable ``unknown`` answers
rather than an exception (the engine stores them, so nobody pays twice by accident).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, TypeVar

from ..config import DEFAULT_BASE_URLS, Settings
from ..exceptions import ConfigurationError
from ..http import Ambiguous, Auth, ErrorRule, HttpClient, RetryPolicy
from ..models import RESULT_TYPES, Answer, Operation, Status, utcnow
from .base import JobRef, Submission, Task

__all__ = ["HttpProvider"]

P = TypeVar("P", bound="HttpProvider")

#: input fields echoed on a FoundEmail / Enrichment that could not be answered
_ECHO = {
    Operation.FIND: ("first_name", "last_name", "domain", "company"),
    Operation.ENRICH: ("first_name", "last_name", "full_name", "company", "website"),
}


class HttpProvider:
    """Base of the HTTP providers; subclasses set the class attributes and the mapping."""

    name: ClassVar[str]
    operations: ClassVar[frozenset[Operation]]
    max_batch: ClassVar[int]
    #: where the key goes (header, Bearer token or query parameter)
    auth: ClassVar[Auth]
    #: the vendor's documented HTTP statuses, over :data:`contact_udfs.http.client.DEFAULT_ERRORS`
    errors: ClassVar[Mapping[int, ErrorRule]] = {}

    def __init__(self, client: HttpClient, options: Mapping[str, Any] | None = None) -> None:
        self.client = client
        self.options: dict[str, Any] = dict(options or {})

    @classmethod
    def from_settings(cls: type[P], settings: Settings, *, policy: RetryPolicy | None = None) -> P:
        """Build the provider from resolved settings; a missing key is a ConfigurationError."""
        conf = settings.provider(cls.name)
        client = cls._client(settings, conf.base_url or DEFAULT_BASE_URLS[cls.name], policy)
        return cls(client, conf.options)

    @classmethod
    def _client(cls, settings: Settings, base_url: str, policy: RetryPolicy | None) -> HttpClient:
        """A session to ``base_url`` with this provider's key, pace and error table."""
        conf = settings.provider(cls.name)
        if not conf.api_key:
            raise ConfigurationError(
                f"{cls.name} has no API key: set {cls.name.upper()}_API_KEY "
                f"or api_key in the [{cls.name}] section of the config file"
            )
        return HttpClient(
            cls.name,
            base_url,
            auth=cls.auth,
            secret=conf.api_key,
            rate_limit=conf.rate_limit,
            timeout=settings.http_timeout,
            cache=settings.cache,
            errors=cls.errors,
            policy=policy,
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.client.base_url}>"

    def __enter__(self: P) -> P:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----- protocol defaults ---------------------------------------------------------
    def cost(self, operation: Operation) -> int:
        return 1 if operation in self.operations else 0

    def unsupported(self, operation: Operation, payload: Mapping[str, Any]) -> str | None:
        return None if operation in self.operations else "unsupported_operation"

    def poll(self, job: JobRef, *, final: bool = False) -> dict[str, Answer] | None:
        raise ValueError(f"{self.name} answers synchronously; it has no jobs to poll")

    def credits(self) -> int | None:
        return None

    def close(self) -> None:
        self.client.close()

    # ----- shared by the vendor classes ----------------------------------------------
    def _check(self, operation: Operation, tasks: Sequence[Task]) -> None:
        """Refuse what the vendor would refuse, before anything is sent."""
        if operation not in self.operations:
            raise ValueError(f"{self.name} cannot {operation}")
        if len(tasks) > self.max_batch:
            raise ValueError(
                f"{self.name} takes at most {self.max_batch} items per call, got {len(tasks)}"
            )

    def _answer(self, operation: Operation, key: str, raw: Any = None, **fields: Any) -> Answer:
        """An answer of the right type, stamped with provider and time, ``raw`` scrubbed."""
        if operation is Operation.VERIFY:
            fields.setdefault("email", key)
            fields.setdefault("address", key)
        return RESULT_TYPES[operation](
            provider=self.name,
            checked_at=utcnow(),
            raw=self.client.scrub(raw) if isinstance(raw, dict) else {},
            **fields,
        )

    def _unknown(self, operation: Operation, key: str, reason: str, *, retryable: bool,
                 payload: Mapping[str, Any] | None = None, raw: Any = None) -> Answer:
        echo = {f: payload[f] for f in _ECHO.get(operation, ()) if payload and payload.get(f)}
        return self._answer(operation, key, raw, status=Status.UNKNOWN, reason=reason,
                            retryable=retryable, **echo)

    def _ambiguous(self, operation: Operation, tasks: Sequence[Task], exc: Ambiguous) -> Submission:
        """The call may have been billed: store retryable unknowns instead of re-sending."""
        return Submission(answers={
            t.key: self._unknown(operation, t.key, exc.reason, retryable=True, payload=t.payload)
            for t in tasks
        })

    def _expired(self, job: JobRef) -> dict[str, Answer]:
        """The vendor no longer knows the job (404): its keys become retryable unknowns.

        Raising instead would leave the job in the journal to fail again on every
        resume; a retryable unknown is settled now and re-asked only on purpose.
        """
        return {k: self._unknown(job.operation, k, "job_expired", retryable=True)
                for k in job.keys}
