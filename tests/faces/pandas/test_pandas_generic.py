"""``df.contacts``: a Dropcontact role mailbox is not the last word of a waterfall."""

from __future__ import annotations

import pandas as pd

import contact_udfs  # noqa: F401  (registers df.contacts)
from contact_udfs.sandbox import Sandbox


def test_generic_asks_the_next_provider(sandbox_env: Sandbox) -> None:
    sb = sandbox_env
    companies = sb.world.companies()
    plain = [c["domain"] for c in companies if not (c["catch_all"] or c["greylisted"])][:6]
    catch_all = [c["domain"] for c in companies if c["catch_all"]][:4]
    emails = [f"contact@{d}" for d in plain + catch_all]
    assert {sb.world.verdict(e).qualification for e in emails} == {"generic@pro"}
    out = pd.DataFrame({"email": emails}).contacts.verify(progress=False)
    # Dropcontact only says "role mailbox": ColdLead, next in the waterfall, verifies it
    assert sb.credits_spent("dropcontact") == 10 and sb.credits_spent("coldlead") == 10
    assert sorted(sb.charges("coldlead").values()) == [1] * 10  # each asked once
    assert list(out["email_status"][:6]) == ["deliverable"] * 6  # ColdLead: accepted
    assert set(out["email_provider"][:6]) == {"coldlead"}
    assert list(out["email_status"][6:]) == ["risky"] * 4  # catch-all domains
    assert out["email_role"].all()
