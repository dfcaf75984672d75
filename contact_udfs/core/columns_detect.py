"""Input columns: which ones feed which field (auto-detection, checks), and their distinct values.

Sheets arrive with headers such as ``"First Name"``, ``"prenom"``, ``"Company"``
or ``"Website"``. The pandas accessor and the Jupyter panel both need to turn
them into the fields the engine understands (``first_name``, ``company``...),
so the guessing lives here once. Detection is deliberately conservative: a
header must match a known alias after folding case, accents and punctuation,
so an unrelated column is never sent to a paid provider by surprise. The one
exception is the address column for ``verify``, which can also be recognised
by its content (most sampled values contain an ``@``).

:func:`distinct_inputs` then reads only the mapped columns and reduces them to
their distinct values plus one code per row, so a million-row frame costs one
engine item per distinct contact and the answers go back by position.

Examples:
    >>> normalize_header("Prénom ")
    'prenom'
    >>> detect_columns(["First Name", "Nom", "Société", "Web site"], "find")
    {'first_name': 'First Name', 'last_name': 'Nom', 'company': 'Société', 'website': 'Web site'}
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..models import Operation

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

__all__ = [
    "ALIASES",
    "ROLES",
    "DistinctInputs",
    "check_mapping",
    "detect_columns",
    "distinct_inputs",
    "normalize_header",
]

#: the input fields each operation can use, in display order
ROLES: dict[Operation, tuple[str, ...]] = {
    Operation.VERIFY: ("email",),
    Operation.FIND: ("first_name", "last_name", "full_name", "domain", "company", "website"),
    Operation.ENRICH: (
        "email", "first_name", "last_name", "full_name", "company", "website", "linkedin",
        "phone", "job", "country", "num_siren", "siret", "company_linkedin",
    ),
}  # fmt: skip

#: folded header spellings (see :func:`normalize_header`) recognised for each field
ALIASES: dict[str, tuple[str, ...]] = {
    "email": (
        "email", "emails", "mail", "emailaddress", "email1", "courriel", "adressemail",
        "adresseemail", "adressemail1", "workemail", "businessemail", "contactemail",
        "emailpro", "mailpro",
    ),
    "first_name": ("firstname", "first", "givenname", "prenom", "fname", "forename", "vorname"),
    "last_name": (
        "lastname", "last", "surname", "familyname", "nom", "lname", "nomdefamille", "nachname",
    ),
    "full_name": ("fullname", "name", "contactname", "nomcomplet", "personname"),
    "company": (
        "company", "companyname", "organization", "organisation", "org", "entreprise",
        "societe", "employer", "account", "accountname", "firma", "raisonsociale",
        "nomentreprise",
    ),
    "domain": ("domain", "companydomain", "emaildomain", "domaine", "domainname"),
    "website": (
        "website", "web", "url", "site", "siteweb", "siteinternet", "companywebsite",
        "homepage", "companyurl", "webpage",
    ),
    "linkedin": ("linkedin", "linkedinurl", "linkedinprofile", "linkedinprofileurl",
                 "profillinkedin", "urllinkedin"),
    "phone": ("phone", "phonenumber", "telephone", "tel", "phone1", "numerodetelephone"),
    "job": ("job", "jobtitle", "title", "poste", "fonction", "position", "intitule"),
    "country": ("country", "pays", "countrycode"),
    "num_siren": ("numsiren", "siren", "sirennumber"),
    "siret": ("siret", "numsiret"),
    "company_linkedin": ("companylinkedin", "companylinkedinurl", "linkedincompany",
                         "linkedinentreprise"),
}  # fmt: skip

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalize_header(name: Hashable) -> str:
    """Fold a header for matching: no accents, lower case, letters and digits only.

    >>> normalize_header("E-mail Address")
    'emailaddress'
    """
    text = unicodedata.normalize("NFKD", str(name))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NON_ALNUM.sub("", text.lower())


def detect_columns(
    columns: Iterable[Hashable],
    operation: Operation | str,
    *,
    frame: Any = None,
) -> dict[str, Hashable]:
    """Guess ``{field: column}`` for ``operation`` from the headers.

    Each column feeds at most one field and the first matching column wins.
    When ``frame`` (a DataFrame) is given and no header names the address for
    ``verify``/``enrich``, a text column whose values mostly contain ``@`` is
    taken instead.

    >>> detect_columns(["id", "Work Email"], "verify")
    {'email': 'Work Email'}
    >>> detect_columns(["id", "notes"], "verify")
    {}
    """
    op = Operation(operation)
    cols = list(columns)
    folded = {col: normalize_header(col) for col in cols}
    found: dict[str, Hashable] = {}
    used: set[int] = set()
    for role in ROLES[op]:
        for pos, col in enumerate(cols):
            if pos not in used and folded[col] in ALIASES[role]:
                found[role] = col
                used.add(pos)
                break
    if "email" in ROLES[op] and "email" not in found and frame is not None:
        col = _column_of_addresses(frame, [c for i, c in enumerate(cols) if i not in used])
        if col is not None:
            found["email"] = col
    # keep display order for the caller (dict order is part of the doctest above)
    return {role: found[role] for role in ROLES[op] if role in found}


def _column_of_addresses(frame: Any, candidates: list[Hashable], sample: int = 200) -> Hashable:
    """The first column whose sampled non-empty values are mostly addresses, else None."""
    for col in candidates:
        try:
            values = frame[col].dropna().head(sample)
        except (KeyError, TypeError, AttributeError, ValueError):
            continue
        texts = [v for v in values.tolist() if isinstance(v, str) and v.strip()]
        if texts and sum("@" in t for t in texts) >= 0.8 * len(texts):
            return col
    return None


def check_mapping(
    columns: Iterable[Hashable],
    operation: Operation | str,
    mapping: Mapping[str, Hashable | None],
) -> dict[str, Hashable]:
    """Validate ``{field: column}``: known fields, existing columns, enough to ask with.

    Fields mapped to ``None`` are dropped. Raises ``ValueError`` with a message
    a spreadsheet user can act on.

    >>> check_mapping(["First", "Last", "Site"], "find",
    ...               {"first_name": "First", "last_name": "Last", "website": "Site"})
    {'first_name': 'First', 'last_name': 'Last', 'website': 'Site'}
    >>> check_mapping(["First"], "find", {"first_name": "First"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: find needs first_name and last_name (or full_name), and one of ...
    """
    op = Operation(operation)
    cols = list(columns)
    present = set(cols)
    clean = {role: col for role, col in mapping.items() if col is not None}
    unknown = [role for role in clean if role not in ROLES[op]]
    if unknown:
        raise ValueError(
            f"{op.value} does not take {', '.join(map(repr, unknown))}; "
            f"fields: {', '.join(ROLES[op])}"
        )
    for role, col in clean.items():
        if col not in present:
            raise ValueError(
                f"column {col!r} (for {role}) is not in the DataFrame; "
                f"columns: {', '.join(map(repr, cols))}"
            )
        if cols.count(col) > 1:
            raise ValueError(f"column {col!r} appears more than once in the DataFrame")
    _check_enough(op, clean)
    return clean


def _check_enough(op: Operation, clean: Mapping[str, Hashable]) -> None:
    shown = ", ".join(f"{role} -> {col!r}" for role, col in clean.items()) or "nothing"
    if op is Operation.VERIFY and "email" not in clean:
        raise ValueError("verify needs the column holding the addresses (email)")
    if op is Operation.FIND:
        named = {"first_name", "last_name"} <= clean.keys() or "full_name" in clean
        placed = bool({"domain", "company", "website"} & clean.keys())
        if not (named and placed):
            raise ValueError(
                "find needs first_name and last_name (or full_name), and one of domain, "
                f"company or website; mapped so far: {shown}"
            )
    if op is Operation.ENRICH and not clean:
        raise ValueError(
            "enrich needs at least one input column (email, linkedin, or a name with a "
            f"company or website); fields: {', '.join(ROLES[op])}"
        )


@dataclass(frozen=True)
class DistinctInputs:
    """Distinct inputs and, per row, the position of that row's input in ``items``."""

    #: one int per row, an index into ``items``
    codes: np.ndarray
    #: raw values (verify) or ``{field: value}`` records (find/enrich); None for empty cells
    items: list[Any]


def distinct_inputs(
    frame: pd.DataFrame, operation: Operation | str, mapping: Mapping[str, Hashable]
) -> DistinctInputs:
    """Factorize the mapped columns of ``frame`` by position (index labels play no part).

    Verify keeps raw values (no row dicts); missing cells become one ``None``
    item, answered ``invalid`` locally. Find/enrich get one record per
    distinct combination, missing fields left out.

    >>> import pandas as pd
    >>> got = distinct_inputs(pd.DataFrame({"e": ["a@x.io", None, "a@x.io"]}), "verify",
    ...                       {"email": "e"})
    >>> got.codes.tolist(), got.items
    ([0, 1, 0], ['a@x.io', None])
    """
    import numpy as np
    import pandas as pd

    if Operation(operation) is Operation.VERIFY:
        codes, uniques = pd.factorize(frame[mapping["email"]], use_na_sentinel=True)
        items: list[Any] = [_scalar(v) for v in np.asarray(uniques, dtype=object)]
        if (codes < 0).any():
            codes = np.where(codes < 0, len(items), codes)
            items.append(None)
        return DistinctInputs(np.asarray(codes, dtype=np.intp), items)
    key = np.zeros(len(frame), dtype=np.int64)
    for col in mapping.values():
        # combine per-column codes; re-factorizing keeps the key below len(frame)
        codes, uniques = pd.factorize(frame[col], use_na_sentinel=True)
        key = pd.factorize(key * (len(uniques) + 1) + (codes + 1))[0].astype(np.int64)
    first = np.unique(key, return_index=True)[1]
    values = {role: frame[col].iloc[first].tolist() for role, col in mapping.items()}
    records = [
        {role: _scalar(values[role][i]) for role in mapping if not _missing(values[role][i])}
        for i in range(len(first))
    ]
    return DistinctInputs(key.astype(np.intp), records)


def _missing(value: Any) -> bool:
    if value is None or type(value).__name__ == "NAType":
        return True
    try:
        return bool(value != value)  # NaN and NaT are not equal to themselves
    except (TypeError, ValueError):
        return False


def _scalar(value: Any) -> Any:
    """Plain Python values for the engine (numpy scalars out, missing -> None)."""
    if _missing(value):
        return None
    item = getattr(value, "item", None)
    return item() if callable(item) and type(value).__module__ == "numpy" else value
