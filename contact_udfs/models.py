"""Result types shared by every provider and every face (Excel, pandas, CLI).

They are frozen dataclasses so a cached answer can be handed to many callers
without one of them changing it for the others; ``to_dict``/``from_dict`` make
a lossless JSON round trip because the store keeps JSON, never pickle.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any, ClassVar, TypeVar

__all__ = [
    "Answer",
    "Enrichment",
    "FoundEmail",
    "Operation",
    "Status",
    "Verification",
    "answer_from_dict",
    "best_answer",
    "utcnow",
]


class Status(str, Enum):
    """The unified verdict vocabulary every provider is mapped to."""

    DELIVERABLE = "deliverable"
    RISKY = "risky"
    UNDELIVERABLE = "undeliverable"
    UNKNOWN = "unknown"
    INVALID = "invalid"

    def __str__(self) -> str:
        return self.value


class Operation(str, Enum):
    """What is asked of a provider; part of every cache key."""

    VERIFY = "verify"
    FIND = "find"
    ENRICH = "enrich"

    def __str__(self) -> str:
        return self.value


def utcnow() -> datetime:
    """Timezone-aware now, so stored times compare across machines."""
    return datetime.now(timezone.utc).replace(microsecond=0)


_STATUS_RANK = {
    Status.DELIVERABLE: 4,
    Status.UNDELIVERABLE: 4,
    Status.INVALID: 4,
    Status.RISKY: 3,
    Status.UNKNOWN: 1,
}

A = TypeVar("A", bound="Answer")


@dataclass(frozen=True, kw_only=True)
class Answer:
    """Fields every answer carries: the verdict and where it came from."""

    kind: ClassVar[str] = "answer"

    status: Status = Status.UNKNOWN
    reason: str | None = None
    provider: str = ""
    checked_at: datetime | None = None
    from_cache: bool = False
    #: an ``unknown`` that a later ``retry_unknown=True`` call may settle
    retryable: bool = False
    #: the provider's own fields, untouched
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        _converted(self.__dict__)

    @property
    def settled(self) -> bool:
        """A confident answer: the waterfall stops here."""
        return self.status is not Status.UNKNOWN

    @property
    def rank(self) -> float:
        """How informative the answer is, to pick the best one of a waterfall."""
        return _STATUS_RANK[self.status] - (0.5 if self.retryable else 0.0)

    def to_dict(self) -> dict[str, Any]:
        """A fresh JSON-ready dict (never a view of the object)."""
        out: dict[str, Any] = {"kind": self.kind}
        state = self.__dict__
        for name in _field_names(type(self)):
            value = state[name]
            if value is None or (value.__class__ in _PLAIN and name != "raw"):
                pass
            elif isinstance(value, Enum):
                value = value.value
            elif isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, str):
                if name == "raw":  # kept as JSON text: decoding it is the fresh copy
                    value = json.loads(value) if value else {}
            elif isinstance(value, (dict, list)):
                value = json.loads(json.dumps(value, default=str)) if value else type(value)()
            out[name] = value
        return out

    def to_stored(self) -> dict[str, Any]:
        """What the store keeps: :meth:`to_dict` without the fields at their defaults.

        Why: a store write is most of a first run's cost once the provider is fast
        (the offline one answers in microseconds), and most fields of most answers are
        at their defaults. :meth:`from_dict` fills them back in, so the round trip is
        still lossless; ``kind`` and ``status`` are always written.
        """
        state = self.__dict__
        out = _stored_writer(type(self))(state)
        raw = state["raw"]
        if isinstance(raw, str):  # kept as JSON text
            if raw not in ("", "{}"):
                out["raw"] = json.loads(raw)
        elif raw:
            out["raw"] = json.loads(json.dumps(raw, default=str))
        return out

    @classmethod
    def from_values(cls: type[A], **values: Any) -> A:
        """An answer from values already of their field types (a :class:`Status`, a
        ``datetime``): what a provider making thousands of answers a second builds with.

        Why: the generated ``__init__`` of a frozen dataclass sets each field through
        ``object.__setattr__`` and converts what it is given; for the offline provider
        that was a sixth of a first run. Unknown names are refused as ``__init__``
        refuses them; nothing is converted, so only code holding typed values uses it.
        """
        names = _init_names(cls)
        if not values.keys() <= names:
            unknown = sorted(values.keys() - names)[0]
            raise TypeError(f"{cls.__name__} has no field {unknown!r}")
        return _built(cls, values)

    @classmethod
    def maker(cls: type[A], **common: Any) -> Callable[..., A]:
        """``make(**values)``, which is ``from_values(**common, **values)``: for a batch of
        answers sharing values (the provider, the time checked).

        Why: the defaults and the shared values are laid out once per batch, not merged
        again into each answer's arguments; the offline provider builds an answer every
        few microseconds. Names are checked as :meth:`from_values` checks them; the
        ``common`` values are shared by every answer made, so they must not change (a
        string, a ``datetime``).
        """
        names = _init_names(cls)
        if not common.keys() <= names:
            raise TypeError(f"{cls.__name__} has no field {sorted(common.keys() - names)[0]!r}")
        plain, factories = _defaults(cls)
        base = {**plain, **common}
        new = object.__new__

        def make(**values: Any) -> A:
            if not values.keys() <= names:
                unknown = sorted(values.keys() - names)[0]
                raise TypeError(f"{cls.__name__} has no field {unknown!r}")
            answer = new(cls)
            state = answer.__dict__
            state.update(base)
            for name, factory in factories:
                if name not in values and name not in common:
                    state[name] = factory()
            state.update(values)
            return answer

        return make

    @classmethod
    def from_dict(cls: type[A], data: dict[str, Any]) -> A:
        """Inverse of :meth:`to_dict`; unknown keys are ignored so old rows still load."""
        names = _init_names(cls)
        return cls(**{k: v for k, v in data.items() if k in names})

    @classmethod
    def from_stored(cls: type[A], data: Mapping[str, Any]) -> A:
        """An answer the store kept, read back: marked ``from_cache``, whatever it was saved as.

        One answer of :meth:`from_stored_many`; ``data`` is not changed, nor kept.
        """
        return cls.from_stored_many((data,))[0]

    @classmethod
    def from_stored_many(cls: type[A], datas: Iterable[Mapping[str, Any]]) -> list[A]:
        """:meth:`from_stored` of each stored dict, in order.

        Built as :meth:`from_values` builds (the state set at once), then converted as
        ``__post_init__`` converts, not through the frozen ``__init__`` that sets each
        field on its own: a cached run of a million contacts reads a million answers,
        so the recipe is looked up once per batch and each state is one dict display.
        Unknown keys (``kind``, fields of older versions) are ignored, as
        :meth:`from_dict` does; whether there are any is told by the state's size (it
        holds each field name once), not by a set comparison per answer.
        """
        base, factories, names = _stored_recipe(cls)
        size = len(base) + len(factories)  # every field name: a default or a factory
        convert = _converted
        make = object.__new__
        out: list[A] = []
        add = out.append
        for data in datas:
            # (``|`` is a third faster than ``{**base, **data}``, and takes dicts only)
            state = base | data if data.__class__ is dict else {**base, **data}
            for name, factory in factories:
                if name not in data:
                    state[name] = factory()
            if len(state) != size:  # ``kind``, or names this version does not know
                state.pop("kind", None)
                if len(state) != size:
                    state = {k: v for k, v in state.items() if k in names}
            state["from_cache"] = True
            convert(state)
            new = make(cls)
            _set_state(new, "__dict__", state)
            add(new)
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    def replace(self: A, **changes: Any) -> A:
        """A copy with ``changes``; ``raw`` is carried over as it is (not decoded)."""
        cls = type(self)
        names = _init_names(cls)
        unknown = [name for name in changes if name not in names]
        if unknown:
            raise TypeError(f"{cls.__name__} has no field {unknown[0]!r}")
        new = object.__new__(cls)
        state = new.__dict__
        state.update(self.__dict__)
        state.update(changes)
        if "status" in changes or "checked_at" in changes:
            new.__post_init__()
        return new


def _raw_get(self: Answer) -> dict[str, Any]:
    value = self.__dict__["raw"]
    if isinstance(value, str):  # kept as JSON text until someone reads it
        value = json.loads(value) if value else {}
        self.__dict__["raw"] = value
    return value  # type: ignore[no-any-return]


def _raw_set(self: Answer, value: dict[str, Any] | str) -> None:
    self.__dict__["raw"] = value


# ``raw`` may be given as JSON text (``from_dict`` of a stored answer whose raw was kept
# as text); it is decoded on first read. The frozen dataclass still sets it once in
# ``__init__`` (through this setter); nothing else writes it.
Answer.raw = property(_raw_get, _raw_set, doc="the provider's own fields, untouched")  # type: ignore[assignment,method-assign]

_INIT_NAMES: dict[type, frozenset[str]] = {}
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
#: field values ``to_dict`` passes through as they are
_PLAIN = frozenset({bool, int, float, str})


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


_DEFAULTS: dict[type, tuple[dict[str, Any], tuple[tuple[str, Any], ...]]] = {}


def _defaults(cls: type) -> tuple[dict[str, Any], tuple[tuple[str, Any], ...]]:
    """(plain defaults, (name, factory) of the others) of ``cls``'s fields; ``raw``'s
    default is empty JSON text, decoded into a dict of its own when read."""
    got = _DEFAULTS.get(cls)
    if got is None:
        plain: dict[str, Any] = {}
        factories = []
        for f in dataclasses.fields(cls):
            if f.name == "raw":
                plain["raw"] = ""
            elif f.default_factory is not dataclasses.MISSING:
                factories.append((f.name, f.default_factory))
            elif f.default is not dataclasses.MISSING:
                plain[f.name] = f.default
        got = _DEFAULTS[cls] = (plain, tuple(factories))
    return got


def _built(cls: type[A], values: Mapping[str, Any]) -> A:
    """A ``cls`` whose state is its defaults, then ``values`` (field names only), set at
    once: no ``__init__``, no conversion."""
    new = object.__new__(cls)
    state = new.__dict__
    plain, factories = _defaults(cls)
    state.update(plain)
    for name, factory in factories:
        if name not in values:
            state[name] = factory()
    state.update(values)
    return new


_RECIPES: dict[type, tuple[dict[str, Any], tuple[tuple[str, Any], ...], frozenset[str]]] = {}
#: each status by its stored text (``Status(text)`` is an enum call: a sixth of a read)
_STATUSES: dict[str, Status] = {s.value: s for s in Status}
#: the last stored time read and its value: answers saved together share one ``checked_at``
_LAST_PARSED: tuple[str, datetime | None] = ("", None)


def _stored_recipe(cls: type) -> tuple[dict[str, Any], tuple[tuple[str, Any], ...], frozenset[str]]:
    """(plain defaults marked from the cache, factories, field names) of ``cls``: what
    :meth:`Answer.from_stored_many` needs, worked out once."""
    got = _RECIPES.get(cls)
    if got is None:
        plain, factories = _defaults(cls)
        got = _RECIPES[cls] = ({**plain, "from_cache": True}, factories, _init_names(cls))
    return got


_set_state = object.__setattr__  # a frozen answer's state is set once, around its __setattr__


def _converted(state: dict[str, Any]) -> None:
    """An answer's ``status`` and ``checked_at`` given as text become their types, in
    place: what ``__init__`` and :meth:`Answer.from_stored` both do."""
    status = state["status"]
    if status.__class__ is not Status:
        state["status"] = (_STATUSES.get(status) if isinstance(status, str) else None) or \
            Status(status)  # fmt: skip
    checked = state["checked_at"]
    if isinstance(checked, str):
        state["checked_at"] = _parsed_time(checked)


def _parsed_time(text: str) -> datetime:
    global _LAST_PARSED
    last, value = _LAST_PARSED
    if text != last or value is None:
        value = datetime.fromisoformat(text)
        _LAST_PARSED = (text, value)
    return value


_STORED_FIELDS: dict[type, tuple[tuple[str, Any], ...]] = {}
#: the last time written and its text: a batch of answers shares one ``checked_at``
_LAST_ISO: tuple[datetime | None, str] = (None, "")


def _isoformat(value: datetime) -> str:
    global _LAST_ISO
    last, text = _LAST_ISO
    if value is not last:
        text = value.isoformat()
        _LAST_ISO = (value, text)
    return text


_SKIP = object()
_WRITERS: dict[type, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def _stored_value(value: Any, default: Any) -> Any:
    """What :meth:`Answer.to_stored` keeps of a field that is not a plain value at its
    default: JSON-ready, or ``_SKIP`` for an empty list or dict at its default."""
    if isinstance(value, datetime):
        return _isoformat(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (dict, list)):
        if not value and value == default:
            return _SKIP
        return json.loads(json.dumps(value, default=str))
    return value


def _stored_writer(cls: type) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The fields part of :meth:`Answer.to_stored` for ``cls``: a function written out
    once per class, one test per field, as ``dataclasses`` writes ``__init__``.

    Why: the loop over the fields (their names, defaults and kinds looked up anew for
    each answer) was a tenth of a first run with the offline provider. Per field: left
    out when it *is* its default, or a plain value (bool, int, float, str) of the
    default's own kind equal to it; otherwise kept, plain values as they are, others
    through :func:`_stored_value`.
    """
    writer = _WRITERS.get(cls)
    if writer is not None:
        return writer
    scope: dict[str, Any] = {"PLAIN": _PLAIN, "other": _stored_value, "SKIP": _SKIP}
    lines = ["def write(s):", f"    out = {{'kind': {cls.kind!r}, 'status': s['status'].value}}"]  # type: ignore[attr-defined]
    for i, (name, default) in enumerate(_stored_fields(cls)):
        scope[f"D{i}"], scope[f"C{i}"] = default, default.__class__
        lines += [
            f"    v = s[{name!r}]",
            f"    if v is not D{i}:",
            "        c = v.__class__",
            "        if c in PLAIN:",
            f"            if not (c is C{i} and v == D{i}):",
            f"                out[{name!r}] = v",
            f"        elif (v := other(v, D{i})) is not SKIP:",
            f"            out[{name!r}] = v",
        ]
    lines.append("    return out")
    exec("\n".join(lines), scope)  # noqa: S102 - our own field names, no input
    writer = _WRITERS[cls] = scope["write"]
    return writer


