"""Excel formulas (xlwings UDFs) for verifying, finding and enriching contacts.

``=VERIFY_EMAIL(A2:A500)``, ``=FIND_EMAIL(B2, C2, D2)``, ``=ENRICH_CONTACT(B2, C2, D2, "phone")``,
``=CONTACT_CREDITS()`` and ``=CONTACT_ESTIMATE(A2:A500)``, category "Contact UDFs".
The Python callables carry the same names, so scripts and tests call them directly.

Cell rules, the same for every formula (a range gives one answer row per input row):

* an empty input cell gives an empty answer (``""``), so a pre-sized range looks clean;
* a non-empty bad cell is answered in its own cell at no cost: ``VERIFY_EMAIL`` says
  ``invalid`` (field ``"reason"`` says why), ``FIND_EMAIL``/``ENRICH_CONTACT`` say
  ``#ERROR: <why>``; an Excel error value gives ``#ERROR: Excel error value #N/A``;
* a provider job still running shows ``PENDING (n/N)``; recalculate later to collect it;
* a key, quota, budget or configuration problem shows one message such as
  ``#ERROR: dropcontact: ...``; nothing is ever raised into Excel and keys never show.

How calls are batched and how long they wait is in :mod:`contact_udfs.faces.excel.batching`;
how a recalculation of cells already answered skips all of it, in
:mod:`contact_udfs.faces.excel.memo`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from enum import Enum
from typing import Any, TypeVar

from ...api import default_client
from ...core.bulk import paused_gc
from ...core.columns import COLUMNS
from ...core.items import Item, normalize_item
from ...identity import domain_from, error_message, normalize_email
from ...models import RESULT_TYPES, Answer, Operation, Status
from . import batching as batch
from .memo import Kept, Memo, cell_key, engine_key, memo_for, record_key, shown

try:
    import xlwings as xw
except ImportError:  # the [excel] extra is not installed: the plain functions still work
    xw = None

__all__ = [
    "CATEGORY",
    "CONTACT_CREDITS",
    "CONTACT_ESTIMATE",
    "ENRICH_CONTACT",
    "FIND_EMAIL",
    "VERIFY_EMAIL",
]

CATEGORY = "Contact UDFs"
_F = TypeVar("_F", bound=Callable[..., Any])
Grid = list[list[Any]]

_DEFAULT_FIELD = {Operation.VERIFY: "status", Operation.FIND: "email", Operation.ENRICH: "email"}
_ALIASES = {"checked": "checked_at", "date": "checked_at", "checked_date": "checked_at",
            "catchall": "catch_all", "accept_all": "catch_all", "cached": "from_cache"}  # fmt: skip
_EMPTY_CODES = frozenset({"empty", "blank", "missing"})
_PASS_THROUGH = re.compile(r"(?:#ERROR: .*|PENDING \(\d+/\d+\))", re.DOTALL)
#: what a pass-through cell can start with, once blanks are trimmed (a cheap first test)
_PASS_START = frozenset("#P")
_NOT_TEXT = {"number": "a number", "boolean": "TRUE/FALSE", "date": "a date"}


# -- xlwings decorators, or plain functions without xlwings --------------------------------------


def _func(f: _F) -> _F:
    # not volatile and call_in_wizard left at its default, on purpose
    return xw.func(category=CATEGORY)(f) if xw is not None else f


def _arg(name: str, **options: Any) -> Callable[[_F], _F]:
    if xw is None:
        return lambda f: f
    return xw.arg(name, **options)


def _range_arg(name: str, doc: str) -> Callable[[_F], _F]:
    # ndim=2: a range arrives as rows even when it is one cell; err_to_str: #N/A stays visible
    return _arg(name, ndim=2, err_to_str=True, doc=doc)


class _Refused(Exception):
    """A formula-level mistake (unknown field, wrong shape) shown as one #ERROR cell."""


class _Text(str):
    """A cell answered without asking anyone: ``""``, ``#ERROR: ...`` or ``PENDING (n/N)``."""


# -- input cells --------------------------------------------------------------------------------


def _grid(value: Any) -> Grid:
    """Rows of cells from a range (2-D), a column given as a flat list, or one value.

    Rows that are lists already are used as they are, not copied: the formulas only
    read them."""
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [
            row if type(row) is list else list(row) if isinstance(row, (list, tuple)) else [row]
            for row in value
        ]
    return [[value]]


