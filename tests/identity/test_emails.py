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
