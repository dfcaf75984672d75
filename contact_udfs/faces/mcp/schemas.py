"""The JSON shapes a model sends and reads: tool inputs and structured outputs.

The output models are *built from* the result dataclasses of
:mod:`contact_udfs.models` rather than written out again, so an agent reads
exactly the fields a Python caller gets (``Verification``, ``FoundEmail``,
``Enrichment``) and a field added there appears here with no second edit.
Only the descriptions live here: they are what a model reads to use a field.

Inputs are typed loosely on purpose (any JSON value per item): a number, an
empty string or an object where an address belongs is not a reason to refuse
the whole call, it is one ``invalid`` answer, free, like a bad Excel cell.
"""

from __future__ import annotations

import dataclasses
import typing
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, create_model

from ...core.reports import Estimate, RunReport
from ...models import Answer, Enrichment, FoundEmail, Status, Verification

__all__ = [
    "ContactsArg",
    "CreditsResult",
    "EmailsArg",
    "EnrichmentOut",
    "EnrichResult",
    "EstimateResult",
    "FindResult",
    "FoundEmailOut",
    "ForgetResult",
    "ItemsArg",
    "OperationArg",
    "PeopleArg",
    "Report",
    "VerificationOut",
    "VerifyResult",
    "answer_model",
]

StatusName = Literal["deliverable", "risky", "undeliverable", "unknown", "invalid"]
assert set(typing.get_args(StatusName)) == {s.value for s in Status}

#: what a model is told about the fields it will read most
FIELD_HELP: dict[str, str] = {
    "status": "The verdict: deliverable (send), risky (read reason), undeliverable (do not "
    "send), unknown (nobody could tell yet), invalid (not usable input; answered free).",
    "reason": "Why, in a short code: accepted_email, possible_typo, accept_all, disposable, "
    "no_at, empty, number, pending, connection_lost...",
    "provider": "Who answered: a provider name, 'local' (offline checks) or 'validation' "
    "(input rejected before anything was asked).",
    "checked_at": "When the provider answered (ISO 8601, UTC).",
    "from_cache": "True when the answer was read from the cache: it cost nothing now.",
    "retryable": "An unknown that a later call with retry_unknown=true may settle (that "
    "call spends credits again).",
    "raw": "The provider's own fields, untouched.",
    "address": "The normalized address, used as the cache key.",
    "suggestion": "A likely typo fix, e.g. ada@gmail.com for ada@gmial.com.",
    "confidence": "0 to 1: how sure the provider is of the address found.",
    "candidates": "Other plausible addresses, best first.",
    "emails": "Every address known for the contact with its qualification.",
}

_VERIFY_EMAIL_HELP = "The address as it was given (trimmed)."
_FOUND_EMAIL_HELP = "The address found, or null when none was."
_ENRICH_EMAIL_HELP = "The best address known for the contact, or null."


def _json_type(hint: Any) -> Any:
    """A dataclass field's type as the JSON it is sent as (enums as names, times as text)."""
    if hint is Status:
        return StatusName
    if hint is datetime:
        return str
    args = typing.get_args(hint)
    if args and type(None) in args and datetime in args:
        return str | None
    return hint


def answer_model(cls: type[Answer], email_help: str) -> type[BaseModel]:
    """A pydantic model with every field of the result dataclass ``cls``, in its order."""
    hints = typing.get_type_hints(cls)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        help_text = email_help if f.name == "email" else FIELD_HELP.get(f.name)
        default: Any = (
            f.default if f.default is not dataclasses.MISSING
            else f.default_factory() if f.default_factory is not dataclasses.MISSING
            else None
        )  # fmt: skip
        if isinstance(default, Status):
            default = default.value
        fields[f.name] = (_json_type(hints[f.name]), Field(default=default, description=help_text))
    return create_model(
        f"{cls.__name__}Out", __config__=ConfigDict(extra="ignore"), __doc__=cls.__doc__, **fields
    )


VerificationOut = answer_model(Verification, _VERIFY_EMAIL_HELP)
FoundEmailOut = answer_model(FoundEmail, _FOUND_EMAIL_HELP)
EnrichmentOut = answer_model(Enrichment, _ENRICH_EMAIL_HELP)


def _report_model() -> type[BaseModel]:
    """:class:`RunReport`'s counts, plus the budget that bounded the call."""
    hints = typing.get_type_hints(RunReport)
    fields: dict[str, Any] = {
        f.name: (hints[f.name], Field(description=_REPORT_HELP.get(f.name)))
        for f in dataclasses.fields(RunReport)
    }
    fields["budget"] = (float | None, Field(description="The most credits this call could spend."))
    fields["summary"] = (str, Field(description="The counts above as one sentence."))
    return create_model("Report", __doc__="What the call did and what it spent.", **fields)


