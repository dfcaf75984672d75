"""Errors that reach the driver intact from a worker, and the one a shared budget raises.

A task's exception travels from the worker to the driver by pickle. The
package's errors take keyword details in their constructors (provider, status
code, budget...), which the default exception pickling cannot replay, so the
driver would get an unpickling failure instead of, say, a ``QuotaExceededError``.
:func:`make_portable` registers a reducer that rebuilds each error from its
message and attributes, as it was; importing this face does it in both
processes.
"""

from __future__ import annotations

import copyreg
from typing import Any

from ...exceptions import BudgetExceededError, ContactUDFError

__all__ = ["BudgetSpentError", "make_portable"]


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


def _rebuild(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(state)
    return exc


def _reduce(exc: BaseException) -> tuple[Any, ...]:
    return _rebuild, (type(exc), exc.args, dict(exc.__dict__))


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def make_portable() -> None:
    """Let every error of the package (and its subclasses so far) pickle and unpickle."""
    for cls in {ContactUDFError, *_subclasses(ContactUDFError)}:
        copyreg.pickle(cls, _reduce)


make_portable()