def _error(text: str) -> _Text:
    return _Text(text if text.startswith("#ERROR: ") else f"#ERROR: {text}")


def _screen(value: Any) -> _Text | None:
    """``""`` for an empty cell, a text to show for an error or pending cell, None to ask."""
    screened = _screen_email(value)
    return screened if isinstance(screened, _Text) else None


def _screen_email(value: Any) -> _Text | Item:
    """An address cell screened and normalized in one go: the text to show, or the
    engine's item (handed on as it is, so the cell is not normalized again)."""
    if (
        isinstance(value, str)
        and (value[:1] in _PASS_START or value[:1].isspace())
        and _PASS_THROUGH.fullmatch(value.strip())
    ):
        return _Text(value.strip())  # another formula's #ERROR or PENDING flows through
    item = normalize_item(Operation.VERIFY, value)
    if item.error is not None:
        if item.error in _EMPTY_CODES and not item.display:
            return _Text("")
        if item.error == "excel_error":
            return _error(error_message("excel_error", item.display) or "Excel error value")
    return item


def _record(values: list[Any], operation: Operation) -> dict[str, Any] | _Text:
    """A find/enrich record from (first name, last name, company or domain) cells,
    or the text to show instead."""
    screened = [_screen(v) for v in values]
    if all(s == "" for s in screened):
        return _Text("")
    for text in screened:
        if text:
            return text
    labels = ("first name", "last name", "company or domain")
    for value, text, label in zip(values, screened, labels, strict=True):
        if text is None and not isinstance(value, str):
            what = _NOT_TEXT.get(normalize_email(value).error or "")
            return _error(f"{label} is {what}, not text" if what else f"{label} is not text")
    first, last, where = (v if s is None else None for v, s in zip(values, screened, strict=True))
    record: dict[str, Any] = {"first_name": first, "last_name": last}
    if where is not None:
        domain_field = "domain" if operation is Operation.FIND else "website"
        record[domain_field if domain_from(where) else "company"] = where
    return record


def _parallel(
    columns: list[list[Any]], operation: Operation
) -> list[tuple[list[Any] | None, dict[str, Any] | _Text]]:
    """(the row's cells, its record) from parallel ranges; a single cell applies to every
    row, and a row some ranges are too short for has no cells."""
    n = max(len(c) for c in columns)
    rows: list[tuple[list[Any] | None, dict[str, Any] | _Text]] = []
    for i in range(n):
        if any(len(c) != 1 and i >= len(c) for c in columns):
            rows.append((None, _error("ranges differ in length")))
            continue
        values = [c[0] if len(c) == 1 else c[i] for c in columns]
        rows.append((values, _record(values, operation)))
    return rows


def _flat(value: Any) -> list[Any]:
    return [cell for row in _grid(value) for cell in row]


# -- answers as cells ---------------------------------------------------------------------------


def _fields(operation: Operation) -> set[str]:
    names = {f.name for f in dataclasses.fields(RESULT_TYPES[operation])}
    return (names | set(COLUMNS[operation])) - {"raw", "custom_fields"}


def _columns(operation: Operation, field: Any) -> tuple[str, ...]:
    if field is None or (isinstance(field, str) and not field.strip()):
        return (_DEFAULT_FIELD[operation],)
    if not isinstance(field, str):
        raise _Refused(f'field must be text such as "{_DEFAULT_FIELD[operation]}" or "all"')
    name = field.strip().lower().replace(" ", "_")
    name = _ALIASES.get(name, name)
    if name == "all":
        return COLUMNS[operation]
    if name in _fields(operation):
        return (name,)
    raise _Refused(f'unknown field "{field}"; use {", ".join(COLUMNS[operation])} or all')


def _value(answer: Answer, name: str) -> Any:
    value = getattr(answer, name, None)
    if value is None:
        return ""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value.strftime("%Y-%m-%d %H:%M")
    if name == "emails":
        return "; ".join(f"{e.get('email')} ({e.get('qualification')})" for e in value)
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}={v}" for k, v in value.items())
    return value


def _padded(text: str, width: int) -> list[Any]:
    return [text] + [""] * (width - 1)


