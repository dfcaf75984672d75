"""Fixed pools the synthetic world draws from.

Kept as plain data so the world is reproducible from a seed alone and so the pools can
deliberately include the spellings that break naive code: accents, hyphens, particles,
apostrophes and an internationalized domain.
"""

from __future__ import annotations

# (company name, domain or None to derive one, country)
ANCHOR_COMPANIES: list[tuple[str, str | None, str]] = [
    ("Acme Robotics", "acme-robotics.com", "US"),
    ("Bücher & Söhne GmbH", "bücher.de", "DE"),
    ("Éditions du Soleil", "editions-du-soleil.fr", "FR"),
    ("García Logística", "garcia-logistica.es", "ES"),
]

COMPANY_PREFIXES = [
    "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay", "Soylent",
    "Tyrell", "Cyberdyne", "Wonka", "Oscorp", "Aperture", "Massive", "Nakatomi", "Pied Piper",
    "Gekko", "Duff", "Monarch", "Prestige", "Sterling", "Dunder", "Bluth", "Krusty",
    "Northwind", "Contoso", "Fabrikam", "Litware", "Tailspin", "Adatum", "Proseware",
    "Lucerne", "Wingtip", "Fourth Coffee", "Margie", "Woodgrove", "Blue Yonder", "Coho",
    "Sirius", "Vertex", "Nimbus", "Helix", "Orbit", "Zenith", "Apex", "Pinnacle",
]
COMPANY_SUFFIXES = [
    "Robotics", "Analytics", "Logistics", "Foods", "Labs", "Energy", "Systems", "Consulting",
    "Media", "Health", "Capital", "Software", "Dynamics", "Industries", "Partners", "Networks",
]
FRENCH_COMPANIES = [
    "Atelier Lumière", "Maison Dupré", "Fromagerie Bréval", "Côté Jardin", "Vins de Loire",
    "Boulangerie Étoile", "Cabinet Lefèvre", "Société Mécanique de l'Est", "Chaussures Ferré",
    "Librairie Mollat-Renée", "Brasserie Hélène", "Conseil & Stratégie",
]

# (first name, civility) - civility as Dropcontact spells it.
FIRST_NAMES: list[tuple[str, str]] = [
    ("Zoë", "Mme"), ("José", "M"), ("Anne-Sophie", "Mme"), ("François", "M"),
    ("Chloé", "Mme"), ("Björn", "M"), ("Łukasz", "M"), ("Renée", "Mme"), ("Hélène", "Mme"),
    ("Jürgen", "M"), ("Noémie", "Mme"), ("Inès", "Mme"), ("Søren", "M"), ("Ada", "Mme"),
    ("Alan", "M"), ("Grace", "Mme"), ("Peter", "M"), ("John", "M"), ("Samuel", "M"),
    ("Denis", "M"), ("Marie", "Mme"), ("Julien", "M"), ("Camille", "Mme"), ("Lucas", "M"),
    ("Emma", "Mme"), ("Olivia", "Mme"), ("Liam", "M"), ("Noah", "M"), ("Mia", "Mme"),
    ("Sofia", "Mme"), ("Mateo", "M"), ("Yuki", "Mme"), ("Hiroshi", "M"), ("Priya", "Mme"),
    ("Arjun", "M"), ("Fatima", "Mme"), ("Omar", "M"), ("Elena", "Mme"), ("Ivan", "M"),
    ("Katarzyna", "Mme"), ("Thomas", "M"), ("Claire", "Mme"), ("Pierre", "M"),
    ("Isabelle", "Mme"), ("Nicolas", "M"), ("Léa", "Mme"), ("Hugo", "M"), ("Manon", "Mme"),
    ("Jean-Baptiste", "M"), ("Marie-Claire", "Mme"), ("Benoît", "M"), ("Agnès", "Mme"),
    ("Gaël", "M"), ("Anaïs", "Mme"), ("Raphaël", "M"), ("Céline", "Mme"), ("Jérôme", "M"),
    ("Sarah", "Mme"), ("David", "M"), ("Laura", "Mme"), ("Daniel", "M"), ("Anna", "Mme"),
]

