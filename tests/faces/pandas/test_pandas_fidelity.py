"""FullContact's corrected typos and spamtraps, as ``df.contacts.verify`` shows them."""

from __future__ import annotations

import pandas as pd
import pytest

import contact_udfs  # noqa: F401  (registers df.contacts)
from contact_udfs.sandbox import Sandbox


def test_a_corrected_typo_and_a_spamtrap_in_a_frame(sandbox_env: Sandbox,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    sb = sandbox_env
    monkeypatch.setenv("CONTACT_UDFS_PROVIDERS", "fullcontact")
    sb.set_readings(spamtraps=True)
    typos, traps = sb.world.typo_emails(3), sb.world.spamtraps(2)
    df = pd.DataFrame({"email": [*typos, *traps]})
    out = df.contacts.verify(progress=False)
    by_email = out.set_index("email")
    for typo in typos:
        row = by_email.loc[typo]
        assert row["email_status"] != "deliverable"
        assert row["email_suggestion"] == typo.removesuffix(".ocm") + ".com"
    assert (by_email.loc[typos[0], "email_status"], by_email.loc[typos[0], "email_reason"]) == (
        "risky", "corrected")
    for trap in traps:
        assert tuple(by_email.loc[trap, ["email_status", "email_reason"]]) == ("risky",
                                                                               "spamtrap")
    assert sb.credits_spent("fullcontact") == 5
