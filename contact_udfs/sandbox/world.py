"""A deterministic synthetic world of companies, people and mailboxes.

The three fake vendors answer from this one ground truth, so a test can ask
``world.verdict(email)`` what any vendor must say about any address, and two sandboxes
built with the same seed agree on everything. Addresses outside the world still get a
stable verdict derived from a hash, so arbitrary test data never makes the vendors flaky.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from . import names
from .emailaddr import (
    DISPOSABLE_DOMAINS,
    FREE_DOMAINS,
    ROLE_LOCALS,
    domain_from_website,
    fold,
    hyphen_slug,
    is_reserved_domain,
    is_typo_domain,
    normalize_domain,
    normalize_email,
    slug,
    split_email,
    valid_syntax,
)
from .samples import sample_emails, spamtrap_emails, typo_emails

PEOPLE_PER_COMPANY = 8
N_COMPANIES = 60
_LEGAL_WORDS = {"inc", "llc", "ltd", "gmbh", "sas", "sa", "sarl", "corp", "co", "plc", "ag"}
_PHONE_PREFIX = {"FR": "+33 1", "US": "+1 415", "GB": "+44 20", "DE": "+49 30", "ES": "+34 91"}


def unit(*parts: object) -> float:
    """A stable pseudo-random number in [0, 1) for the given parts (no global RNG state)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True)
class Company:
    """One company: a domain with an email pattern and a mail server behaviour."""

    name: str
    domain: str
    country: str
    pattern: str
    catch_all: bool
    greylisted: bool
    phone: str
    nb_employees: str
    linkedin: str
    siren: str
    siret: str
    street: str
    zip: str
    city: str
    naf5_code: str
    naf5_des: str
    turnover: str
    results: str

    @property
    def website(self) -> str:
        return f"www.{self.domain}"

    @property
    def vat(self) -> str:
        digits = self.siren.replace(" ", "")
        return f"FR{int(digits) % 97:02d}{digits}"


@dataclass(frozen=True)
class Person:
    """One employee with the nominative address their company's pattern gives them."""

    first_name: str
    last_name: str
    civility: str
    company: Company
    email: str
    job: str
    job_level: str
    job_function: str
    linkedin: str
    mobile_phone: str | None
    dropcontact_findable: bool
    coldlead_findable: bool

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def as_dict(self) -> dict[str, Any]:
        """The flat shape tests use (no nested company object)."""
        return {
            "first_name": self.first_name, "last_name": self.last_name,
            "full_name": self.full_name, "civility": self.civility,
            "company": self.company.name, "domain": self.company.domain, "email": self.email,
            "job": self.job, "job_level": self.job_level, "job_function": self.job_function,
            "linkedin": self.linkedin, "mobile_phone": self.mobile_phone,
            "dropcontact_findable": self.dropcontact_findable,
            "coldlead_findable": self.coldlead_findable,
        }


@dataclass(frozen=True)
class Verdict:
    """Ground truth for one address, in a neutral vocabulary each vendor translates.

    ``status``/``reason`` use ColdLead's words (plus ``invalid`` for bad syntax);
    ``local_kind``/``domain_kind`` are Dropcontact's English qualification halves.
    """

    email: str
    local: str
    domain: str
    syntax_valid: bool
    status: str
    reason: str
    accept_all: bool = False
    disposable: bool = False
    role: bool = False
    free: bool = False
    domain_kind: str = "pro"
    local_kind: str = "nominative"
    fullcontact_failed: bool = False
    #: a spamtrap (FullContact ``attributes.risky``): it accepts mail, so only a vendor
    #: that keeps trap lists can tell; reported only with the ``spamtraps`` reading on
    spamtrap: bool = False
    person: Person | None = field(default=None, compare=False)
    company: Company | None = field(default=None, compare=False)

    @property
    def qualification(self) -> str:
        """Dropcontact's English ``local@domain`` qualification."""
        return f"{self.local_kind}@{self.domain_kind}"

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["person"] = self.person.as_dict() if self.person else None
        d["company"] = self.company.name if self.company else None
        d["qualification"] = self.qualification
        return d


