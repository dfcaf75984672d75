"""The Jupyter panel, driven headless: set the form, click, read ``panel.result``."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_index_equal

import contact_udfs  # noqa: F401  (registers df.contacts)
from contact_udfs import Client
from contact_udfs.core.columns import output_columns
from contact_udfs.core.columns_detect import ROLES
from contact_udfs.faces.pandas.panel import UNUSED, ContactsPanel
from contact_udfs.models import Operation
from contact_udfs.sandbox import Sandbox
from contact_udfs.sandbox.world import get_world


def contacts(n: int = 60) -> pd.DataFrame:
    """``n`` distinct addresses, then 10 repeats and an empty cell; index labels 1, 2, 1, 2..."""
    emails = get_world(0).sample_emails(n, seed=3)
    emails += emails[:10] + [None]
    people = get_world(0).people()[:n]
    pad = [None] * (len(emails) - len(people))
    return pd.DataFrame({
        "Work Email": emails,
        "Notes": ["x"] * len(emails),
        "Prénom": [p["first_name"] for p in people] + pad,
        "Nom": [p["last_name"] for p in people] + pad,
        "Website": [p["domain"] for p in people] + pad,
    }, index=[1 + i % 2 for i in range(len(emails))])  # fmt: skip


def test_headless_estimate_then_run(sandbox_env: Sandbox):
    sb = sandbox_env
    df = contacts()
    before = df.copy()
    panel = df.contacts.panel()
    assert panel.operation.value == "verify"
    assert panel.mapping == {"email": "Work Email"}  # detected from the header
    assert list(panel.providers.value) == ["dropcontact", "coldlead", "local"]

    panel.providers.value = ["dropcontact"]
    panel.set_mapping(email="Work Email")
    panel.estimate_button.click()
    assert panel.error is None
    assert panel.last_estimate is not None
    assert panel.last_estimate.credits == {"dropcontact": 60}
    assert "dropcontact" in panel.estimate_view.value and "cached" in panel.estimate_view.value
    assert sb.requests("*") == 0

    panel.run_button.click()
    assert panel.wait(60)
    assert panel.error is None, panel.error
    result = panel.result
    assert result is not None and not panel.cancelled
    assert_index_equal(result.index, df.index)
    assert list(result.columns) == [*df.columns, *output_columns(Operation.VERIFY)]
    assert_frame_equal(df, before)
    assert sb.credits_spent("dropcontact") == 60
    assert panel.report is not None and panel.report.credits == {"dropcontact": 60}
    assert "Done" in panel.message.value
    assert "email_status" in panel.preview.value
    assert panel.progress.value == panel.progress.max
    assert panel.run_button.disabled is False and panel.cancel_button.disabled is True

    panel.estimate_button.click()  # now everything is cached
    assert panel.last_estimate.credits == {"dropcontact": 0}
    assert panel.last_estimate.steps[0].cached == 60


def test_find_with_mapping_dropdowns_run_sync(sandbox_env: Sandbox):
    sb = sandbox_env
    panel = ContactsPanel(contacts(20), run_sync=True)
    panel.operation.value = "find"
    assert list(panel.dropdowns) == list(ROLES[Operation.FIND])
    assert panel.mapping == {"first_name": "Prénom", "last_name": "Nom", "website": "Website"}
    assert panel.prefix.value == "found_"
    panel.set_mapping(website=None, domain="Website")
    assert panel.dropdowns["website"].value is UNUSED
    panel.providers.value = ["dropcontact"]
    panel.run_button.click()
    assert panel.error is None, panel.error
    assert panel.result is not None
    findable = sum(p["dropcontact_findable"] for p in get_world(0).people()[:20])
    assert panel.result["found_email"].notna().sum() == findable
    assert sb.credits_spent("dropcontact") == 20  # rows without a name cost nothing


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p, sb: setattr(p.budget, "value", "5"), "above the budget of 5"),
        (lambda p, sb: setattr(p.budget, "value", "lots"), "is not a number"),
        (lambda p, sb: sb.set_balance("dropcontact", 0), "out of credits"),
        (lambda p, sb: p.set_mapping(email=None), "verify needs the column"),
        (lambda p, sb: setattr(p.prefix, "value", ""), "already exist"),
    ],
)
def test_errors_are_shown_in_the_panel(sandbox_env: Sandbox, setup: Any, message: str):
    panel = ContactsPanel(contacts(20), run_sync=True, providers=["dropcontact"])
    panel.operation.value = "find"
    panel.operation.value = "verify"  # rebuilds the form, prefix back to email_
    panel.set_mapping(email="Work Email")
    if message == "already exist":
        panel.frame = panel.frame.rename(columns={"Notes": "status"})
    setup(panel, sandbox_env)
    panel.run_button.click()
    assert panel.result is None
    assert panel.error is not None and message in panel.error
    assert message.split()[0] in panel.message.value
    assert "Traceback" not in panel.message.value
    assert panel.run_button.disabled is False


def test_a_provider_without_key_is_reported(tmp_path, monkeypatch: pytest.MonkeyPatch):
    panel = ContactsPanel(contacts(5), client=Client(providers=["local"], cache=tmp_path / "c"),
                          providers=["fullcontact", "local"], run_sync=True)  # fmt: skip
    panel.estimate_button.click()
    assert panel.last_estimate is None
    assert "no API key" in (panel.error or "")
    panel.run_button.click()
    assert "FULLCONTACT_API_KEY" in (panel.error or "")


class CancelAfterFirstSlice:
    """A client that presses the panel's Cancel button once, after the first slice."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.settings = client.settings
        self.panel: ContactsPanel | None = None
        self.slices = 0

    def run(self, *args: Any, **kwargs: Any) -> Any:
        result = self.client.run(*args, **kwargs)
        self.slices += 1
        if self.slices == 1 and self.panel is not None:
            self.panel.cancel_button.click()
        return result

    def estimate(self, *args: Any, **kwargs: Any) -> Any:
        return self.client.estimate(*args, **kwargs)

    def engine(self, *args: Any, **kwargs: Any) -> Any:
        return self.client.engine(*args, **kwargs)


