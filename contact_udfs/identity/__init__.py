"""Who a cell names: emails, people and organisations, normalized offline.

Everything here is pure and runs before any cache lookup or provider call, so
two spellings of one contact share one cache entry and one credit, and a bad
cell is answered locally with a reason code (:data:`ERROR_MESSAGES`).

* :mod:`.emails` - addresses and their cache keys;
* :mod:`.names` - names, companies, domains, whole find/enrich records;
* :mod:`.patterns` - the local-part patterns of a company's addresses;
* :mod:`.people` - company names compared as learned aliases of a domain;
* :mod:`.cells` - what every cell reader agrees on (blanks, ``#N/A``).

This package imports nothing of ``contact_udfs`` outside itself: providers,
the store and the engine all build on it.
"""

from __future__ import annotations

from .emails import (
    ERROR_MESSAGES,
    NormalizedEmail,
    cache_key,
    email_parts,
    error_message,
    fast_email_keys,
    fast_email_parts,
    normalize_email,
    parsing_in_bulk,
)
from .names import (
    NormalizedPerson,
    clean_name,
    domain_from,
    name_token,
    normalize_contact,
    normalize_person,
    split_full_name,
)
from .people import company_alias, company_of_key, with_domain

__all__ = [
    "ERROR_MESSAGES",
    "NormalizedEmail",
    "NormalizedPerson",
    "cache_key",
    "clean_name",
    "company_alias",
    "company_of_key",
    "domain_from",
    "email_parts",
    "error_message",
    "fast_email_keys",
    "fast_email_parts",
    "name_token",
    "normalize_contact",
    "normalize_email",
    "normalize_person",
    "parsing_in_bulk",
    "split_full_name",
    "with_domain",
]
