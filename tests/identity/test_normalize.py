"""Normalization: one key per mailbox/person, whatever the spelling of the cell."""

from __future__ import annotations

import string

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contact_udfs.identity import (
    ERROR_MESSAGES,
    NormalizedEmail,
    cache_key,
    clean_name,
    domain_from,
    error_message,
    name_token,
    normalize_contact,
    normalize_email,
    normalize_person,
    split_full_name,
)
from contact_udfs.identity.emails import _check_address, _validate_slow
from contact_udfs.models import Operation

# -- emails ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    [
        "ada@acme.com",
        " ada@acme.com ",
        "\tada@acme.com\r\n",
        "\u00a0ada@acme.com\u00a0",
        "\u2007ada@acme.com\u202f",
        "\u200bada@acme.com\ufeff",
        "\ufeff \u00a0 ada@acme.com \u200b\n",
        "ADA@ACME.COM",
        "Ada@Acme.Com",
        "mailto:ada@acme.com",
        "MAILTO:Ada@Acme.com",
        "mailto:ada@acme.com?subject=Hello%20there",
        "Ada Lovelace <ada@acme.com>",
        '"Lovelace, Ada" <Ada@Acme.com>',
        "<ada@acme.com>",
        " Ada <ada@acme.com> ",
    ],
)
def test_spellings_of_one_address_share_one_key(cell: str) -> None:
    result = normalize_email(cell)
    assert result.valid and result.error is None
    assert result.key == "ada@acme.com"
    assert result.original is cell
    assert result.display == cell.strip(" \t\r\n\u00a0\u2007\u202f\u200b\ufeff")


def test_case_folding_keeps_the_display() -> None:
    result = normalize_email("ada@GMAIL.com ")
    assert result.key == "ada@gmail.com"
    assert result.display == "ada@GMAIL.com"


@pytest.mark.parametrize(
    ("cell", "key"),
    [
        ("José@Bücher.DE", "josé@xn--bcher-kva.de"),
        ("ada@bücher.de", "ada@xn--bcher-kva.de"),
        ("ada@xn--bcher-kva.de", "ada@xn--bcher-kva.de"),
        ("ada@XN--BCHER-KVA.DE", "ada@xn--bcher-kva.de"),
        ("ada@ΑΒ.gr", "ada@xn--mxac.gr"),
        ("ada@ｘ.com", "ada@x.com"),  # full-width letters fold (UTS-46)
        ("ÉLODIE@exemple.fr", "élodie@exemple.fr"),
        ("ada+news@acme.com", "ada+news@acme.com"),
        ("o'neil@acme.ie", "o'neil@acme.ie"),
        ("ada@sub.acme.co.uk", "ada@sub.acme.co.uk"),
        ("ada@a--b.com", "ada@a--b.com"),
    ],
)
def test_idn_and_unusual_valid_addresses(cell: str, key: str) -> None:
    assert normalize_email(cell).key == key


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("ada\r\n@acme.com", "control_char"),
        ("ada@acme.com\nbob@acme.com", "control_char"),
        ("ada@ac\tme.com", "control_char"),
        ("ada@[10.0.0.1]", "ip_domain"),
        ("ada@10.0.0.1", "ip_domain"),
        ('"ada"@acme.com', "quoted_local"),
        ("ada@acme", "no_dot"),
        ("Ada <ada@acme.com> <bob@acme.com>", "several_addresses"),
        ("ada@acme.test", "reserved_domain"),
        ("=HYPERLINK(A1)", "formula"),
        ("#N/A", "excel_error"),
    ],
)
def test_reason_codes(cell: str, code: str) -> None:
    result = normalize_email(cell)
    assert not result.valid and result.key is None
    assert result.error == code
    assert error_message(code) == ERROR_MESSAGES[code]


def test_messages() -> None:
    assert error_message("empty") == "empty cell"
    assert error_message("no_at") == "not an email address (no @)"
    assert normalize_email("#N/A").message == "Excel error value #N/A"
    assert normalize_email("ada@acme.com").message is None
    assert error_message("some_new_code") == "some new code"
    assert all(text and len(text) < 60 for text in ERROR_MESSAGES.values())