def _render(pattern: str, first: str, last: str) -> str:
    f, la = slug(first), slug(last)
    return {
        "first.last": f"{f}.{la}", "flast": f"{f[:1]}{la}", "first": f, "firstlast": f"{f}{la}",
        "f.last": f"{f[:1]}.{la}", "first_last": f"{f}_{la}", "lastf": f"{la}{f[:1]}",
        "last": la,
    }[pattern]


def company_key(name: str) -> str:
    """Name key that ignores case, accents, punctuation and legal suffixes (GmbH, SAS...)."""
    words = [w for w in hyphen_slug(name).split("-") if w and w not in _LEGAL_WORDS]
    return "-".join(words)


class World:
    """All companies and people for one seed, with lookups the vendors need."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        rng = random.Random(f"contact-udfs-world-{seed}")
        self._companies = self._make_companies(rng)
        self._people: list[Person] = []
        for i, company in enumerate(self._companies):
            self._people.extend(self._make_people(rng, company, i))
        self._by_domain = {c.domain: c for c in self._companies}
        self._by_name: dict[str, Company] = {}
        for c in self._companies:
            self._by_name.setdefault(company_key(c.name), c)
            self._by_name.setdefault(company_key(c.domain.rpartition(".")[0]), c)
        self._by_email = {p.email: p for p in self._people}
        self._by_name_at: dict[tuple[str, str], Person] = {
            (p.company.domain, fold(p.full_name)): p for p in self._people
        }
        self._by_linkedin = {p.linkedin.rstrip("/"): p for p in self._people}

    # ----- construction -------------------------------------------------------------
    def _make_companies(self, rng: random.Random) -> list[Company]:
        specs: list[tuple[str, str, str]] = []
        for name, domain, country in names.ANCHOR_COMPANIES:
            specs.append((name, domain or f"{hyphen_slug(name)}.com", country))
        for name in names.FRENCH_COMPANIES:
            specs.append((name, f"{hyphen_slug(name)}.fr", "FR"))
        prefixes = list(names.COMPANY_PREFIXES)
        rng.shuffle(prefixes)
        for prefix in prefixes[: N_COMPANIES - len(specs)]:
            name = f"{prefix} {rng.choice(names.COMPANY_SUFFIXES)}"
            tld, country = rng.choice([(".com", "US")] * 4 + [(".io", "US"), (".co.uk", "GB")])
            specs.append((name, f"{hyphen_slug(name)}{tld}", country))
        n_anchor = len(names.ANCHOR_COMPANIES)
        others = list(range(n_anchor, len(specs)))
        special = rng.sample(others, 9)
        catch_all, greylisted = set(special[:6]), set(special[6:])
        companies = []
        for i, (name, domain, country) in enumerate(specs):
            pattern = "first.last" if i < 2 else rng.choice(names.EMAIL_PATTERNS)
            siren_n = rng.randrange(100_000_000, 999_999_999)
            siren = f"{siren_n // 1_000_000:03d} {siren_n // 1000 % 1000:03d} {siren_n % 1000:03d}"
            zip_code, city = rng.choice(names.FRENCH_CITIES)
            naf = rng.choice(names.NAF_CODES)
            turnover = rng.randrange(200_000, 90_000_000)
            companies.append(Company(
                name=name, domain=normalize_domain(domain), country=country, pattern=pattern,
                catch_all=i in catch_all, greylisted=i in greylisted,
                phone=f"{_PHONE_PREFIX.get(country, '+1 555')} {rng.randrange(100, 999)} "
                      f"{rng.randrange(1000, 9999)}",
                nb_employees=str(rng.choice([8, 15, 42, 120, 202, 530, 1200, 5400])),
                linkedin=f"https://www.linkedin.com/company/{company_key(name)}/",
                siren=siren, siret=f"{siren} {rng.randrange(10, 99999):05d}",
                street=f"{rng.randrange(1, 120)} {rng.choice(names.STREETS)}",
                zip=zip_code, city=city, naf5_code=naf[0], naf5_des=naf[1],
                turnover=str(turnover), results=str(int(turnover * rng.uniform(-0.05, 0.15))),
            ))
        return companies

    def _make_people(self, rng: random.Random, company: Company, index: int) -> list[Person]:
        anchors = {0: ("Ada", "Lovelace"), 1: ("Zoë", "Müller"), 2: ("Anne-Sophie", "de La Tour"),
                   3: ("José", "García")}
        civility = dict(names.FIRST_NAMES)
        chosen: list[tuple[str, str]] = []
        if index in anchors:
            chosen.append(anchors[index])
        firsts = [f for f, _ in names.FIRST_NAMES]
        while len(chosen) < PEOPLE_PER_COMPANY:
            first, last = rng.choice(firsts), rng.choice(names.LAST_NAMES)
            if any(slug(first) == slug(f) or slug(last) == slug(la) for f, la in chosen):
                continue
            chosen.append((first, last))
        people = []
        for j, (first, last) in enumerate(chosen):
            job = names.JOBS[0] if j == 0 else rng.choice(names.JOBS[1:])
            local = _render(company.pattern, first, last)
            email = f"{local}@{company.domain}"
            tag = hashlib.sha256(f"{self.seed}|{email}".encode()).hexdigest()[:6]
            u = unit(self.seed, "dc-find", email)
            v = unit(self.seed, "cl-find", email)
            anchor = index in anchors and j == 0
            mobile = f"+33 6 {rng.randrange(10, 99)} {rng.randrange(10, 99)} " \
                     f"{rng.randrange(10, 99)} {rng.randrange(10, 99)}"
            people.append(Person(
                first_name=first, last_name=last, civility=civility[first], company=company,
                email=email, job=job[0], job_level=job[1], job_function=job[2],
                linkedin=f"https://www.linkedin.com/in/{hyphen_slug(first)}-"
                         f"{hyphen_slug(last)}-{tag}",
                mobile_phone=mobile if rng.random() < 0.5 else None,
                dropcontact_findable=anchor or u < 0.7,
                coldlead_findable=anchor or v >= 0.1,
            ))
        return people

    # ----- public lookups ---------------------------------------------------------------
    def people(self) -> list[dict[str, Any]]:
        """Every person as a flat dict (first_name, last_name, company, domain, email...)."""
        return [p.as_dict() for p in self._people]

    def companies(self) -> list[dict[str, Any]]:
        """Every company as a dict (name, domain, pattern, catch_all, greylisted...)."""
        return [asdict(c) | {"website": c.website} for c in self._companies]

    def person_objects(self) -> list[Person]:
        return list(self._people)

    def company_by_domain(self, domain: str) -> Company | None:
        return self._by_domain.get(normalize_domain(domain))

    def company_by_name(self, name: str) -> Company | None:
        return self._by_name.get(company_key(name))

    def resolve_company(self, company: str = "", website: str = "") -> Company | None:
        """How Dropcontact finds a company: website first, then name (or a bare domain)."""
        if website:
            found = self.company_by_domain(domain_from_website(website))
            if found:
                return found
        if company:
            return self.company_by_name(company) or self.company_by_domain(company)
        return None

    def person_by_email(self, email: str) -> Person | None:
        local, domain = split_email(normalize_email(email))
        return self._by_email.get(f"{local}@{normalize_domain(domain)}")

    def person_by_linkedin(self, url: str) -> Person | None:
        return self._by_linkedin.get(str(url).strip().rstrip("/"))

    def find_person(self, full_name: str, domain: str) -> Person | None:
        """Match a name at a company domain, ignoring case and accents."""
        return self._by_name_at.get((normalize_domain(domain), fold(full_name)))

    # ----- verdicts ---------------------------------------------------------------------
    def verdict(self, email: str) -> Verdict:
        """The ground truth every vendor answers from (stable for any input string)."""
        return _verdict(self, normalize_email(email))

    def spamtraps(self, n: int, seed: int = 0) -> list[str]:
        """``n`` distinct spamtrap addresses (deliverable, but ``attributes.risky``)."""
        return spamtrap_emails(self, n, seed)

    def typo_emails(self, n: int) -> list[str]:
        """``n`` employees' addresses typed ``.ocm`` for ``.com`` (seed 003's example)."""
        return typo_emails(self, n)

    def sample_emails(self, n: int, seed: int = 0) -> list[str]:
        """``n`` distinct realistic addresses mixing every kind of verdict."""
        return sample_emails(self, n, seed)


def _verdict(world: World, email: str) -> Verdict:
    local, raw_domain = split_email(email)
    if not valid_syntax(email):
        return Verdict(email, local, raw_domain, False, "invalid", "invalid_email",
                       domain_kind="invalid", local_kind="invalid")
    domain = normalize_domain(raw_domain)
    role = local in ROLE_LOCALS
    base: dict[str, Any] = {"email": email, "local": local, "domain": domain,
                            "syntax_valid": True, "role": role}
    seed = world.seed
    if domain in DISPOSABLE_DOMAINS:
        return Verdict(**base, status="risky", reason="disposable", disposable=True,
                       domain_kind="perso", local_kind="random")
    if domain in FREE_DOMAINS:
        if unit(seed, "free", email) < 0.75:
            return Verdict(**base, status="deliverable", reason="accepted_email", free=True,
                           domain_kind="perso", spamtrap=_trap(seed, email))
        return Verdict(**base, status="undeliverable", reason="rejected_email", free=True,
                       domain_kind="perso", local_kind="invalid")
    company = world.company_by_domain(domain)
    if company is not None:
        person = world.person_by_email(email)
        kind = "generic" if role else "nominative"
        extra: dict[str, Any] = {"person": person, "company": company}
        if company.greylisted:
            return Verdict(**base, **extra, status="unknown", reason="timeout",
                           local_kind="generic" if role else "non_confirm")
        if company.catch_all:
            return Verdict(**base, **extra, status="risky", reason="accept_all", accept_all=True,
                           local_kind="generic" if role else "non_confirm")
        if person is not None or role:
            return Verdict(**base, **extra, status="deliverable", reason="accepted_email",
                           local_kind=kind)
        return Verdict(**base, **extra, status="undeliverable", reason="rejected_email",
                       local_kind="invalid")
    if is_reserved_domain(domain) or is_typo_domain(domain):
        return Verdict(**base, status="undeliverable", reason="invalid_domain",
                       domain_kind="invalid", local_kind="invalid")
    return _external_verdict(seed, base, role)


def _external_verdict(seed: int, base: dict[str, Any], role: bool) -> Verdict:
    """Addresses at domains the world does not know: a stable hash decides."""
    email, domain = base["email"], base["domain"]
    d = unit(seed, "domain", domain)
    failed = unit(seed, "fcfail", email) < 0.04
    if d < 0.08:
        return Verdict(**base, status="undeliverable", reason="invalid_domain",
                       domain_kind="invalid", local_kind="invalid")
    if d < 0.18:
        return Verdict(**base, status="risky", reason="accept_all", accept_all=True,
                       local_kind="generic" if role else "non_confirm", fullcontact_failed=failed)
    if d < 0.30:
        reason = "no_connect" if d < 0.22 else "unavailable_smtp" if d < 0.26 else "timeout"
        return Verdict(**base, status="unknown", reason=reason,
                       local_kind="generic" if role else "non_confirm", fullcontact_failed=failed)
    if unit(seed, "mbox", email) < 0.75:
        return Verdict(**base, status="deliverable", reason="accepted_email",
                       local_kind="generic" if role else "nominative", fullcontact_failed=failed,
                       spamtrap=_trap(seed, email))
    return Verdict(**base, status="undeliverable", reason="rejected_email", local_kind="invalid",
                   fullcontact_failed=failed)


def _trap(seed: int, email: str) -> bool:
    """About one deliverable free-mail or unknown-domain address in twelve is a trap.

    Never a world employee's address: traps are abandoned or planted mailboxes.
    """
    return unit(seed, "spamtrap", email) < 0.08


@lru_cache(maxsize=8)
def get_world(seed: int = 0) -> World:
    """A shared world per seed: building one takes a few milliseconds, not worth repeating."""
    return World(seed)
