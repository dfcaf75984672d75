"""The Jupyter panel the way a person uses it: in JupyterLab, in Chromium, with clicks.

The notebook builds ``df.contacts.panel()``; the test picks the operation and
the columns in the page, presses Estimate and then Run, and reads the estimate,
the progress, the result table, the message and the summary bars from the
page's DOM, never from the kernel. What the page shows is compared with what
the simulator counted. The screenshots in docs/pandas.md are taken here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import nbformat
import pytest
from playwright.sync_api import Locator, Page, expect

from contact_udfs import Client
from contact_udfs.sandbox.world import get_world

IMG = Path(__file__).resolve().parents[3] / "docs" / "img"
#: kernel start, imports and a run against the simulator on a busy machine
SLOW = 120_000

NOTEBOOK_CODE = """\
import pandas as pd
import contact_udfs  # registers df.contacts
from contact_udfs.sandbox.world import get_world

people = get_world(0).people()[:40]
df = pd.DataFrame({
    "First name": [p["first_name"] for p in people],
    "Last name": [p["last_name"] for p in people],
    "Company": [p["company"] for p in people],
    "Work domain": [p["domain"] for p in people],
})
# five people twice, and a row nobody can be found from (no last name)
df = pd.concat([df, df.head(5), pd.DataFrame({"First name": ["Ada"], "Company": ["Acme"]})],
               ignore_index=True)
df.contacts.panel(preview_rows=5)
"""
ROWS, DISTINCT, PREVIEW = 46, 40, 5


def write_notebook(root: Path) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(NOTEBOOK_CODE)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}  # fmt: skip
    nbformat.write(nb, root / "panel.ipynb")
    return "panel.ipynb"


def button(page: Page, text: str) -> Locator:
    """A button of the panel by its text (its icon is no part of it)."""
    return page.locator("button.widget-button").filter(has_text=re.compile(rf"^\s*{text}\s*$"))


def bars(page: Page, chart: str) -> dict[str, int]:
    """label -> count, as the chart's cells read on the page."""
    cells = page.locator(f".cu-summary-chart.{chart} tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells, c => c.innerText.trim()))"
    )
    return {label: int(count.replace(",", "")) for label, _bar, count in cells}


def table(locator: Locator) -> list[list[str]]:
    return locator.locator("tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells, c => c.innerText.trim()))"
    )


def shot(page: Page, locator: Locator, name: str) -> None:
    """A picture for the docs; no hover or focus ring, so a rerun gives the same bytes."""
    page.mouse.move(0, 0)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    IMG.mkdir(parents=True, exist_ok=True)
    locator.screenshot(path=str(IMG / name), animations="disabled", caret="hide")


def test_estimate_then_run_in_jupyterlab(
    lab: Any, browser_page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    page: Page = browser_page
    sb = lab.sandbox
    page.goto(lab.open_url(write_notebook(lab.root)))
    # the status bar says when the kernel is there to run the cell
    idle = page.get_by_role("button", name=re.compile(r"\| Idle$"))
    expect(idle).to_be_visible(timeout=SLOW)
    page.locator(".jp-Notebook .jp-CodeCell .cm-content").first.click(timeout=SLOW)
    page.keyboard.press("Shift+Enter")  # run the cell, as a person would
    output = page.locator(".jp-OutputArea-output").filter(has=page.locator(".cu-message"))
    expect(output).to_be_visible(timeout=SLOW)

    # pick the operation and the columns in the page
    page.get_by_role("button", name="find", exact=True).click()
    domain = page.locator(".cu-field-domain select")
    expect(domain).to_be_visible()
    assert page.locator(".cu-field-first_name select").input_value() != ""
    domain.select_option(label="Work domain")  # not a header detection knows
    page.locator(".cu-field-company select").select_option(label="(not used)")

    button(page, "Estimate").click()
    estimate = page.locator(".cu-estimate")
    expect(estimate).to_contain_text("Total:", timeout=SLOW)
    assert f"{ROWS} rows, {DISTINCT} distinct, 1 invalid (free)" in estimate.inner_text()
    steps = table(estimate)
    assert steps[0] == ["provider", "cached (free)", "to send", "credits"]
    assert steps[1:] == [["dropcontact", "0", str(DISTINCT), str(DISTINCT)],
                         ["coldlead", "0", str(DISTINCT), f"up to {DISTINCT}"]]  # fmt: skip
    expect(page.locator(".cu-message")).to_contain_text("nothing was spent")
    assert sb.requests("*") == 0, "an estimate sends nothing"
    shot(page, output, "panel-estimate.png")

    button(page, "Run").click()
    message = page.locator(".cu-message")
    expect(message).to_contain_text("Done:", timeout=SLOW)
    spent = sb.credits_spent()
    assert spent["coldlead"] > 0, "the waterfall reached its second step"
    total = spent["dropcontact"] + spent["coldlead"]
    text = message.inner_text()
    assert f"{ROWS} rows, {DISTINCT} distinct, 1 invalid, 0 from cache" in text
    assert f"credits spent: dropcontact {spent['dropcontact']}, coldlead {spent['coldlead']}" in (
        text
    )
    done, _, of = page.locator(".cu-progress-label").inner_text().partition(" / ")
    assert done == of.split()[0] == str(DISTINCT + 1)  # the distinct inputs, the bad one too

    result = table(page.locator(".cu-result"))
    header, body = result[0], result[1:]
    assert len(body) == PREVIEW
    found_at = header.index("found_email")
    monkeypatch.setenv("CONTACT_UDFS_POLL_INTERVAL", "0")
    for name, value in sb.env().items():
        monkeypatch.setenv(name, value)
    people = get_world(0).people()[:PREVIEW]
    sb.reset_counters()
    with Client(providers=["dropcontact", "coldlead"], cache=lab.cache) as client:
        found = client.find_emails(
            [{"first_name": p["first_name"], "last_name": p["last_name"], "domain": p["domain"]}
             for p in people]
        )  # fmt: skip
    assert sb.requests("*") == 0, "the page's answers were in the cache the kernel filled"
    assert [row[found_at] for row in body] == [f.email or "<NA>" for f in found]

    statuses = bars(page, "cu-statuses")
    assert sum(statuses.values()) == ROWS and statuses["invalid"] == 1
    assert bars(page, "cu-credits") == {"spent": total, "saved by the cache": 0}
    answers = bars(page, "cu-answers")
    assert answers["dropcontact"] + answers["coldlead"] == DISTINCT and answers["coldlead"] > 0
    shot(page, output, "panel-run.png")

    button(page, "Run").click()  # the same run again
    expect(message).to_contain_text(f"{DISTINCT} from cache", timeout=SLOW)
    assert "credits spent: none" in message.inner_text()
    assert sb.requests("*") == 0, "a rerun is answered by the cache"
    assert bars(page, "cu-credits") == {"spent": 0, "saved by the cache": total}
    assert bars(page, "cu-statuses") == statuses
    shot(page, output, "panel-rerun.png")

    log = lab.log.read_text(errors="replace")
    assert "tried to use socket" not in log, "the server tried to reach another host"
