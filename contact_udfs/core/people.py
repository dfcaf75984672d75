"""One person, however the sheet names their organisation.

A find or enrich row keyed by a company *name* (``ada|lovelace|company:acme robotics``)
is a different key from the same person at a *domain*. Once a paid answer has
taught that ``Acme Robotics`` is ``acme-robotics.com`` (the store's aliases, see
:mod:`contact_udfs.core.reuse`), the row is re-keyed to the domain before any
lookup, so it reads the answer already bought - and, if it must still be sent,
is sent with that domain and stored where the next spelling will find it.
"""

from __future__ import annotations

import dataclasses

from ..identity import company_alias, company_of_key, with_domain
from ..models import Operation
from ..store.base import Store
from .items import Item

__all__ = ["resolve_companies"]


def resolve_companies(store: Store, operation: Operation, rows: list[Item]) -> list[Item]:
    """``rows`` with each company-name key whose company is a known alias re-keyed to its domain.

    One store read for the whole call, and none when no row names a company only.
    """
    if operation is Operation.VERIFY:
        return rows
    names: dict[int, str] = {}
    for i, item in enumerate(rows):
        if item.key is not None and company_of_key(item.key) is not None:
            alias = company_alias(item.payload.get("company"))
            if alias:
                names[i] = alias
    if not names:
        return rows
    known = store.aliases(set(names.values()))
    if not known:
        return rows
    out = list(rows)
    for i, alias in names.items():
        domain = known.get(alias)
        if domain is None:
            continue
        item = rows[i]
        payload = dict(item.payload)
        if operation is Operation.FIND:
            payload["domain"] = domain
        else:
            payload.setdefault("website", domain)
        out[i] = dataclasses.replace(item, key=with_domain(item.key or "", domain), payload=payload)
    return out
