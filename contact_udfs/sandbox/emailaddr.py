"""Address and name helpers shared by the simulated world and the three fake vendors.

They live apart from ``world.py`` because every vendor handler needs the very same
normalization: a verdict must not depend on which vendor was asked, nor on the case or
surrounding whitespace of the address the client sent.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

ROLE_LOCALS = frozenset(
    {"contact", "info", "sales", "support", "admin", "hello", "office", "jobs", "billing"}
)
FREE_DOMAINS = frozenset(
    {
        "gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com", "aol.com",
        "icloud.com", "gmx.de", "web.de", "orange.fr", "free.fr", "laposte.net", "sfr.fr",
        "wanadoo.fr", "yahoo.fr", "hotmail.fr", "protonmail.com",
    }
)
DISPOSABLE_DOMAINS = frozenset(
    {"mailinator.com", "10minutemail.com", "guerrillamail.com", "yopmail.com", "trashmail.com"}
)
# Whole-domain typos FullContact's auto-correct fixes (the doc's "fullcontact.ocm" example).
DOMAIN_TYPOS = {
    "gmial.com": "gmail.com", "gmai.com": "gmail.com", "gamil.com": "gmail.com",
    "gnail.com": "gmail.com", "gmail.co": "gmail.com", "gmaill.com": "gmail.com",
    "hotmial.com": "hotmail.com", "hotmai.com": "hotmail.com", "hotmal.com": "hotmail.com",
    "yaho.com": "yahoo.com", "yahooo.com": "yahoo.com", "outlok.com": "outlook.com",
    "outloo.com": "outlook.com", "orange.ft": "orange.fr",
}
TLD_TYPOS = {"ocm": "com", "con": "com", "cmo": "com", "comm": "com", "vom": "com", "xom": "com"}
RESERVED_DOMAINS = frozenset({"example.com", "example.org", "example.net", "localhost"})
RESERVED_TLDS = frozenset({"test", "invalid", "example", "localhost", "local"})

_LOCAL_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")
_FOLD_EXTRA = str.maketrans({"ß": "ss", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe",
                             "Œ": "OE", "ł": "l", "Ł": "L", "đ": "d", "ı": "i"})


def normalize_email(email: str) -> str:
    """Lower-case and strip: the key every counter and verdict uses."""
    return str(email).strip().lower()


def split_email(email: str) -> tuple[str, str]:
    """Split at the last ``@``; an address without one has an empty domain."""
    local, sep, domain = str(email).rpartition("@")
    if not sep:
        return str(email), ""
    return local, domain


def normalize_domain(domain: str) -> str:
    """Lower-case, drop a trailing dot and decode punycode so IDN spellings meet."""
    d = str(domain).strip().lower().rstrip(".")
    if "xn--" in d:
        try:
            d = d.encode("ascii").decode("idna")
        except UnicodeError:
            pass
    return d


def domain_from_website(website: str) -> str:
    """``https://www.Acme.com/about`` -> ``acme.com``; how Dropcontact reads ``website``."""
    raw = str(website).strip()
    if not raw:
        return ""
    if "//" not in raw:
        raw = "//" + raw
    host = urlsplit(raw).hostname or ""
    host = normalize_domain(host)
    return host[4:] if host.startswith("www.") else host


def valid_syntax(email: str) -> bool:
    """A pragmatic syntax check: one ``@``, sane local part, a dotted domain with a TLD."""
    e = str(email).strip()
    if not e or len(e) > 254 or e.count("@") != 1 or any(c.isspace() for c in e):
        return False
    local, domain = e.split("@")
    if not local or len(local) > 64 or not _LOCAL_RE.match(local):
        return False
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return False
    labels = domain.split(".")
    if len(labels) < 2 or any(not label or len(label) > 63 for label in labels):
        return False
    for label in labels:
        if label.startswith("-") or label.endswith("-"):
            return False
        if not all(c.isalnum() or c == "-" for c in label):
            return False
    tld = labels[-1]
    return tld.startswith("xn--") or (len(tld) >= 2 and tld.isalpha())


def is_typo_domain(domain: str) -> bool:
    """Domains that only exist as misspellings (no mail server behind them)."""
    d = normalize_domain(domain)
    return d in DOMAIN_TYPOS or d.rpartition(".")[2] in TLD_TYPOS


def is_reserved_domain(domain: str) -> bool:
    """RFC 2606 names: no mail is ever delivered there."""
    d = normalize_domain(domain)
    return d in RESERVED_DOMAINS or d.rpartition(".")[2] in RESERVED_TLDS


def correct_email(email: str) -> tuple[str, bool]:
    """FullContact-style auto-correct of common domain typos; returns (address, corrected)."""
    norm = normalize_email(email)
    local, domain = split_email(norm)
    if not domain:
        return norm, False
    fixed = DOMAIN_TYPOS.get(domain)
    if fixed is None:
        base, dot, tld = domain.rpartition(".")
        fixed = f"{base}.{TLD_TYPOS[tld]}" if dot and tld in TLD_TYPOS else domain
        fixed = DOMAIN_TYPOS.get(fixed, fixed)
    return (f"{local}@{fixed}", fixed != domain)


def fold(text: str) -> str:
    """Accent- and case-insensitive form used to match names ("Zoë" == "zoe")."""
    t = unicodedata.normalize("NFKD", str(text).translate(_FOLD_EXTRA))
    t = "".join(c for c in t if not unicodedata.combining(c))
    return " ".join(t.lower().split())


def slug(text: str) -> str:
    """ASCII letters and digits only: the shape names take inside email local parts."""
    return "".join(c for c in fold(text) if c.isascii() and c.isalnum())


def hyphen_slug(text: str) -> str:
    """``Éditions du Soleil`` -> ``editions-du-soleil`` for domains and profile URLs."""
    words = ["".join(c for c in w if c.isascii() and c.isalnum()) for w in fold(text).split()]
    return "-".join(w for w in words if w)