def _render(
    operation: Operation, outcome: batch.Outcome | _Text, cols: tuple[str, ...]
) -> list[Any]:
    """The answer cells of one input item for the chosen columns."""
    if isinstance(outcome, _Text):
        return _padded(outcome, len(cols))
    if outcome.error is not None:
        return _padded(_error(outcome.error), len(cols))
    if outcome.pending is not None:
        done, total = outcome.pending
        return _padded(f"PENDING ({done}/{total})", len(cols))
    answer = outcome.answer
    assert answer is not None
    if answer.status is Status.INVALID and answer.provider == "validation":
        why = error_message(answer.reason or "syntax")
        if operation is not Operation.VERIFY and cols[0] not in ("status", "reason"):
            return _padded(_error(why), len(cols))
        return [why if c == "reason" else _value(answer, c) for c in cols]
    return [_value(answer, c) for c in cols]


def _ask(operation: Operation, todo: list[Any]) -> list[batch.Outcome]:
    """Single-cell calls are gathered with their neighbours; ranges are one call."""
    if len(todo) == 1:
        return [batch.answer_one(operation, todo[0])]
    return batch.answer_many(operation, todo)


def _answers(operation: Operation, prepared: list[Any]) -> list[batch.Outcome | _Text]:
    """Outcomes for prepared items; :class:`_Text` entries stay as they are."""
    todo = [i for i, item in enumerate(prepared) if not isinstance(item, _Text)]
    got = _ask(operation, [prepared[i] for i in todo]) if todo else []
    out: list[batch.Outcome | _Text] = list(prepared)
    for i, outcome in zip(todo, got, strict=True):
        out[i] = outcome
    return out


def _memo(operation: Operation, cols: tuple[str, ...]) -> Memo | None:
    """The formula's memo of answered cells; None without one (or when the client cannot
    be built: the full path then shows why, cell by cell, as it always did)."""
    try:
        return memo_for(default_client(), operation, cols)
    except Exception:
        return None


def _kept(item: Any, outcome: batch.Outcome | _Text) -> tuple[bool, Answer | None]:
    """(whether the memo may look at this cell, its answer): a cell answered without
    anyone asked has no answer; a pending or failed one is never kept."""
    if isinstance(item, _Text):
        return True, None
    if isinstance(outcome, batch.Outcome) and outcome.answer is not None:
        return outcome.pending is None and outcome.error is None, outcome.answer
    return False, None


def _verified(
    flat: list[Any], hits: list[Kept | None], cols: tuple[str, ...]
) -> tuple[list[Sequence[Any]], list[tuple[Any, Any, Any, list[Any]]]]:
    """The cells of each address cell, and what the memo may keep of them: cells the memo
    holds (``hits``) as kept, the others through the engine in one call, as if the whole
    range were in it (``PENDING (n/N)`` counts it all, and a failure of the call is told
    in every cell the engine would have answered)."""
    op = Operation.VERIFY
    todo = [i for i, hit in enumerate(hits) if hit is None]
    items = {i: _screen_email(flat[i]) for i in todo}
    outcomes: dict[int, batch.Outcome | _Text] = {
        i: item for i, item in items.items() if isinstance(item, _Text)
    }
    asked = [i for i in todo if i not in outcomes]
    answered = [hit for hit in hits if hit is not None and engine_key(hit) is not None]
    failed: batch.Outcome | None = None
    if asked:
        try:
            got = _ask_rest([items[i] for i in asked], answered)
        except Exception as exc:
            failed = batch.Outcome(error=batch.error_text(exc))
            got = [failed] * len(asked)
        outcomes.update(zip(asked, got, strict=True))
    rendered: list[Sequence[Any]] = []
    kept: list[tuple[Any, Any, Any, list[Any]]] = []
    for i, (cell, hit) in enumerate(zip(flat, hits, strict=True)):
        if hit is not None:
            if failed is not None and engine_key(hit) is not None:  # it would be told
                rendered.append(_render(op, failed, cols))
            else:
                rendered.append(shown(hit))
            continue
        outcome = outcomes[i]
        cells = _render(op, outcome, cols)
        rendered.append(cells)
        may, answer = _kept(items[i], outcome)
        if may:
            kept.append((cell_key(cell), items[i], answer, cells))
    return rendered, kept


