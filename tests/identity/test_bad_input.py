"""Every kind of bad cell is rejected locally, with a reason a user can read."""

from __future__ import annotations

import time

import pytest
from bad_cells import BAD_CELLS, EXCEL_ERRORS

from contact_udfs.identity import ERROR_MESSAGES, error_message, normalize_email

IDS = [cell_id for cell_id, _ in BAD_CELLS]


def test_matrix_is_large_and_distinct() -> None:
    assert len(BAD_CELLS) >= 45
    assert len(set(IDS)) == len(IDS)
    assert {f"excel-{e.strip('#!?').replace('/', '').lower()}" for e in EXCEL_ERRORS} <= set(IDS)


@pytest.mark.parametrize("value", [value for _, value in BAD_CELLS], ids=IDS)
def test_bad_cell_is_invalid_with_a_reason(value: object) -> None:
    result = normalize_email(value)
    assert result.valid is False
    assert result.key is None
    assert result.error and result.error in ERROR_MESSAGES
    assert error_message(result.error)
    assert result.message and result.message.startswith(error_message(result.error))
    assert isinstance(result.display, str) and len(result.display) <= 1000
    assert result.original is value


@pytest.mark.parametrize(
    ("cell_id", "code"),
    [
        ("none", "empty"),
        ("empty", "empty"),
        ("space", "blank"),
        ("whitespace-mix", "blank"),
        ("nan", "missing"),
        ("int", "number"),
        ("decimal", "number"),
        ("complex", "number"),
        ("true", "boolean"),
        ("date", "date"),
        ("datetime", "date"),
        ("bytes", "bytes"),
        ("list", "not_text"),
        ("dict", "not_text"),
        ("com-error-na", "excel_error"),
        ("excel-na", "excel_error"),
        ("excel-na-spaces", "excel_error"),
        ("excel-getting_data", "excel_error"),
        ("no-at", "no_at"),
        ("two-at", "multiple_at"),
        ("list-semicolon", "several_addresses"),
        ("list-comma", "several_addresses"),
        ("missing-local", "no_local"),
        ("missing-domain", "no_domain"),
        ("space-inside", "spaces"),
        ("nbsp-inside", "spaces"),
        ("lf-inside", "control_char"),
        ("tab-inside", "control_char"),
        ("zero-width-inside", "invisible_char"),
        ("no-dot-domain", "no_dot"),
        ("ip-literal", "ip_domain"),
        ("ip-bare", "ip_domain"),
        ("quoted-local", "quoted_local"),
        ("reserved-tld", "reserved_domain"),
        ("underscore-domain", "bad_domain"),
        ("too-long-300", "too_long"),
        ("one-megabyte", "too_long"),
        ("csv-formula", "formula"),
    ],
)
def test_distinct_reason_codes(cell_id: str, code: str) -> None:
    value = dict(BAD_CELLS)[cell_id]
    assert normalize_email(value).error == code


def test_excel_errors_name_the_error_value() -> None:
    for error in EXCEL_ERRORS:
        result = normalize_email(error)
        assert result.error == "excel_error"
        assert result.message == f"Excel error value {error}"


def test_whole_matrix_is_fast() -> None:
    start = time.perf_counter()
    for _ in range(5):
        for _, value in BAD_CELLS:
            normalize_email(value)
    assert time.perf_counter() - start < 1.0


def test_neighbours_of_bad_cells_stay_valid() -> None:
    """The rejections are about the cell, not about the address inside it."""
    for cell in ("ada@acme.com", " ada@acme.com\n", "mailto:ada@acme.com", "Ada <ada@acme.com>"):
        assert normalize_email(cell).key == "ada@acme.com"
