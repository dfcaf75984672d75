"""Dropcontact ``generic@pro`` (a role mailbox) reaches a cell as risky, reason role."""

from __future__ import annotations

from contact_udfs.faces.excel import udfs as excel
from contact_udfs.sandbox import Sandbox


def test_role_mailboxes_are_risky_role_in_cells(excel_env: Sandbox) -> None:
    sb = excel_env
    plain = [c["domain"] for c in sb.world.companies()
             if not (c["catch_all"] or c["greylisted"])][:5]
    emails = [f"contact@{d}" for d in plain] + [f"support@{d}" for d in plain]
    assert {sb.world.verdict(e).qualification for e in emails} == {"generic@pro"}
    column = [[e] for e in emails]
    assert excel.VERIFY_EMAIL(column) == [["risky"]] * 10
    assert excel.VERIFY_EMAIL(column, "reason") == [["role"]] * 10
    assert excel.VERIFY_EMAIL(column, "role") == [[True]] * 10
    assert sb.credits_spent("dropcontact") == 10 and sb.requests("dropcontact.submit") == 1


def test_contact_credits_is_fresh_after_a_run_without_a_call(excel_env: Sandbox) -> None:
    sb = excel_env
    emails = sb.world.sample_emails(7, seed=21)
    excel.VERIFY_EMAIL([[e] for e in emails])
    sb.reset_counters()
    assert excel.CONTACT_CREDITS("dropcontact") == sb.balance("dropcontact") == 10_000 - 7
    assert sb.requests("*") == 0  # the submit's credits_left answered it