def _ask_rest(todo: list[Any], answered: list[Kept]) -> list[batch.Outcome]:
    """Outcomes for the cells the memo does not hold, ``answered`` being those it does
    that the engine had answered: a range is one call, a lone cell a single-cell one."""
    if len(todo) + len(answered) == 1:
        return [batch.answer_one(Operation.VERIFY, todo[0])]
    mine = {normalize_item(Operation.VERIFY, item).key for item in todo}
    elsewhere = len({engine_key(hit) for hit in answered} - mine - {""})
    return batch.run_many(Operation.VERIFY, todo, answered_elsewhere=elsewhere)


def _safe(compute: Callable[[], Any]) -> Any:
    """Run a formula body: any failure becomes one #ERROR cell, and keys are blanked."""
    try:
        with paused_gc():
            result = compute()
    except _Refused as exc:
        result = [[_error(str(exc))]]
    except Exception as exc:
        result = [[_error(batch.error_text(exc))]]
    secrets = batch.known_secrets()
    if not secrets:
        return result
    if isinstance(result, str):
        return batch.redact(result, secrets)
    if isinstance(result, list) and _mentions(result, secrets):
        return [
            [batch.redact(c, secrets) if isinstance(c, str) else c for c in row] for row in result
        ]
    return result


def _mentions(grid: Grid, secrets: set[str]) -> bool:
    """Whether any text cell holds a key: one search of all of them joined by NUL (no
    key holds one, so no match can span two cells), not one per cell and key."""
    if any("\0" in secret for secret in secrets):
        return True
    joined = "\0".join(c for row in grid for c in row if isinstance(c, str))
    return any(secret in joined for secret in secrets)


def _header(cols: tuple[str, ...], width: int) -> list[Any]:
    return list(cols) * max(width, 1)


def _truthy(flag: Any) -> bool:
    if isinstance(flag, str):
        return flag.strip().lower() in ("true", "yes", "1", "vrai")
    return bool(flag) and flag == flag  # NaN is not a yes


# -- the formulas -------------------------------------------------------------------------------


@_func
@_range_arg("emails", "A cell or a range of email addresses.")
@_arg("field", doc='status (default), reason, suggestion, provider, ... or "all".')
@_arg("header", doc="TRUE adds a first row with the column names.")
def VERIFY_EMAIL(emails, field="status", header=False):  # noqa: N802 - Excel names are upper case
    """Checks whether email addresses can receive mail: deliverable, risky, undeliverable, unknown or invalid. One answer row per input row. field: status, reason, suggestion, provider or all. Cached: recalculating costs nothing."""  # noqa: E501 - Excel shows this line in its function wizard

    def compute() -> Grid:
        cols = _columns(Operation.VERIFY, field)
        grid = _grid(emails)
        out: Grid = [_header(cols, max(len(r) for r in grid))] if _truthy(header) and grid else []
        memo = _memo(Operation.VERIFY, cols)
        if memo is None:
            flat = [cell for row in grid for cell in row]
            rendered, _ = _verified(flat, [None] * len(flat), cols)
        else:
            version, now = memo.start()
            rows = memo.rows(grid, now)
            if rows is not None:  # every cell answered before, and still held: no engine
                out.extend(rows)
                return out
            flat = [cell for row in grid for cell in row]
            rendered, kept = _verified(flat, memo.lookup(flat, now), cols)
            memo.keep(version, now, kept)
        cells = iter(rendered)
        for row in grid:
            line: list[Any] = []
            for _ in row:
                line.extend(next(cells))
            out.append(line)
        return out

    return _safe(compute)


def _people(operation: Operation, first_name: Any, last_name: Any, where: Any, field: Any,
            header: Any) -> Grid:  # fmt: skip
    cols = _columns(operation, field)
    columns = [_flat(first_name), _flat(last_name), _flat(where)]
    out: Grid = [list(cols)] if _truthy(header) else []
    memo = _memo(operation, cols)
    if memo is not None:
        version, now = memo.start()
        rows = memo.records(columns, now)
        if rows is not None:  # every row answered before, and still held: no engine
            out.extend(rows)
            return out
    parallel = _parallel(columns, operation)
    records = [record for _, record in parallel]
    kept = []
    for (values, record), outcome in zip(parallel, _answers(operation, records), strict=True):
        cells = _render(operation, outcome, cols)
        out.append(cells)
        may, answer = _kept(record, outcome)
        if may and values is not None:
            kept.append((record_key(values), record, answer, cells))
    if memo is not None:
        memo.keep(version, now, kept)
    return out


