"""One purchase, every operation it can answer: the reuse rules, as data.

A Dropcontact find, enrichment or verification is the same paid call
(``POST /v1/enrich/all``), and each answer holds the whole contact: the
person's addresses with their qualification, the company and its website. So a
contact bought for one operation is not bought again for another:

* a Dropcontact **enrichment** answers a **find** of the same person (its
  nominative address) and a **verify** of every address it returned;
* a Dropcontact **find** answers an **enrichment** of the same person and a
  **verify** of the addresses it returned;
* a ColdLead **finder** answer (address + status) answers a **verify** of that
  address;
* a **verify** answer never answers a find: it was asked about an address, not
  about a person.

:data:`RULES` is that list; the engine reads it and nothing else, so a rule is
added here, never in a face. The answer itself is re-read from the vendor's
stored object by the provider (:class:`Rereads`), with the same mapping a fresh
answer goes through, so a reused answer is exactly what asking would have given.

Paid answers also teach identity: :data:`ALIAS_FIELDS` names, per provider, the
answer fields that give a company's name and website, from which the engine
learns ``company name -> domain`` aliases (see :mod:`contact_udfs.identity.people`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from ..identity import company_alias, company_of_key, domain_from, normalize_email, with_domain
from ..models import Answer, Operation, Verification, answer_from_dict
from ..providers.base import Provider
from ..store.base import Store
from .items import emails_in

__all__ = [
    "ALIAS_FIELDS",
    "RULES",
    "Rereads",
    "Reuse",
    "address_keys",
    "learn_identities",
    "learned_aliases",
    "reused_answers",
]

F, V, E = Operation.FIND, Operation.VERIFY, Operation.ENRICH


@dataclass(frozen=True)
class Reuse:
    """``provider``'s stored ``source`` answers also answer ``target``."""

    provider: str
    source: Operation
    target: Operation
    #: how the stored answer is found: under the same person key, or by an address it lists
    by: Literal["person", "address"]


RULES: tuple[Reuse, ...] = (
    Reuse("dropcontact", E, F, "person"),
    Reuse("dropcontact", F, E, "person"),
    Reuse("dropcontact", E, V, "address"),
    Reuse("dropcontact", F, V, "address"),
    Reuse("coldlead", F, V, "address"),
)

#: provider -> (company name field, website field) of its answers' raw object
ALIAS_FIELDS: dict[str, tuple[str, str]] = {"dropcontact": ("company", "website")}


@runtime_checkable
class Rereads(Protocol):
    """A provider that can read a stored answer's vendor object as another operation's answer."""

    def reread(self, operation: Operation, key: str, raw: Mapping[str, Any]) -> Answer | None:
        """The answer ``operation`` would get for ``key`` from ``raw``; None if it holds none."""
        ...


def rules_for(provider: str, target: Operation) -> list[Reuse]:
    return [r for r in RULES if r.provider == provider and r.target is target]


def reused_answers(
    store: Store, provider: Provider, operation: Operation, keys: Sequence[str],
    retry_unknown: bool = False,
) -> dict[str, Answer]:  # fmt: skip
    """Answers for ``keys`` that ``provider``'s purchases for other operations already hold.

    Stored answers that are themselves retryable unknowns hold no vendor object worth
    reading and are passed over; so is an address the stored object does not list.
    """
    out: dict[str, Answer] = {}
    rules = rules_for(provider.name, operation)
    if not keys or not rules or not isinstance(provider, Rereads):
        return out
    todo = list(keys)
    for rule in rules:
        if not todo:
            break
        if rule.by == "person":
            found = {
                k: {k: d} for k, d in store.get_many(provider.name, rule.source.value, todo).items()
            }
        else:
            found = store.get_mentioning(provider.name, rule.source.value, todo)
        for key in todo:
            for data in found.get(key, {}).values():
                answer = _reread(provider, operation, key, data, by_address=rule.by == "address")
                if answer is not None and not (retry_unknown and answer.retryable):
                    out[key] = answer
                    break
        todo = [k for k in todo if k not in out]
    return out


def _reread(
    provider: Rereads, operation: Operation, key: str, data: Mapping[str, Any], *,
    by_address: bool,
) -> Answer | None:  # fmt: skip
    raw = data.get("raw")
    if data.get("retryable") or not isinstance(raw, Mapping) or not raw:
        return None
    # the vendor object spells the address its own way (``bücher.de``); the key is ASCII
    asked = _spelling(data, key) if by_address else key
    answer = provider.reread(operation, asked, raw)
    if answer is None or answer.reason == "not_returned":
        return None
    if isinstance(answer, Verification):  # as a fresh verify of the key would read
        answer = answer.replace(email=key, address=key)
    # the purchase's time, not now: the answer is as old as what it was read from
    return answer.replace(from_cache=True, checked_at=data.get("checked_at"))


def _spelling(data: Mapping[str, Any], key: str) -> str:
    """The address as the stored answer lists it, for the address whose cache key is ``key``."""
    try:
        listed = emails_in(answer_from_dict(dict(data)))
    except (ValueError, TypeError):
        return key
    return next((a for a in sorted(listed) if a == key or normalize_email(a).key == key), key)


def address_keys(addresses: set[str]) -> set[str]:
    """``addresses`` plus their cache keys (``bücher.de`` -> ``xn--bcher-kva.de``).

    Answers are indexed under both, so a verify - whose key is the ASCII form - finds
    the find or enrichment that listed the address in the vendor's spelling.
    """
    out = set(addresses)
    for address in addresses:
        if address.isascii() and address == address.strip().lower():
            continue  # already its own key: most vendor answers, and every verify
        key = normalize_email(address).key
        if key:
            out.add(key)
    return out


def learned_aliases(provider: str, answers: Mapping[str, Answer]) -> dict[str, dict[str, str]]:
    """Key -> {company alias: domain} taught by each answer (see :data:`ALIAS_FIELDS`)."""
    fields = ALIAS_FIELDS.get(provider)
    if fields is None:
        return {}
    out: dict[str, dict[str, str]] = {}
    for key, answer in answers.items():
        raw = answer.raw or {}
        alias, domain = company_alias(raw.get(fields[0])), domain_from(raw.get(fields[1]))
        if alias and domain:
            out[key] = {alias: domain}
    return out


def learn_identities(
    store: Store, provider: str, operation: Operation, answers: Mapping[str, Answer],
    rows: Mapping[str, dict[str, Any]], emails: Mapping[str, Collection[str]], *,
    ttl: float | None,
) -> None:  # fmt: skip
    """Keep what saved answers teach of their company, so the next spelling is free.

    * the ``company name -> domain`` aliases (a row naming the company is then
      re-keyed to the domain, :mod:`contact_udfs.core.people`);
    * an answer bought by company name is also filed under the person's domain key,
      so the same person asked later by domain (or website) reads it. An answer
      already stored under that key - bought by domain - is left as it is.
    """
    aliases = learned_aliases(provider, answers)
    if not aliases:
        return
    by_domain = {
        with_domain(key, domain): key
        for key, pairs in aliases.items() if company_of_key(key) is not None
        for domain in pairs.values()
    }  # fmt: skip
    if by_domain:
        known = store.get_many(provider, operation.value, list(by_domain))
        by_domain = {k: src for k, src in by_domain.items() if k not in known}
    if by_domain:
        store.put_many(provider, operation.value, {k: rows[s] for k, s in by_domain.items()},
                       ttl=ttl, emails={k: emails.get(s, ()) for k, s in by_domain.items()})
        aliases.update({k: aliases[s] for k, s in by_domain.items()})  # forget erases both
    store.add_aliases(provider, operation.value, aliases)