def test_pandas_missing_values() -> None:
    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    for value in (pd.NA, pd.NaT, np.nan, np.float64("nan"), np.datetime64("NaT")):
        assert normalize_email(value).error == "missing", value
    assert normalize_email(pd.Timestamp("2024-01-01")).error == "date"
    assert normalize_email(np.int64(3)).error == "number"
    assert normalize_email(np.bool_(True)).error == "boolean"
    assert normalize_email(np.str_(" Ada@Acme.com ")).key == "ada@acme.com"


def test_huge_strings_are_cheap() -> None:
    import time

    start = time.perf_counter()
    for _ in range(20):
        assert normalize_email("a" * 5_000_000 + "@acme.com").error == "too_long"
        assert normalize_email(" " * 1_000_000).error == "blank"
    assert time.perf_counter() - start < 2.0


def test_display_of_huge_values_is_capped() -> None:
    result = normalize_email("x" * 10_000)
    assert len(result.display) <= 1000


# fast path: every address the regex accepts must get the key email-validator would give

_atext = st.sampled_from(string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~-")
_atom = st.text(_atext, min_size=1, max_size=8)
_label = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9-]{0,8}[A-Za-z0-9])?", fullmatch=True)
_ascii_address = st.builds(
    lambda atoms, labels, tld: ".".join(atoms) + "@" + ".".join(labels) + "." + tld,
    st.lists(_atom, min_size=1, max_size=3),
    st.lists(_label, min_size=1, max_size=3),
    st.from_regex(r"[A-Za-z]{2,6}", fullmatch=True),
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(_ascii_address)
def test_fast_path_agrees_with_email_validator(address: str) -> None:
    fast = _check_address(address)
    slow = _validate_slow(address)
    assert fast == slow
    try:
        validated = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        assert fast[0] is None
    else:
        assert fast == (address.lower(), None)
        assert validated.ascii_email.lower() == fast[0]


# properties over anything a cell can hold

_cells = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40).map(lambda s: s + "@" + s),
    st.builds(
        lambda a, b: f"{a}@{b}.com",
        st.text(st.characters(categories=("L", "N", "P", "S")), min_size=1, max_size=12),
        st.text(st.characters(categories=("L", "N")), min_size=1, max_size=12),
    ),
    _ascii_address,
    st.none(),
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.binary(max_size=20),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.dates(),
    st.datetimes(),
    st.decimals(allow_nan=True),
)


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(_cells)
def test_normalize_never_raises_and_keys_are_stable(cell: object) -> None:
    result = normalize_email(cell)
    assert isinstance(result, NormalizedEmail)
    assert isinstance(result.display, str)
    assert (result.key is None) != (result.error is None)
    if result.key is None:
        assert result.error in ERROR_MESSAGES
        return
    local, _, domain = result.key.rpartition("@")
    assert local and domain.isascii() and "." in domain
    assert result.key == result.key.lower()
    assert len(result.key.encode()) <= 254 or not local.isascii()
    again = normalize_email(result.key)
    assert again.key == result.key


# -- names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("full", "expected"),
    [
        ("Ada Lovelace", ("Ada", "Lovelace")),
        ("  Ada   Lovelace ", ("Ada", "Lovelace")),
        ("Anne-Sophie de La Tour", ("Anne-Sophie", "de La Tour")),
        ("Ludwig van Beethoven", ("Ludwig", "van Beethoven")),
        ("Vincent van der Berg", ("Vincent", "van der Berg")),
        ("Leonardo da Vinci", ("Leonardo", "da Vinci")),
        ("Maria del Carmen", ("Maria", "del Carmen")),
        ("Jean-Baptiste Le Pen", ("Jean-Baptiste", "Le Pen")),
        ("Otto von Bismarck", ("Otto", "von Bismarck")),
        ("Mary Ann de la Cruz", ("Mary Ann", "de la Cruz")),
        ("Jean Paul Sartre", ("Jean Paul", "Sartre")),
        ("Lovelace, Ada", ("Ada", "Lovelace")),
        ("de La Tour, Anne-Sophie", ("Anne-Sophie", "de La Tour")),
        ("Martin Luther King, Jr.", ("Martin Luther", "King")),
        ("Dr. Ada Lovelace", ("Ada", "Lovelace")),
        ("DUPONT Jean", ("Jean", "DUPONT")),
        ("Jean-Pierre DUPONT MARTIN", ("Jean-Pierre", "DUPONT MARTIN")),
        ("Jean de LA TOUR", ("Jean", "de LA TOUR")),
        ("Zoë Ångström", ("Zoë", "Ångström")),
        ("Seán O'Brien", ("Seán", "O'Brien")),
        ("Jean d'Ormesson", ("Jean", "d'Ormesson")),
        ("Ada", ("Ada", "")),
        ("Mme Dupont", ("", "Dupont")),
        ("", ("", "")),
    ],
)
def test_split_full_name(full: str, expected: tuple[str, str]) -> None:
    assert split_full_name(full) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  Zoë  ", "Zoë"),
        ("Anne-Sophie", "Anne-Sophie"),
        ("O'Neil", "O'Neil"),
        ("Jean\u00a0 Paul", "Jean Paul"),
        ("Ada\tLovelace\n", "Ada Lovelace"),
        ("#N/A", None),
        ("#VALUE!", None),
        (42, None),
        (3.5, None),
        (True, None),
        (None, None),
        ("   ", None),
        ("12345", None),
        ("ada@acme.com", None),
    ],
)
def test_clean_name(value: object, expected: str | None) -> None:
    assert clean_name(value) == expected


