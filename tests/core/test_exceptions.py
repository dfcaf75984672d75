"""Every error of the package survives pickling, as a worker process sends it back."""

from __future__ import annotations

import pickle

import pytest

from contact_udfs import exceptions as err
from contact_udfs.faces.dask.errors import BudgetSpentError

SAMPLES = [
    err.ConfigurationError("no key for dropcontact"),
    err.UnknownProviderError("no provider named 'acme'"),
    err.InputFileError("no such file: contacts.csv"),
    err.StoreError("database is locked"),
    err.BudgetExceededError({"dropcontact": 300}, 100),
    BudgetSpentError(100, 100, 42),
    *(
        cls("fullcontact", "Forbidden", status_code=403, payload={"message": "Forbidden"})
        for cls in (
            err.ProviderError, err.AuthenticationError, err.QuotaExceededError,
            err.RateLimitError, err.BadRequestError, err.ProviderUnavailable,
            err.ProviderResponseError,
        )
    ),
]  # fmt: skip


@pytest.mark.parametrize("exc", SAMPLES, ids=lambda e: type(e).__name__)
def test_round_trip_keeps_class_message_and_details(exc: Exception) -> None:
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is type(exc)
    assert str(back) == str(exc)
    assert vars(back) == vars(exc)