def _stored_fields(cls: type) -> tuple[tuple[str, Any], ...]:
    """(name, default) of every field :meth:`Answer.to_stored` may leave out at its default
    (``status`` is always written, ``raw`` is looked at apart; a factory default is read as
    the empty value it makes)."""
    fields = _STORED_FIELDS.get(cls)
    if fields is None:
        plain, factories = _defaults(cls)
        made = [(name, factory()) for name, factory in factories]
        fields = _STORED_FIELDS[cls] = tuple(
            (name, default)
            for name, default in [*plain.items(), *made]
            if name not in ("status", "raw")
        )
    return fields


def _init_names(cls: type) -> frozenset[str]:
    names = _INIT_NAMES.get(cls)
    if names is None:
        names = _INIT_NAMES[cls] = frozenset(f.name for f in dataclasses.fields(cls) if f.init)
    return names


@dataclass(frozen=True, kw_only=True)
class Verification(Answer):
    """The verdict on one email address."""

    kind: ClassVar[str] = "verification"

    #: the address as the user gave it (for display)
    email: str = ""
    #: normalized address the verdict is about (a provider's correction is ``suggestion``)
    address: str | None = None
    syntax_valid: bool | None = None
    catch_all: bool | None = None
    disposable: bool | None = None
    role: bool | None = None
    free: bool | None = None
    #: a typo fix such as ``ada@gmail.com`` for ``ada@gmial.com`` (FullContact's auto-correct)
    suggestion: str | None = None

    @property
    def settled(self) -> bool:
        """A verdict on the mailbox. ``risky`` for reason ``role`` (Dropcontact
        ``generic``: a role address, the mailbox itself not verified) is not one, so a
        waterfall asks the next provider; with none left it is the answer."""
        # the base rule spelled out, not through ``super()``: a cached run asks it of
        # every answer it reads
        status = self.status
        return status is not Status.UNKNOWN and not (
            status is Status.RISKY and self.reason == "role"
        )