@pytest.mark.parametrize(
    ("value", "token"),
    [
        ("Ada", "ada"),
        ("Anne-Sophie", "anne-sophie"),
        ("Zoë", "zoe"),
        ("Ångström", "angstrom"),
        ("O'Neil", "oneil"),
        ("O\u2019Neil", "oneil"),
        ("de La Tour", "delatour"),
        ("Łukasz", "lukasz"),
        ("Søren", "soren"),
        ("Straße", "strasse"),
        ("Jean--Paul", "jean-paul"),
        ("-Ada-", "ada"),
        ("Иван", ""),
    ],
)
def test_name_token(value: str, token: str) -> None:
    assert name_token(value) == token


@pytest.mark.parametrize(
    ("value", "domain"),
    [
        ("https://www.Acme.com/about", "acme.com"),
        ("http://acme.com", "acme.com"),
        ("www.acme.co.uk", "acme.co.uk"),
        ("acme.com", "acme.com"),
        ("ACME.COM.", "acme.com"),
        ("acme.com/contact?x=1#top", "acme.com"),
        ("https://user:pw@acme.com:8443/path", "acme.com"),
        ("//cdn.acme.com/x", "cdn.acme.com"),
        ("Bücher.de", "xn--bcher-kva.de"),
        ("https://www.bücher.de/", "xn--bcher-kva.de"),
        ("ada@acme.com", "acme.com"),
        ("mailto:ada@Acme.com", "acme.com"),
        ("Acme Corp", None),
        ("Acme", None),
        ("Acme Inc.", None),
        ("192.168.0.1", None),
        ("", None),
        (None, None),
        (42, None),
        ("#N/A", None),
        ("http://", None),
        ("acme..com", None),
        ("ac_me.com", None),
    ],
)
def test_domain_from(value: object, domain: str | None) -> None:
    assert domain_from(value) == domain


def test_cache_keys_are_stable() -> None:
    assert cache_key("local", "verify", "ada@acme.com") == "local:verify:ada@acme.com"
    assert cache_key("Dropcontact", Operation.ENRICH, "x") == "dropcontact:enrich:x"
    assert cache_key("local", Operation.FIND, "ada|lovelace|acme.com") == (
        "local:find:ada|lovelace|acme.com"
    )
    keys = {
        cache_key("local", "verify", normalize_email(cell).key or "")
        for cell in ("Ada@ACME.com", " ada@acme.com\u00a0", "mailto:ada@acme.com")
    }
    assert keys == {"local:verify:ada@acme.com"}


# -- records --------------------------------------------------------------------------------------


def test_person_with_aliases_and_website() -> None:
    person = normalize_person(
        {"First Name": " Zoë ", "LAST NAME": "Ångström", "Website": "https://www.Acme.se/team"}
    )
    assert person.valid and person.error is None
    assert person.key == "zoe|angstrom|acme.se"
    assert person.payload == {
        "first_name": "Zoë",
        "last_name": "Ångström",
        "full_name": "Zoë Ångström",
        "domain": "acme.se",
        "website": "https://www.Acme.se/team",
    }


