"""What Dropcontact answers for one contact: find or verify the email, then fill fields.

Separate from the HTTP handler so the deterministic answer can be reasoned about (and
unit tested) without a server: same contact, same seed, same answer.
"""

from __future__ import annotations

from typing import Any

from . import names
from .emailaddr import domain_from_website, fold, normalize_email
from .world import Company, Person, Verdict, World

COUNTRIES = {"FR": "France", "US": "United States", "GB": "United Kingdom", "DE": "Germany",
             "ES": "Spain"}
_CIVILITY = {fold(first): civ for first, civ in names.FIRST_NAMES}


def qualify(verdict: Verdict, language: str) -> str:
    """The qualification label: seeds 000/001 document only the English ones.

    ``language`` changes the language of the results (seed 001), but no seed shows a
    qualification in another language, so none is invented here.
    """
    return verdict.qualification


def _names(contact: dict[str, Any]) -> tuple[str, str]:
    first = str(contact.get("first_name") or "").strip()
    last = str(contact.get("last_name") or "").strip()
    full = str(contact.get("full_name") or "").strip()
    if full and not (first and last):
        head, _, tail = full.partition(" ")
        first, last = first or head, last or tail
    return first, last


def contact_key(contact: dict[str, Any]) -> str:
    """The identity one credit is charged for (to spot double charges in tests)."""
    email = contact.get("email")
    if isinstance(email, str) and email.strip():
        return normalize_email(email)
    first, last = _names(contact)
    where = domain_from_website(str(contact.get("website") or "")) or fold(
        str(contact.get("company") or ""))
    who = fold(f"{first} {last}") or fold(str(contact.get("linkedin") or ""))
    return f"person:{who}@{where}"


def _company_for(world: World, contact: dict[str, Any], verdict: Verdict | None) -> Company | None:
    found = world.resolve_company(str(contact.get("company") or ""),
                                  str(contact.get("website") or ""))
    if found is None and verdict is not None:
        found = verdict.company
    return found


def enrich_contact(world: World, contact: dict[str, Any], *, siren: bool,
                   language: str) -> dict[str, Any]:
    """The enriched contact: the input echoed (custom_fields untouched) plus what is known."""
    out = dict(contact)
    raw_email = contact.get("email")
    given = raw_email.strip() if isinstance(raw_email, str) and raw_email.strip() else None
    verdict = world.verdict(given) if given else None
    company = _company_for(world, contact, verdict)
    first, last = _names(contact)
    found: Person | None = None
    if first and last and company is not None:
        candidate = world.find_person(f"{first} {last}", company.domain)
        found = candidate if candidate and candidate.dropcontact_findable else None
    if found is None and contact.get("linkedin"):
        candidate = world.person_by_linkedin(str(contact["linkedin"]))
        found = candidate if candidate and candidate.dropcontact_findable else None
        company = company or (found.company if found else None)
    person = (verdict.person if verdict else None) or found

    emails: list[dict[str, str]] = []
    if found is not None and (verdict is None or found.email != verdict.email):
        emails.append({"email": found.email,
                       "qualification": qualify(world.verdict(found.email), language)})
    if given is not None and verdict is not None:
        emails.append({"email": given, "qualification": qualify(verdict, language)})
    wanted_a_person = bool(first and last) or bool(contact.get("linkedin"))
    if wanted_a_person and found is None and company is not None and not any(
            e["email"].lower().startswith("contact@") for e in emails):
        generic = f"contact@{company.domain}"
        emails.append({"email": generic, "qualification": qualify(world.verdict(generic),
                                                                  language)})
    if emails:
        out["email"] = emails
    else:
        out.pop("email", None)

    if person is not None:
        _fill_person(out, person)
    elif first:
        civ = _CIVILITY.get(fold(first))
        if civ:
            out["civility"] = civ
        if first and last:
            out.setdefault("full_name", f"{first} {last}")
    if company is not None:
        _fill_company(out, company, siren)
    return out


def _fill_person(out: dict[str, Any], p: Person) -> None:
    out.update({"civility": p.civility, "first_name": p.first_name, "last_name": p.last_name,
                "full_name": p.full_name, "job": p.job, "job_level": p.job_level,
                "job_function": p.job_function, "linkedin": p.linkedin})
    if p.mobile_phone:
        out["mobile_phone"] = p.mobile_phone


def _fill_company(out: dict[str, Any], c: Company, siren: bool) -> None:
    out.update({"company": c.name, "website": c.website, "phone": out.get("phone") or c.phone,
                "company_linkedin": c.linkedin, "nb_employees": c.nb_employees,
                "country": COUNTRIES.get(c.country, c.country)})
    if siren and c.country == "FR":
        out.update({"siren": c.siren, "siret": c.siret,
                    "siret_address": f"{c.street}, {c.zip} {c.city}", "siret_zip": c.zip,
                    "siret_city": c.city, "vat": c.vat, "naf5_code": c.naf5_code,
                    "naf5_des": c.naf5_des, "company_turnover": c.turnover,
                    "company_results": c.results})
