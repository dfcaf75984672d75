"""FullContact's corrected typos and spamtraps, as a sheet shows them."""

from __future__ import annotations

import pytest
from excel_helpers import column

from contact_udfs.faces.excel import udfs as excel
from contact_udfs.sandbox import Sandbox


def test_a_corrected_typo_and_a_spamtrap_in_cells(excel_env: Sandbox,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    sb = excel_env
    monkeypatch.setenv("CONTACT_UDFS_PROVIDERS", "fullcontact")
    sb.set_readings(spamtraps=True)
    typo, trap = sb.world.typo_emails(1)[0], sb.world.spamtraps(1)[0]
    cells = column([typo, trap])
    assert excel.VERIFY_EMAIL(cells) == [["risky"], ["risky"]]
    assert excel.VERIFY_EMAIL(cells, "reason") == [["corrected"], ["spamtrap"]]
    assert excel.VERIFY_EMAIL(cells, "suggestion") == [[typo.removesuffix(".ocm") + ".com"],
                                                       [""]]
    assert sb.credits_spent("fullcontact") == 2  # once each, the later formulas are cached
    assert sb.requests("fullcontact.submit") == 1