def test_cancel_stops_between_slices_and_a_rerun_pays_only_the_rest(sandbox_env: Sandbox):
    sb = sandbox_env
    client = CancelAfterFirstSlice(Client(providers=["dropcontact"]))
    panel = ContactsPanel(contacts(60), client=client, chunk_size=25)  # type: ignore[arg-type]
    client.panel = panel
    panel.run_button.click()
    assert panel.wait(60)
    assert panel.cancelled and panel.error is None
    assert "Cancelled after 25 of 61" in panel.message.value
    assert sb.credits_spent("dropcontact") == 25
    assert panel.result is not None
    assert panel.result["email_status"].notna().sum() == 25 + 10  # + the 10 repeats
    panel.run_button.click()
    assert panel.wait(60)
    assert not panel.cancelled
    assert sb.credits_spent("dropcontact") == 60  # the first 25 were not paid again
    assert panel.result["email_status"].notna().all()


def test_the_panel_displays_as_a_widget(local_client: Client):
    panel = contacts(3).contacts.panel(client=local_client)
    bundle = panel._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_the_pictures_count_what_the_sandbox_counted(sandbox_env: Sandbox):
    sb = sandbox_env
    df = contacts(40)
    panel = ContactsPanel(df, run_sync=True, providers=["dropcontact", "coldlead"])
    panel.operation.value = "find"
    panel.set_mapping(website=None, domain="Website")
    panel.run_button.click()
    assert panel.error is None, panel.error
    first = panel.summary
    assert first is not None and panel.result is not None
    spent = sb.credits_spent()
    assert spent["coldlead"] > 0, "the waterfall reached its second step"
    assert {p.provider: p.credits_spent for p in first.providers} == {
        "dropcontact": spent["dropcontact"], "coldlead": spent["coldlead"], "validation": 0,
    }  # fmt: skip
    assert first.provider("coldlead").asked == sb.requests("coldlead.finder")
    assert first.provider("dropcontact").asked == sum(sb.charges("dropcontact").values()) == 40
    assert first.credits_saved == 0
    shown = panel.result["found_status"].value_counts().to_dict()
    assert {s: n for s, n in first.statuses.items() if n} == shown
    assert first.rows == len(df) and first.distinct == 40
    provider_of = panel.result.iloc[:40]["found_provider"].value_counts()  # the 40 people
    assert first.provider("coldlead").answered == provider_of.get("coldlead", 0) > 0
    bars = panel.summary_view.value
    for status, n in first.statuses.items():
        assert f'data-label="{status}" data-count="{n}"' in bars
    assert f'data-label="spent" data-count="{sum(spent.values())}"' in bars
    assert 'data-label="saved by the cache" data-count="0"' in bars
    assert f'data-label="coldlead" data-count="{provider_of["coldlead"]}"' in bars

    sb.reset_counters()
    panel.run_button.click()  # the same run again: everything from the cache
    again = panel.summary
    assert sb.requests("*") == 0 and sum(sb.credits_spent().values()) == 0
    assert again.credits_spent == 0
    assert {p.provider: p.credits_saved for p in again.providers if p.credits_saved} == {
        name: n for name, n in spent.items() if n
    }  # what the first run paid is what the cache saved
    assert again.statuses == first.statuses
    assert f'data-label="saved by the cache" data-count="{sum(spent.values())}"' in (
        panel.summary_view.value
    )
