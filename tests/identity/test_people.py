"""Company names compared as aliases, and person keys re-keyed to a learned domain."""

from __future__ import annotations

import pytest

from contact_udfs.identity import (
    company_alias,
    company_of_key,
    normalize_person,
    with_domain,
)


@pytest.mark.parametrize(
    ("name", "alias"),
    [
        ("Acme Robotics", "acme robotics"),
        ("ACME Robotics, Inc.", "acme robotics"),
        ("acme-robotics", "acme robotics"),
        ("Société Générale SA", "societe generale"),
        ("Bücher GmbH", "bucher"),
        ("Smith & Sons Ltd", "smith and sons"),
        ("Company", None),  # a legal form alone names no company
        ("Inc.", None),
        ("", None),
        (None, None),
        (42, None),
    ],
)
def test_company_alias(name: object, alias: str | None) -> None:
    assert company_alias(name) == alias


def test_a_company_name_key_is_rekeyed_to_the_domain_key() -> None:
    by_name = normalize_person({"first_name": "Ada", "last_name": "Lovelace",
                                "company": "Acme Robotics"})  # fmt: skip
    by_domain = normalize_person({"first_name": "ADA", "last_name": "Lovelace",
                                  "website": "https://www.acme-robotics.com/team"})  # fmt: skip
    assert by_name.key and by_domain.key
    assert company_of_key(by_name.key) == "acme robotics"
    assert company_of_key(by_domain.key) is None
    assert with_domain(by_name.key, "acme-robotics.com") == by_domain.key
    assert company_of_key("ada@acme.com") is None and with_domain("plain", "x.com") == "plain"