@_func
@_range_arg("first_name", "First name: a cell or a column range.")
@_range_arg("last_name", "Last name: a cell or a column range of the same length.")
@_range_arg("domain_or_company", "Company domain (acme.com), website or company name.")
@_arg("field", doc='email (default), confidence, status, reason or "all".')
@_arg("header", doc="TRUE adds a first row with the column names.")
def FIND_EMAIL(first_name, last_name, domain_or_company, field="email", header=False):  # noqa: N802
    """Finds a person's work email from first name, last name and company domain (or name); cells or parallel ranges. field: email, confidence, status, reason or all. Blank: none found. PENDING: recalculate later. Cached: no double cost."""  # noqa: E501 - Excel shows this line in its function wizard
    return _safe(lambda: _people(Operation.FIND, first_name, last_name, domain_or_company,
                                 field, header))  # fmt: skip


@_func
@_range_arg("first_name", "First name: a cell or a column range.")
@_range_arg("last_name", "Last name: a cell or a column range of the same length.")
@_range_arg("company", "Company name, website or domain.")
@_arg("field", doc='email (default), phone, job, siren, linkedin, ... or "all".')
@_arg("header", doc="TRUE adds a first row with the column names.")
def ENRICH_CONTACT(first_name, last_name, company, field="email", header=False):  # noqa: N802
    """Enriches contacts with Dropcontact from first name, last name and company. field: email, phone, mobile_phone, job, linkedin, website, siren... or all. PENDING: recalculate later. Cached: recalculating costs nothing."""  # noqa: E501 - Excel shows this line in its function wizard
    return _safe(lambda: _people(Operation.ENRICH, first_name, last_name, company, field, header))


@_func
@_arg("provider", doc="dropcontact, fullcontact or coldlead; empty for every provider in use.")
def CONTACT_CREDITS(provider=None):  # noqa: N802
    """Credits left with each provider in use (a free check). With a provider name, one number; without, a table of provider and credits. Recalculate (Ctrl+Alt+F9) to refresh it."""  # noqa: E501 - Excel shows this line in its function wizard

    def compute() -> Any:
        client = default_client()
        if isinstance(provider, str) and provider.strip():
            names = [provider.strip().lower()]
        elif provider is None or provider == "":
            names = [n for n in client.settings.providers if n != "local"]
        else:
            raise _Refused("provider must be a name such as dropcontact")
        if not names:
            raise _Refused("no paid provider is set up: set DROPCONTACT_API_KEY (or FULLCONTACT_"
                           "/COLDLEAD_) in the environment or the config file")  # fmt: skip
        rows: Grid = []
        for name in names:
            try:
                left = client.credits(name).get(name)
                rows.append([name, "unknown" if left is None else left])
            except Exception as exc:
                rows.append([name, _error(batch.error_text(exc, client))])
        return rows[0][1] if len(names) == 1 and provider else rows

    return _safe(compute)


@_func
@_range_arg("contacts", "Emails (verify) or 3 columns: first name, last name, company/domain.")
@_arg("operation", doc="verify (default), find or enrich.")
def CONTACT_ESTIMATE(contacts, operation="verify"):  # noqa: N802
    """Credits that verifying (or finding/enriching) this range would cost now. Cached answers and bad cells cost nothing; nothing is sent. For find/enrich give 3 columns: first name, last name, company or domain."""  # noqa: E501 - Excel shows this line in its function wizard

    def compute() -> Any:
        try:
            op = Operation(str(operation or "verify").strip().lower())
        except ValueError:
            raise _Refused('operation must be "verify", "find" or "enrich"') from None
        grid = _grid(contacts)
        if op is Operation.VERIFY:
            items: list[Any] = [c for row in grid for c in row if _screen(c) is None]
        else:
            if any(len(row) < 3 for row in grid):
                raise _Refused("give 3 columns: first name, last name, company or domain")
            records = (_record(row[:3], op) for row in grid)
            items = [r for r in records if not isinstance(r, _Text)]
        return default_client().estimate(items, op).total

    return _safe(compute)


if __name__ == "__main__" and xw is not None:  # pragma: no cover - Windows COM server
    xw.serve()