@pytest.mark.parametrize(
    "record",
    [
        {"first_name": "Ada", "last_name": "Lovelace", "domain": "acme.com"},
        {"firstname": "ADA", "lastname": "lovelace", "url": "http://acme.com"},
        {"prénom": "Ada", "nom": "Lovelace", "société": "acme.com"},
        {"given_name": "Ada", "surname": "Lovelace", "email_domain": "ACME.COM"},
        {"full_name": "Ada Lovelace", "company": "Acme", "domain": "acme.com"},
        {"Name": "Lovelace, Ada", "Site": "www.acme.com"},
        {"full name": "  Ada   Lovelace ", "organization": "Acme Corp", "domain": "acme.com"},
    ],
)
def test_person_spellings_share_one_key(record: dict[str, object]) -> None:
    assert normalize_person(record).key == "ada|lovelace|acme.com"


def test_person_keyed_by_company_when_no_domain() -> None:
    person = normalize_person({"first": "Élodie", "last": "Martin", "entreprise": " Acme  Corp "})
    assert person.key == "elodie|martin|company:acme corp"
    assert person.payload["company"] == "Acme Corp"
    assert "domain" not in person.payload


@pytest.mark.parametrize(
    ("record", "code"),
    [
        ({}, "empty_row"),
        ({"first_name": None, "last_name": "", "domain": "   "}, "empty_row"),
        ({"domain": "acme.com"}, "missing_name"),
        ({"first_name": "#N/A", "last_name": 42, "domain": "acme.com"}, "missing_name"),
        ({"first_name": "Ada", "domain": "acme.com"}, "missing_last_name"),
        ({"full_name": "Ada", "domain": "acme.com"}, "missing_last_name"),
        ({"last_name": "Lovelace", "domain": "acme.com"}, "missing_first_name"),
        ({"first_name": "Ada", "last_name": "Lovelace"}, "missing_company"),
        ({"first_name": "Ada", "last_name": "Lovelace", "company": "#REF!"}, "missing_company"),
        (["Ada", "Lovelace"], "not_a_record"),
    ],
)
def test_person_errors(record: object, code: str) -> None:
    person = normalize_person(record)  # type: ignore[arg-type]
    assert person.key is None and person.error == code
    assert error_message(code)


def test_contact_keyed_by_email() -> None:
    contact = normalize_contact(
        {
            "E-mail": " Ada@ACME.com ",
            "Prénom": "Ada",
            "Nom": "Lovelace",
            "Téléphone": 33612345678,
            "SIREN": 123456789.0,
            "Pays": "France",
            "Title": "CTO",
            "unrelated": "ignored",
        }
    )
    assert contact.key == "ada@acme.com"
    assert contact.payload == {
        "email": "ada@acme.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "full_name": "Ada Lovelace",
        "phone": "33612345678",
        "num_siren": "123456789",
        "country": "France",
        "job": "CTO",
    }


def test_contact_with_bad_email_falls_back_to_name_and_company() -> None:
    contact = normalize_contact(
        {"email": "#N/A", "first_name": "Ada", "last_name": "Lovelace", "website": "acme.com"}
    )
    assert contact.valid and contact.key == "ada|lovelace|acme.com"
    assert "email" not in contact.payload
    assert contact.payload["website"] == "acme.com"


def test_contact_domain_becomes_website() -> None:
    contact = normalize_contact({"full_name": "Ada Lovelace", "domain": "https://acme.com/x"})
    assert contact.payload["website"] == "acme.com"
    assert "domain" not in contact.payload


@pytest.mark.parametrize(
    ("record", "code"),
    [
        ({"email": "not-an-email"}, "no_at"),
        ({"email": "#N/A", "first_name": "Ada"}, "excel_error"),
        ({"first_name": "Ada", "last_name": "Lovelace"}, "missing_company"),
        ({"company": "Acme"}, "missing_name"),
        ({}, "empty_row"),
        ("ada@acme.com", "not_a_record"),
    ],
)
def test_contact_errors(record: object, code: str) -> None:
    contact = normalize_contact(record)  # type: ignore[arg-type]
    assert contact.key is None and contact.error == code