LAST_NAMES = [
    "Müller", "García", "de La Tour", "Nguyen", "O'Brien", "Dubois", "Lefèvre", "Şahin",
    "Kowalski", "Smith", "Jones", "Johnson", "Brown", "Martin", "Bernard", "Petit", "Durand",
    "Schmidt", "Rossi", "Silva", "Kim", "Tanaka", "Lovelace", "Turing", "Hopper", "Jackson",
    "Dupont", "Moreau", "Laurent", "Simon", "Michel", "Leroy", "Roux", "David", "Bertrand",
    "Fournier", "Girard", "Bonnet", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller",
    "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier", "Perrin",
    "Weber", "Wagner", "Becker", "Hoffmann", "Schäfer", "Koch", "Richter", "Klein", "Wolf",
    "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Díaz", "Álvarez",
    "Romero", "Ruiz", "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos", "Gil", "Serrano",
    "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco",
    "Bruno", "Gallo", "Conti", "De Luca", "Costa", "Giordano", "Mancini", "Rizzo", "Lombardi",
    "Moretti", "Barbieri", "Fontana", "Santoro", "Mariani", "Rinaldi", "Caruso", "Ferrara",
    "Williams", "Taylor", "Davies", "Evans", "Wilson", "Thomas", "Roberts", "Walker",
    "Wright", "Robinson", "Thompson", "White", "Hughes", "Edwards", "Green", "Hall", "Wood",
    "Harris", "Lewis", "Clarke", "Patel", "Cooper", "Ward", "Morris", "King", "Baker",
    "Nakamura", "Suzuki", "Watanabe", "Yamamoto", "Ito", "Sato", "Chen", "Wang", "Li", "Zhang",
    "Liu", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Park", "Choi", "Jung",
    "Nowak", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski", "Zieliński", "Szymański",
    "Novák", "Dvořák", "Svoboda", "Černý", "Procházka", "Kuchař", "Andersson", "Johansson",
    "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson", "Svensson", "Gustafsson",
]

# (job title, job_level, job_function) as Dropcontact reports them.
JOBS: list[tuple[str, str, str]] = [
    ("CEO", "Executive", "General Management"),
    ("CTO", "Executive", "Engineering"),
    ("Head of Sales", "Manager", "Sales"),
    ("Customer Success Manager", "Senior", "Sales"),
    ("Marketing Manager", "Manager", "Marketing"),
    ("Software Engineer", "Senior", "Engineering"),
    ("Data Analyst", "Junior", "Engineering"),
    ("HR Business Partner", "Senior", "Human Resources"),
    ("Account Executive", "Senior", "Sales"),
    ("Chief Financial Officer", "Executive", "Finance"),
    ("Office Manager", "Manager", "Administration"),
    ("Product Manager", "Manager", "Product"),
]

EMAIL_PATTERNS = ["first.last", "flast", "first", "firstlast", "f.last", "first_last", "lastf",
                  "last"]

NAF_CODES = [
    ("62.01Z", "Programmation informatique"), ("70.22Z", "Conseil pour les affaires"),
    ("10.71C", "Boulangerie et boulangerie-pâtisserie"), ("47.61Z", "Commerce de livres"),
    ("11.02B", "Vinification"), ("28.99B", "Fabrication d'autres machines spécialisées"),
    ("58.11Z", "Édition de livres"), ("56.30Z", "Débits de boissons"),
]

FRENCH_CITIES = [
    ("75002", "Paris"), ("69002", "Lyon"), ("33000", "Bordeaux"), ("67000", "Strasbourg"),
    ("44000", "Nantes"), ("31000", "Toulouse"), ("13001", "Marseille"), ("59000", "Lille"),
]
STREETS = ["Rue de la Paix", "Avenue Jean Jaurès", "Boulevard Voltaire", "Rue Rotland",
           "Place Bellecour", "Quai des Chartrons", "Rue du Faubourg Saint-Honoré"]
