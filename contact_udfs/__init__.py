"""contact_udfs: email verification, email finding and contact enrichment that never pays twice.

Paid providers (Dropcontact, FullContact, ColdLead) and an offline ``local``
provider behind one cache, one credit ledger and one waterfall - for Excel
formulas (:mod:`contact_udfs.excel`), pandas (``df.contacts``), the
``contact-udfs`` command and plain Python::

    import contact_udfs as cu
    cu.verify_emails(["ada@acme.com", "bob@gmial.com"])
    cu.find_emails([{"first_name": "Ada", "last_name": "Lovelace", "domain": "acme.com"}])
    client = cu.Client(providers=["dropcontact", "local"], budget=500)
    client.estimate(["ada@acme.com"])

Importing the package registers the ``df.contacts`` accessor when pandas is
installed, and ``ddf.contacts`` on Dask DataFrames when Dask is (extra ``[dask]``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .api import Client, default_client, enrich_contacts, find_emails, verify_emails
from .config import Settings, load_settings
from .core.reports import Estimate, Run, RunReport
from .exceptions import (
    AuthenticationError,
    BadRequestError,
    BudgetExceededError,
    ConfigurationError,
    ContactUDFError,
    InputFileError,
    ProviderError,
    ProviderResponseError,
    ProviderUnavailable,
    QuotaExceededError,
    RateLimitError,
    StoreError,
    UnknownProviderError,
)
from .models import Enrichment, FoundEmail, Operation, Status, Verification

if TYPE_CHECKING:
    from .faces.listen import Listener

__version__ = "0.2.0"

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "BudgetExceededError",
    "Client",
    "ConfigurationError",
    "ContactUDFError",
    "Enrichment",
    "Estimate",
    "FoundEmail",
    "InputFileError",
    "Operation",
    "ProviderError",
    "ProviderResponseError",
    "ProviderUnavailable",
    "QuotaExceededError",
    "RateLimitError",
    "Run",
    "RunReport",
    "Settings",
    "Status",
    "StoreError",
    "UnknownProviderError",
    "Verification",
    "__version__",
    "default_client",
    "enrich_contacts",
    "find_emails",
    "listen",
    "load_settings",
    "verify_emails",
]


def listen(port: int = 0, client: Client | None = None, **options: Any) -> Listener:
    """Receive vendor webhooks on a local port into ``client``'s store; see docs/webhooks.md.

    Returns a started :class:`~contact_udfs.faces.listen.Listener` (a context manager).
    """
    from .faces.listen import listen as start

    return start(port, client, **options)


def _register_pandas() -> None:
    """Register ``df.contacts`` when pandas is importable; silently skip otherwise."""
    import importlib.util

    if importlib.util.find_spec("pandas") is None:
        return
    try:
        from .faces.pandas import accessor as pandas_ext  # noqa: F401
    except ImportError:  # pandas_ext not available in this build
        return


_register_pandas()


def _register_dask() -> None:
    """Register ``ddf.contacts`` when Dask is installed (once ``dask.dataframe`` is imported)."""
    import importlib.util

    if importlib.util.find_spec("dask") is None or importlib.util.find_spec("pandas") is None:
        return
    from .faces.dask import register_when_imported

    register_when_imported()


_register_dask()