@dataclass(frozen=True, kw_only=True)
class FoundEmail(Answer):
    """The address found for a person at a company."""

    kind: ClassVar[str] = "found_email"

    email: str | None = None
    #: 0-1, how sure the provider is
    confidence: float = 0.0
    #: other plausible addresses, best first
    candidates: list[str] = field(default_factory=list)
    first_name: str | None = None
    last_name: str | None = None
    domain: str | None = None
    company: str | None = None

    @property
    def settled(self) -> bool:
        return self.email is not None and self.status in (Status.DELIVERABLE, Status.RISKY)

    @property
    def rank(self) -> float:
        return super().rank + (2.0 if self.email else 0.0) + self.confidence / 10


#: Dropcontact's contact fields, in the order the vendor documents them
ENRICHMENT_FIELDS: tuple[str, ...] = (
    "civility", "first_name", "last_name", "full_name", "email", "qualification",
    "phone", "mobile_phone", "company", "website", "linkedin", "job", "job_level",
    "job_function", "company_linkedin", "nb_employees", "country", "siren", "siret",
    "siret_address", "siret_zip", "siret_city", "vat", "naf5_code", "naf5_des",
    "company_turnover", "company_results", "facebook", "twitter",
)  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class Enrichment(Answer):
    """Everything Dropcontact knows about a contact; ``email`` is the best address."""

    kind: ClassVar[str] = "enrichment"

    civility: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    full_name: str | None = None
    email: str | None = None
    qualification: str | None = None
    #: every address with its qualification, as the provider lists them
    emails: list[dict[str, str]] = field(default_factory=list)
    phone: str | None = None
    mobile_phone: str | None = None
    company: str | None = None
    website: str | None = None
    linkedin: str | None = None
    job: str | None = None
    job_level: str | None = None
    job_function: str | None = None
    company_linkedin: str | None = None
    nb_employees: str | None = None
    country: str | None = None
    siren: str | None = None
    siret: str | None = None
    siret_address: str | None = None
    siret_zip: str | None = None
    siret_city: str | None = None
    vat: str | None = None
    naf5_code: str | None = None
    naf5_des: str | None = None
    company_turnover: str | None = None
    company_results: str | None = None
    #: only the legacy ``/batch`` answer lists these (seed 000)
    facebook: str | None = None
    twitter: str | None = None
    custom_fields: dict[str, Any] = field(default_factory=dict)

    @property
    def settled(self) -> bool:
        return self.status is not Status.UNKNOWN or self.email is not None


_KINDS: dict[str, type[Answer]] = {cls.kind: cls for cls in (Verification, FoundEmail, Enrichment)}

RESULT_TYPES: dict[Operation, type[Answer]] = {
    Operation.VERIFY: Verification,
    Operation.FIND: FoundEmail,
    Operation.ENRICH: Enrichment,
}


def answer_from_dict(data: dict[str, Any]) -> Answer:
    """Rebuild whichever answer type ``data`` was made from."""
    try:
        cls = _KINDS[data["kind"]]
    except KeyError as exc:
        raise ValueError(f"not a stored answer: kind={data.get('kind')!r}") from exc
    return cls.from_dict(data)


def best_answer(answers: list[A]) -> A:
    """The most informative answer of a waterfall; ties go to the earliest provider."""
    best = answers[0]
    for answer in answers[1:]:
        if answer.rank > best.rank:
            best = answer
    return best
