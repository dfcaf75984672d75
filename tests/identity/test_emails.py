"""Parsing text cells in bulk: the same answers as through the memo, nothing memoized."""

from __future__ import annotations


def test_parsing_in_bulk_answers_the_same_without_the_memo():
    from contact_udfs.identity import email_parts, parsing_in_bulk
    from contact_udfs.identity import emails as emails_module

    cells = ["Ada@Example.com ", "bob@example.com", "no-at", ""]
    emails_module._classify_cached.cache_clear()
    with parsing_in_bulk():
        bulk = [email_parts(c) for c in cells]
    assert emails_module._classify_cached.cache_info().currsize == 0  # nothing memoized
    assert bulk == [email_parts(c) for c in cells]  # the same answers through the memo
    assert emails_module._classify_cached.cache_info().currsize == len(cells)


# a corpus of cells around every edge the fast paths draw: case, spaces, length limits,
# hyphens, reserved domains, unicode, IDN domains, bad syntax
_CELLS = [
    "Ada@Example.com", "  bob@x.io\t", "ADA@GMAIL.COM\n", "a@b.com\x00", "\x00a@b.com",
    "a--b@c.com", "a@b--c.com", "a@xn--bcher-kva.de", "x@y.test", "x@y.TEST", "x@y.local",
    "x@y.localhost", "x@sub.onion", "x@in-addr.arpa", "x@y.invalid", "x@testing.com",
    "a" * 64 + "@x.com", "a" * 65 + "@x.com", "a@" + "b" * 63 + ".com", "a@" + "b" * 64 + ".com",
    "a@" + ".".join(["b" * 60] * 4) + ".com", "a@b", "a.@b.com", ".a@b.com", "a..b@b.com",
    "a@b.c", "a@b.co", "a@-b.com", "a@b-.com", "a@b.c0m", "a b@c.com", "a@b.com.", "",
    "   ", "no-at", "a@@b.com", "#N/A", "mailto:ada@example.com", "Ada <ada@example.com>",
    "\u00a0ada@example.com", "ada@example.com\u200b", "ünï@x.com", "josé@bücher.de",
    "ada@bücher.de", "ADA@BÜCHER.DE", "  noah@bücher.de ", "ß@straße.de", "a@ÉXAMPLE.fr",
    "postmaster@bücher.de", "a..b@bücher.de", "a@bücher..de", "a@münchen.de.",
    "a" * 60 + "@" + "ü" * 60 + ".de", "a" * 64 + "@" + "ü" * 50 + "." + "b" * 60 + ".de",
    "ada@日本.jp", "ada@xn--wgv71a.jp", "user+tag@sub.domain.co.uk", "o'brien@x.ie",
    "a@123.45.67.89", "a@[1.2.3.4]", '"q"@x.com', "a@b_c.com", "A@B.C-D.COM",
]  # fmt: skip


def test_fast_email_parts_vouches_only_for_what_email_parts_answers_alike():
    import pyarrow as pa

    from contact_udfs.identity import email_parts, fast_email_parts
    from contact_udfs.identity import emails as emails_module

    cells = [*_CELLS, None]
    displays, keys = fast_email_parts(pa.array(cells, pa.large_string()))
    vouched = 0
    for cell, display, key in zip(cells, displays, keys, strict=True):
        if key is None:
            assert display is None
            continue
        vouched += 1
        assert (display, key, None) == emails_module._classify_text(cell), cell
        assert (display, key, None) == email_parts(cell), cell
    assert vouched >= 12  # the plain addresses are taken column-wise
    assert keys[-1] is None  # a null cell is left to the full parser


def test_ascii_local_parts_at_idn_domains_get_the_keys_email_validator_gives():
    """The per-domain shortcut gives every cell the answer of the full check."""
    from unittest import mock

    from contact_udfs.identity import emails as emails_module

    with mock.patch.object(emails_module, "_ascii_local_idn", return_value=None):
        full = [emails_module._classify_text(c) for c in _CELLS]
    emails_module._domain_forms.cache_clear()
    fast = [emails_module._classify_text(c) for c in _CELLS]
    assert fast == full
    assert emails_module._domain_forms.cache_info().hits > 0  # bücher.de checked once
