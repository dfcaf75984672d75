"""Rebuild examples/contacts.csv from the sandbox world (deterministic).

The example sheet mixes real people of the simulator's world (so the provider
examples give answers) with the mess real sheets contain: duplicates in other
case/spacing, typos, role and free-mail addresses, disposable domains, empty
and broken cells, unicode names and an IDN domain.

    python examples/make_contacts.py
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from contact_udfs.sandbox.world import get_world

HEADER = ["first_name", "last_name", "company", "website", "email"]


def build(seed: int = 7) -> list[list[str]]:
    rng = random.Random(seed)
    world = get_world(0)
    people = world.people()
    companies = {c["name"]: c for c in world.companies()}
    picked = people[:24] + rng.sample(people[24:], 96)
    rows: list[list[str]] = []
    for p in picked:
        site = companies[p["company"]]["website"]
        rows.append([p["first_name"], p["last_name"], p["company"], site, p["email"]])
    # duplicates typed differently
    for p in rng.sample(picked, 30):
        variant = rng.choice(
            [
                p["email"].upper(),
                f"  {p['email']} ",
                p["email"].title(),
                f"{p['email']}\u00a0",
                f"\t{p['email'].capitalize()}",
            ]
        )
        rows.append([p["first_name"], p["last_name"], p["company"], "", variant])
    domains = [c["domain"] for c in world.companies()]
    extra = [
        # typos of popular mail domains
        ("Hugo", "Bernard", "", "", "hugo.bernard@gmial.com"),
        ("Léa", "Petit", "", "", "lea.petit@hotmial.com"),
        ("Tom", "Baker", "", "", "tom.baker@yahoo.con"),
        ("Nina", "Simone", "", "", "nina.simone@outlok.com"),
        ("Omar", "Haddad", "", "", "omar.haddad@gmai.com"),
        ("Ines", "Moreau", "", "", "ines.moreau@orange.fr"),
        # free mail
        ("Lucas", "Martin", "", "", "lucas.martin@gmail.com"),
        ("Emma", "Dubois", "", "", "emma.dubois@yahoo.fr"),
        ("Noé", "Laurent", "", "", "noe.laurent@laposte.net"),
        ("Mia", "Weber", "", "", "mia.weber@gmx.de"),
        ("Liam", "Smith", "", "", "liam.smith@outlook.com"),
        ("Chloé", "Roux", "", "", "chloe.roux@free.fr"),
        # disposable
        ("Test", "User", "", "", "test123@mailinator.com"),
        ("Temp", "Mail", "", "", "tmp.user@yopmail.com"),
        # unicode local part, IDN written in punycode
        ("Zoë", "Müller", "Bücher & Söhne GmbH", "www.bücher.de", "ZOE.MULLER@XN--BCHER-KVA.DE"),
        ("José", "García", "", "", "josé.garcía@correo.es"),
        # broken cells
        ("Broken", "Cell", "", "", ""),
        ("Excel", "Error", "", "", "#N/A"),
        ("Excel", "Value", "", "", "#VALUE!"),
        ("No", "At", "", "", "john.doe.acme.com"),
        ("Two", "Ats", "", "", "jane@@acme.com"),
        ("No", "Domain", "", "", "jane@"),
        ("No", "Local", "", "", "@acme-robotics.com"),
        ("Number", "Only", "", "", "12345"),
        ("Space", "Inside", "", "", "ada lovelace@acme-robotics.com"),
        ("Two", "Addresses", "", "", "a@acme.com; b@acme.com"),
        ("Formula", "Injection", "", "", '=HYPERLINK("http://evil.example","click")'),
        ("Mailto", "Prefix", "", "", "mailto:contact@acme-robotics.com"),
        ("Not", "Applicable", "", "", "n/a"),
    ]
    rows += [list(r) for r in extra]
    for local in ("contact", "info", "sales", "support", "hello", "admin"):
        rows.append(["", "", "", "", f"{local}@{rng.choice(domains)}"])
    for i in range(10):
        first, last = rng.choice(people)["first_name"], rng.choice(people)["last_name"]
        rows.append([first, last, "", "", f"{first[0].lower()}{i}.nobody@{rng.choice(domains)}"])
    rng.shuffle(rows)
    return rows


def main() -> None:
    out = Path(__file__).with_name("contacts.csv")
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(build())
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