_REPORT_HELP = {
    "rows": "Items given.",
    "invalid": "Items rejected locally (free).",
    "distinct": "Distinct valid contacts among the rows (duplicates are asked once).",
    "from_cache": "Distinct contacts answered from the cache, without any request.",
    "sent": "Contacts sent per provider.",
    "credits": "Credits spent per provider by this call.",
    "pending": "Contacts whose provider job is still running: call again later to collect.",
    "retryable": "Unknown answers that retry_unknown=true may settle (spending again).",
}

Report = _report_model()


class VerifyResult(BaseModel):
    """One verdict per address, in input order, and what the call spent."""

    results: list[VerificationOut]  # type: ignore[valid-type]
    report: Report  # type: ignore[valid-type]


class FindResult(BaseModel):
    """One answer per person, in input order, and what the call spent."""

    results: list[FoundEmailOut]  # type: ignore[valid-type]
    report: Report  # type: ignore[valid-type]


class EnrichResult(BaseModel):
    """One enrichment per contact, in input order, and what the call spent."""

    results: list[EnrichmentOut]  # type: ignore[valid-type]
    report: Report  # type: ignore[valid-type]


class ProviderEstimateOut(BaseModel):
    """One waterfall step of an estimate."""

    cached: int = Field(description="Distinct contacts this provider already answered (free).")
    to_send: int = Field(description="Distinct contacts that would be sent to it.")
    credits: int = Field(description="Credits those would cost.")
    upper_bound: bool = Field(
        description="True for later waterfall steps: a ceiling, since earlier steps may settle "
        "some contacts first."
    )


class EstimateResult(BaseModel):
    """What a call would cost now, the cache taken into account. Nothing was sent."""

    operation: str
    rows: int
    invalid: int
    distinct: int
    total_credits: int = Field(description="Credits the call would spend at most.")
    providers: dict[str, ProviderEstimateOut]
    budget: float = Field(description="The most credits one call may spend on this server.")
    within_budget: bool = Field(description="False: the call would be refused as it stands.")

    @classmethod
    def of(cls, estimate: Estimate, budget: float) -> EstimateResult:
        data = estimate.to_dict()
        # a budget refuses a call on its first paid step; later steps are skipped, not refused
        return cls(**data, budget=budget, within_budget=estimate.first_step_credits <= budget)


class CreditsResult(BaseModel):
    """Credits left per paid provider in the waterfall (balance checks are free)."""

    credits_left: dict[str, int | None] = Field(
        description="Provider -> credits left; null where the provider does not say."
    )
    budget_per_call: float = Field(description="The most credits one tool call may spend.")
    max_items_per_call: int = Field(description="The most items one tool call may carry.")


class ForgetResult(BaseModel):
    """What was erased."""

    email: str
    forgotten: int = Field(description="Stored answers erased (every provider and operation).")


# -- inputs ---------------------------------------------------------------------

_PERSON_FIELDS = {
    name: {"type": "string"}
    for name in ("first_name", "last_name", "full_name", "domain", "company", "website")
}
#: what an enrichment is asked from (Dropcontact's input fields, and a domain for a website)
_CONTACT_FIELDS = _PERSON_FIELDS | {
    name: {"type": "string"}
    for name in ("email", "phone", "linkedin", "company_linkedin", "job", "country",
                 "num_siren", "siret")
}  # fmt: skip


def _records_schema(properties: dict[str, Any], description: str) -> dict[str, Any]:
    record = {"type": "object", "properties": properties, "additionalProperties": True}
    return {
        "anyOf": [{"type": "array", "items": record}, record],
        "description": description,
    }


EmailsArg = Annotated[
    Any,
    WithJsonSchema(
        {
            "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}],
            "description": "Email addresses to verify, one string each (a single string is one "
            "address). Duplicates and other spellings of one address are asked once. An item "
            "that is not an address (empty, a number, an object) is answered invalid, free.",
        }
    ),
]
PeopleArg = Annotated[
    Any,
    WithJsonSchema(
        _records_schema(
            _PERSON_FIELDS,
            "People to find an address for: first_name and last_name (or full_name) plus the "
            "company's domain, website or name. An item that is not such an object is "
            "answered invalid, free.",
        )
    ),
]
ContactsArg = Annotated[
    Any,
    WithJsonSchema(
        _records_schema(
            _CONTACT_FIELDS,
            "Contacts to enrich: at least a name with a company or website, or an email. "
            "An item that is not such an object is answered invalid, free.",
        )
    ),
]
ItemsArg = Annotated[
    Any,
    WithJsonSchema(
        {
            "anyOf": [{"type": "array"}, {"type": "string"}, {"type": "object"}],
            "description": "The items the verify, find or enrich call would get: addresses "
            "(strings) for verify, objects for find and enrich.",
        }
    ),
]
OperationArg = Literal["verify", "find", "enrich"]
