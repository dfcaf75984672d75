"""``df.contacts.panel()``: the Jupyter panel for people who would rather click.

The panel holds no business logic: it collects an operation, a provider order
and a column mapping, then calls the same :func:`~contact_udfs.faces.pandas.accessor.estimate_frame`
and :func:`~contact_udfs.faces.pandas.accessor.run_frame` as the accessor. A run goes to a
background thread in slices of distinct contacts so that Cancel can stop it
between two slices; whatever a provider already answered is saved by the engine,
so running again only pays for the rest. Errors (no key, quota, budget, a bad
mapping) are shown in the panel, never as a traceback.

Everything works without a browser (ipywidgets' ``button.click()``), which is
how the tests drive it::

    panel = df.contacts.panel(run_sync=True)
    panel.set_mapping(email="Work Email")
    panel.estimate_button.click()
    panel.run_button.click()
    panel.result            # the new DataFrame
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Hashable, Sequence
from typing import Any

import ipywidgets as W
import pandas as pd

from ...api import KNOWN_PROVIDERS, Client, default_client
from ...core.columns import DEFAULT_PREFIX, output_columns
from ...core.columns_detect import ROLES, detect_columns
from ...core.reports import Estimate, RunReport
from ...core.summary import RunSummary
from ...models import Operation
from .frames import estimate_frame, run_frame
from .summary import summarize_frame, summary_html

__all__ = ["ContactsPanel"]

log = logging.getLogger(__name__)

#: distinct contacts per engine call: how long Cancel may take to be honoured
PANEL_CHUNK_SIZE = 1_000


class _Unused:
    """The dropdown choice meaning "this field is not fed by any column"."""

    def __repr__(self) -> str:
        return "(not used)"


UNUSED = _Unused()


class ContactsPanel:
    """Estimate and run verify/find/enrich over a DataFrame from ipywidgets.

    Args:
        frame: the DataFrame; never modified (``result`` is a new frame).
        client: a :class:`~contact_udfs.Client`; default: :func:`~contact_udfs.default_client`
            at click time, so environment changes made in the notebook apply.
        operation: the operation selected at first.
        providers: the provider order shown at first; default: the client's.
        run_sync: run in the calling thread (scripts, tests) instead of a worker thread.
        chunk_size: distinct contacts per engine call (Cancel granularity).
        preview_rows: rows of the result shown in the panel.

    After a run: ``result`` (DataFrame or None), ``report``
    (:class:`~contact_udfs.RunReport`), ``summary`` (the counts the bars show:
    :class:`~contact_udfs.core.summary.RunSummary`), ``cancelled``; after an estimate:
    ``last_estimate``; after a failure: ``error`` (the message shown).
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        client: Client | None = None,
        operation: Operation | str = Operation.VERIFY,
        providers: Sequence[str] | None = None,
        run_sync: bool = False,
        chunk_size: int = PANEL_CHUNK_SIZE,
        preview_rows: int = 10,
    ) -> None:
        self.frame = frame
        self.run_sync = run_sync
        self.chunk_size = chunk_size
        self.preview_rows = preview_rows
        self.result: pd.DataFrame | None = None
        self.report: RunReport | None = None
        self.summary: RunSummary | None = None
        self.last_estimate: Estimate | None = None
        self.error: str | None = None
        self.cancelled = False
        self._client = client
        self._cancel = threading.Event()
        self._worker: threading.Thread | None = None
        #: set while a run is going (threaded or not), so Cancel works in both modes
        self._active = threading.Event()
        self.dropdowns: dict[str, W.Dropdown] = {}
        self._build(Operation(operation), providers)

    # -- layout -----------------------------------------------------------------------------
    def _build(self, operation: Operation, providers: Sequence[str] | None) -> None:
        self.message = W.HTML()
        self.operation = W.ToggleButtons(
            options=[op.value for op in Operation], value=operation.value, description="Operation"
        )
        self.providers = W.TagsInput(
            value=list(providers) if providers is not None else self._default_providers(),
            allowed_tags=list(KNOWN_PROVIDERS), allow_duplicates=False,
        )  # fmt: skip
        self.mapping_box = W.VBox()
        self.prefix = W.Text(description="Prefix")
        self.budget = W.Text(description="Budget", placeholder="no limit (credits)")
        wide = {"indent": False, "layout": W.Layout(width="auto")}  # labels shown whole
        self.overwrite = W.Checkbox(description="Overwrite existing output columns", **wide)
        self.retry_unknown = W.Checkbox(
            description="Ask again about retryable unknowns (spends)", **wide
        )
        self.estimate_button = W.Button(description="Estimate", icon="calculator")
        self.run_button = W.Button(description="Run", button_style="primary", icon="play")
        self.cancel_button = W.Button(description="Cancel", icon="stop", disabled=True)
        self.progress = W.IntProgress(value=0, min=0, max=1, description="Progress")
        self.progress_label = W.Label()
        self.estimate_view = W.HTML()
        self.preview = W.HTML()
        self.summary_view = W.HTML()
        self.widget = W.VBox([
            self.operation,
            W.HBox([W.Label("Providers (waterfall order)"), self.providers]),
            W.HTML("<b>Columns</b>"), self.mapping_box,
            W.HBox([self.prefix, self.budget]), W.HBox([self.overwrite, self.retry_unknown]),
            W.HBox([self.estimate_button, self.run_button, self.cancel_button]),
            W.HBox([self.progress, self.progress_label]),
            self.message, self.estimate_view, self.summary_view, self.preview,
        ])  # fmt: skip
        # stable names for the parts a person reads (and a browser test finds)
        for part, name in ((self.message, "message"), (self.estimate_view, "estimate"),
                           (self.progress, "progress"), (self.progress_label, "progress-label"),
                           (self.summary_view, "summary"), (self.preview, "result")):
            part.add_class(f"cu-{name}")  # fmt: skip
        self.operation.observe(lambda _change: self._show_mapping(), names="value")
        self.estimate_button.on_click(lambda _button: self.estimate())
        self.run_button.on_click(lambda _button: self.run())
        self.cancel_button.on_click(lambda _button: self.cancel())
        self._show_mapping()

    def _show_mapping(self) -> None:
        """One dropdown per input field of the operation, pre-filled by auto-detection."""
        op = Operation(self.operation.value)
        detected = detect_columns(self.frame.columns, op, frame=self.frame)
        choices: list[tuple[str, Any]] = [("(not used)", UNUSED)]
        choices += [(str(col), col) for col in self.frame.columns]
        self.dropdowns = {
            role: W.Dropdown(options=choices, value=detected.get(role, UNUSED),
                             description=role.replace("_", " ")).add_class(f"cu-field-{role}")
            for role in ROLES[op]
        }  # fmt: skip
        self.mapping_box.children = tuple(self.dropdowns.values())
        self.prefix.value = DEFAULT_PREFIX[op]
        self.estimate_view.value = ""

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # -- reading the form ---------------------------------------------------------------------
    @property
    def mapping(self) -> dict[str, Hashable]:
        """``{field: column}`` as currently chosen (unused fields left out)."""
        return {role: d.value for role, d in self.dropdowns.items() if d.value is not UNUSED}

    def set_mapping(self, **columns: Hashable | None) -> None:
        """Choose columns by field, e.g. ``set_mapping(first_name="Prénom", company=None)``."""
        for role, col in columns.items():
            if role not in self.dropdowns:
                raise ValueError(f"{self.operation.value} has no field {role!r}; "
                                 f"fields: {', '.join(self.dropdowns)}")  # fmt: skip
            if col is not None and col not in self.frame.columns:
                raise ValueError(f"column {col!r} is not in the DataFrame")
            self.dropdowns[role].value = UNUSED if col is None else col

    def _options(self) -> dict[str, Any]:
        text = self.budget.value.strip()
        try:
            budget = float(text) if text else None
        except ValueError:
            raise ValueError(f"budget {text!r} is not a number of credits") from None
        return {
            "providers": list(self.providers.value) or None,
            "retry_unknown": self.retry_unknown.value,
            "client": self._client or default_client(),
            "budget": budget,
        }

    def _default_providers(self) -> list[str]:
        try:
            return list((self._client or default_client()).settings.providers)
        except Exception as exc:  # a broken config must not stop the panel from showing
            self._fail(exc)
            return ["local"]

    # -- actions --------------------------------------------------------------------------------
    def estimate(self) -> Estimate | None:
        """Show what a run would cost now, per provider, and what is already cached."""
        self.error = None
        try:
            opts = self._options()
            opts.pop("budget")
            est = estimate_frame(self.frame, self.operation.value, self.mapping, **opts)
        except Exception as exc:  # shown in the panel, never raised into the notebook
            self._fail(exc)
            return None
        self.last_estimate = est
        self.estimate_view.value = _estimate_html(est)
        self._say(f"Estimate: {est.total} credits at most; nothing was spent.")
        return est

    def run(self) -> None:
        """Start a run (in a thread unless ``run_sync``); the answer lands in ``result``."""
        if self.running:
            self._say("A run is already going: Cancel it or wait for it.")
            return
        self.error, self.cancelled, self.result, self.report = None, False, None, None
        # a run changes what is cached: an estimate from before would now mislead
        self.summary, self.summary_view.value, self.estimate_view.value = None, "", ""
        try:
            job = dict(self._options(), prefix=self.prefix.value,
                       overwrite=self.overwrite.value, mapping=self.mapping,
                       operation=self.operation.value)  # fmt: skip
        except Exception as exc:
            self._fail(exc)
            return
        self._cancel.clear()
        self._active.set()
        self._busy(True)
        self._say("Running...")
        if self.run_sync:
            self._work(job)
            return
        self._worker = threading.Thread(target=self._work, args=(job,), daemon=True,
                                        name="contact-udfs-panel")  # fmt: skip
        self._worker.start()

    def cancel(self) -> None:
        """Stop after the current slice; answers already received stay cached."""
        if self.running:
            self._cancel.set()
            self._say("Cancelling after the current slice...")

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run ends (or ``timeout`` seconds); True if nothing is running."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)
            return not worker.is_alive()
        return not self.running

    @property
    def running(self) -> bool:
        return self._active.is_set()

    # -- the worker -----------------------------------------------------------------------------
    def _work(self, job: dict[str, Any]) -> None:
        op, mapping = Operation(job.pop("operation")), job.pop("mapping")
        try:
            done = run_frame(self.frame, op, mapping, progress=self._tick,
                             chunk_size=self.chunk_size, cancel=self._cancel, **job)  # fmt: skip
            self.result, self.report, self.cancelled = done.frame, done.report, done.cancelled
            added = output_columns(op, job["prefix"])
            shown = [c for c in dict.fromkeys(mapping.values()) if c not in added] + added
            self.preview.value = done.frame[shown].head(self.preview_rows).to_html(max_cols=40)
            self._draw_summary(done, op, mapping, job)
            self._say_done(done.report, done.cancelled)
        except Exception as exc:  # the panel reports every failure as a message
            self._fail(exc)
        finally:
            self._busy(False)
            self._active.clear()

    def _draw_summary(
        self, done: Any, op: Operation, mapping: dict[str, Hashable], job: dict[str, Any]
    ) -> None:
        """The bars under the message; a failure here never hides a paid result."""
        try:
            self.summary = summarize_frame(
                self.frame, done.frame, op, mapping, prefix=job["prefix"], report=done.report,
                providers=job["providers"], client=job["client"],
            )  # fmt: skip
        except Exception as exc:
            log.debug("contacts panel: no summary", exc_info=exc)
            self.summary_view.value = f"<i>No summary: {html.escape(str(exc))}</i>"
            return
        self.summary_view.value = summary_html(self.summary)

    def _tick(self, done: int, total: int) -> None:
        self.progress.max = max(total, 1)
        self.progress.value = min(done, self.progress.max)
        self.progress_label.value = f"{done:,} / {total:,} distinct contacts"

    def _say_done(self, report: RunReport, cancelled: bool) -> None:
        if cancelled:
            self._say(
                f"Cancelled after {self.progress.value:,} of {self.progress.max:,} distinct "
                "contacts. Answers received so far are cached: running again only pays for "
                "the rest. Rows not reached are empty in panel.result."
            )
        else:
            self._say(f"Done: {report.summary()}. The new frame is in panel.result.")

    # -- messages ---------------------------------------------------------------------------------
    def _busy(self, busy: bool) -> None:
        self.run_button.disabled = self.estimate_button.disabled = busy
        self.cancel_button.disabled = not busy

    def _say(self, text: str) -> None:
        self.message.value = html.escape(text)

    def _fail(self, exc: BaseException) -> None:
        known = isinstance(exc, (ValueError, KeyError)) or type(exc).__module__.startswith(
            "contact_udfs")  # fmt: skip
        self.error = str(exc) if known else f"{type(exc).__name__}: {exc}"
        if not known:
            log.debug("contacts panel: unexpected error", exc_info=exc)
        self.message.value = f'<span style="color:#b00020">{html.escape(self.error)}</span>'


def _estimate_html(est: Estimate) -> str:
    """Credits per provider with what is already cached (free)."""
    rows = "".join(
        f"<tr><td>{html.escape(s.provider)}</td><td>{s.cached:,}</td><td>{s.to_send:,}</td>"
        f"<td>{'up to ' if s.upper_bound else ''}{s.credits:,}</td></tr>"
        for s in est.steps
    )
    return (
        f"<p>{est.rows:,} rows, {est.distinct:,} distinct, {est.invalid:,} invalid (free)</p>"
        "<table><tr><th>provider</th><th>cached (free)</th><th>to send</th><th>credits</th></tr>"
        f"{rows}</table><p>Total: at most {est.total:,} credits.</p>"
    )
