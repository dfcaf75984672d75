"""The error a job's shared budget raises when it runs out mid-job.

Like every error of the package it pickles (``ContactUDFError.__reduce__``),
so it reaches the driver from the worker that ran out, intact.
"""

from __future__ import annotations

from ...exceptions import BudgetExceededError, ContactUDFError

__all__ = ["BudgetSpentError"]


class BudgetSpentError(BudgetExceededError):
    """The job's budget ran out while it ran: the job stopped there.

    Every answer paid for is in the cache, so a rerun with a larger budget pays
    only for what was not sent. ``spent`` is what the job's counter holds,
    ``not_sent`` how many distinct contacts this worker had left.
    """

    def __init__(self, budget: float, spent: float, not_sent: int) -> None:
        self.estimate: dict[str, int] = {}
        self.budget, self.spent, self.not_sent = budget, spent, not_sent
        ContactUDFError.__init__(
            self,
            f"the job's budget of {budget:g} credits is spent ({spent:g} used across the "
            f"cluster); it stopped with at least {not_sent} distinct contacts not sent. "
            "Every answer paid for is in the cache: a rerun with a larger budget "
            "(budget=... or CONTACT_UDFS_BUDGET) pays only for the rest.",
        )
