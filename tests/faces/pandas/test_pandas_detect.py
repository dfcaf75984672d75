"""Column auto-detection, mapping checks and the distinct-value reduction."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

import contact_udfs.core.columns_detect as columns_detect
from contact_udfs.core.columns_detect import check_mapping, detect_columns, distinct_inputs


def test_doctests() -> None:
    assert doctest.testmod(columns_detect).failed == 0


@pytest.mark.parametrize(
    ("headers", "operation", "expected"),
    [
        (["Email"], "verify", {"email": "Email"}),
        (["id", "E-mail address"], "verify", {"email": "E-mail address"}),
        (["Courriel"], "verify", {"email": "Courriel"}),
        (
            ["Prénom", "Nom", "Société", "Site web"],
            "find",
            {"first_name": "Prénom", "last_name": "Nom", "company": "Société",
             "website": "Site web"},
        ),
        (
            ["first_name", "last_name", "domain"],
            "find",
            {"first_name": "first_name", "last_name": "last_name", "domain": "domain"},
        ),
        (["Full Name", "Company"], "find", {"full_name": "Full Name", "company": "Company"}),
        (
            ["First Name", "Last Name", "Company", "Website", "LinkedIn URL", "Job Title"],
            "enrich",
            {
                "first_name": "First Name", "last_name": "Last Name", "company": "Company",
                "website": "Website", "linkedin": "LinkedIn URL", "job": "Job Title",
            },
        ),
        (["notes", "amount"], "find", {}),
    ],
)  # fmt: skip
def test_detect_common_headers(headers: list[str], operation: str, expected: dict) -> None:
    assert detect_columns(headers, operation) == expected


def test_each_column_feeds_one_field_and_the_first_match_wins() -> None:
    assert detect_columns(["Email", "email"], "verify") == {"email": "Email"}


def test_output_columns_are_not_taken_for_inputs() -> None:
    headers = ["email", "email_status", "email_suggestion", "found_email"]
    assert detect_columns(headers, "verify") == {"email": "email"}


def test_address_column_found_by_content_when_no_header_names_it() -> None:
    df = pd.DataFrame({"id": [1, 2, 3], "contact": ["ada@acme.com", "bob@x.io", None]})
    assert detect_columns(df.columns, "verify", frame=df) == {"email": "contact"}
    assert detect_columns(df.columns, "verify") == {}


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({}, "verify needs the column"),
        ({"email": "nope"}, r"'nope' \(for email\) is not in the DataFrame"),
        ({"phone": "a"}, "verify does not take 'phone'"),
    ],
)
def test_check_mapping_messages(mapping: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_mapping(["a"], "verify", mapping)


def test_check_mapping_drops_unused_and_requires_a_person_and_a_place() -> None:
    cols = ["f", "l", "c"]
    got = check_mapping(cols, "find", {"first_name": "f", "last_name": "l", "company": "c",
                                       "domain": None})  # fmt: skip
    assert got == {"first_name": "f", "last_name": "l", "company": "c"}
    with pytest.raises(ValueError, match="one of domain, company or website"):
        check_mapping(cols, "find", {"first_name": "f", "last_name": "l"})
    with pytest.raises(ValueError, match="at least one input column"):
        check_mapping(cols, "enrich", {})


def test_duplicate_column_labels_are_refused() -> None:
    with pytest.raises(ValueError, match="more than once"):
        check_mapping(["email", "email"], "verify", {"email": "email"})


@pytest.mark.parametrize("dtype", [object, "string", "category"])
def test_distinct_values_map_back_by_position(dtype: object) -> None:
    values = ["b@x.io", None, "a@x.io", "b@x.io", np.nan, "a@x.io"]
    df = pd.DataFrame({"e": pd.array(values, dtype=dtype)}, index=[5, 5, 5, 1, 1, 0])
    got = distinct_inputs(df, "verify", {"email": "e"})
    assert got.items == ["b@x.io", "a@x.io", None]
    assert [got.items[c] for c in got.codes] == ["b@x.io", None, "a@x.io", "b@x.io", None,
                                                 "a@x.io"]  # fmt: skip


def test_distinct_records_for_people() -> None:
    df = pd.DataFrame({
        "F": ["Ada", "Ada", "Bob", "Ada", None],
        "L": ["Lovelace", "Lovelace", "Smith", "Byron", None],
        "D": pd.Series(["acme.com", "acme.com", "x.io", "acme.com", None], dtype="category"),
    })  # fmt: skip
    got = distinct_inputs(df, "find", {"first_name": "F", "last_name": "L", "domain": "D"})
    assert got.items == [
        {"first_name": "Ada", "last_name": "Lovelace", "domain": "acme.com"},
        {"first_name": "Bob", "last_name": "Smith", "domain": "x.io"},
        {"first_name": "Ada", "last_name": "Byron", "domain": "acme.com"},
        {},
    ]
    assert got.codes.tolist() == [0, 0, 1, 2, 3]


def test_distinct_records_turn_numpy_scalars_into_python() -> None:
    df = pd.DataFrame({"siren": np.array([500500500, 500500500], dtype=np.int64)})
    got = distinct_inputs(df, "enrich", {"num_siren": "siren"})
    assert got.items == [{"num_siren": 500500500}]
    assert type(got.items[0]["num_siren"]) is int
