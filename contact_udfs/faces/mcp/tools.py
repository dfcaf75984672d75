"""The six tools, as plain methods over one :class:`~contact_udfs.api.Client`.

Nothing here knows the protocol beyond :class:`ToolError`: every call goes to
the same ``Client`` (cache, claims, waterfall, budget) as the other faces, so
an agent and a spreadsheet asking for the same address pay for it once.

Two guards sit in front of the engine because the caller is a loop that does
not tire: a per-call budget (``CONTACT_UDFS_MCP_BUDGET``, which a call may
lower but never raise) and a cap on items per call. Both refuse before
anything is sent, with a message saying what would have been spent.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

from ...api import Client
from ...core.reports import Run
from ...exceptions import BudgetExceededError, ContactUDFError
from ...models import Operation
from .schemas import (
    CreditsResult,
    EnrichmentOut,
    EnrichResult,
    EstimateResult,
    FindResult,
    ForgetResult,
    FoundEmailOut,
    Report,
    VerificationOut,
    VerifyResult,
)

__all__ = ["MAX_ITEMS", "ContactTools"]

log = logging.getLogger(__name__)

#: the most items one tool call may carry; larger lists go in several calls
MAX_ITEMS = 500

_TOOL_NAMES = {
    Operation.VERIFY: "verify_emails",
    Operation.FIND: "find_emails",
    Operation.ENRICH: "enrich_contacts",
}


class ContactTools:
    """What each tool does with its arguments, on top of ``client``.

    Args:
        client: the engine every call goes through (closed by its owner).
        budget: the most credits one call may spend; default the client's
            ``mcp_budget`` setting (``CONTACT_UDFS_MCP_BUDGET``).
        max_items: the most items one call may carry.
    """

    def __init__(
        self, client: Client, *, budget: float | None = None, max_items: int = MAX_ITEMS
    ) -> None:
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        self.client = client
        self.budget = float(client.settings.mcp_budget if budget is None else budget)
        if client.settings.budget is not None:  # the general per-call budget bounds every face
            self.budget = min(self.budget, client.settings.budget)
        self.max_items = max_items
        self._secrets = [
            conf.api_key.get()
            for conf in client.settings.provider_settings.values()
            if conf.api_key
        ]

    # -- the tools -------------------------------------------------------------
    def verify_emails(
        self, emails: Any, retry_unknown: bool = False, budget: float | None = None
    ) -> VerifyResult:
        run = self._run(Operation.VERIFY, emails, retry_unknown, budget)
        return VerifyResult(
            results=[VerificationOut.model_validate(a.to_dict()) for a in run.results],
            report=self._report(run, budget),
        )

    def find_emails(
        self, people: Any, retry_unknown: bool = False, budget: float | None = None
    ) -> FindResult:
        run = self._run(Operation.FIND, people, retry_unknown, budget)
        return FindResult(
            results=[FoundEmailOut.model_validate(a.to_dict()) for a in run.results],
            report=self._report(run, budget),
        )

    def enrich_contacts(
        self, contacts: Any, retry_unknown: bool = False, budget: float | None = None
    ) -> EnrichResult:
        run = self._run(Operation.ENRICH, contacts, retry_unknown, budget)
        return EnrichResult(
            results=[EnrichmentOut.model_validate(a.to_dict()) for a in run.results],
            report=self._report(run, budget),
        )

    def estimate(self, operation: str, items: Any) -> EstimateResult:
        op = self._operation(operation)
        rows = self._items(items)
        with self._errors("estimate"):
            est = self.client.estimate(rows, op)
        return EstimateResult.of(est, self.budget)

    def credits(self) -> CreditsResult:
        with self._errors("credits"):
            left = self.client.credits()
        return CreditsResult(
            credits_left=left, budget_per_call=self.budget, max_items_per_call=self.max_items
        )

    def forget(self, email: str) -> ForgetResult:
        if not isinstance(email, str) or not email.strip():
            raise ToolError("forget needs one email address as a non-empty string")
        with self._errors("forget"):
            n = self.client.forget(email)
        log.info("forget: %d stored answer(s) erased", n)
        return ForgetResult(email=email.strip(), forgotten=n)

    # -- shared steps ------------------------------------------------------------
    def _run(self, op: Operation, items: Any, retry_unknown: Any, budget: Any) -> Run[Any]:
        tool = _TOOL_NAMES[op]
        rows = self._items(items)
        limit = self._budget(budget)
        with self._errors(tool):
            run = self.client.run(op, rows, retry_unknown=bool(retry_unknown), budget=limit)
        log.info("%s: %s", tool, run.report.summary())
        return run

    def _items(self, items: Any) -> list[Any]:
        """The call's items: one value or record given alone is one item."""
        rows = list(items) if isinstance(items, (list, tuple)) else [items]
        if len(rows) > self.max_items:
            raise ToolError(
                f"too many items: {len(rows)} given, at most {self.max_items} per call; "
                "nothing was sent and nothing was spent. Send them in several calls of at most "
                f"{self.max_items} (each call is checked against the budget)."
            )
        return rows

    def _budget(self, asked: Any) -> float:
        """This call's budget: the server's, or a lower one the caller asks for."""
        if asked is None:
            return self.budget
        if (
            isinstance(asked, bool)
            or not isinstance(asked, (int, float))
            or not (math.isfinite(asked) and asked >= 0)
        ):
            raise ToolError(f"budget must be a number of credits, 0 or more (got {asked!r})")
        return min(float(asked), self.budget)

    def _operation(self, operation: Any) -> Operation:
        try:
            return Operation(str(operation).strip().lower())
        except ValueError:
            raise ToolError("operation must be one of verify, find, enrich") from None

    def _report(self, run: Run[Any], asked: float | None) -> Any:
        data = dataclasses.asdict(run.report)
        return Report(**data, budget=self._budget(asked), summary=run.report.summary())

    @contextmanager
    def _errors(self, tool: str) -> Iterator[None]:
        """The package's errors as tool errors the model can read; never a key in them."""
        try:
            yield
        except BudgetExceededError as exc:
            spent = sum(exc.estimate.values())
            detail = ", ".join(f"{name} {n}" for name, n in exc.estimate.items() if n)
            raise ToolError(
                f"over budget: this call would spend {spent} credit{'' if spent == 1 else 's'} "
                f"({detail}), above its budget of {exc.budget:g}; nothing was sent and nothing "
                "was spent. Send fewer new contacts per call, check the cost first with the "
                "estimate tool, or ask the operator to raise CONTACT_UDFS_MCP_BUDGET."
            ) from None
        except ContactUDFError as exc:
            message = self.scrub(str(exc))
            log.warning("%s failed: %s", tool, message)
            raise ToolError(message) from None
        except ToolError:
            raise
        except Exception as exc:  # a bug: say what kind, keep the details on our side
            log.error("%s failed: %s: %s", tool, type(exc).__name__, self.scrub(str(exc)))
            raise ToolError(
                f"internal error ({type(exc).__name__}); nothing more is shown"
            ) from None

    def scrub(self, text: str) -> str:
        """``text`` with every configured key replaced, however it got there."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text
