"""``df.contacts``: verify, find and enrich the contacts of a DataFrame, paying once each.

``import contact_udfs`` registers the accessor. Every method returns a **new**
DataFrame aligned to ``df.index`` (duplicate labels included) and leaves ``df``
untouched, so calls chain::

    df.contacts.verify("email").query("email_status == 'deliverable'")

The accessor keeps no state (pandas 3 rebuilds it on every access): the client,
the cache and the credit ledger live in :class:`~contact_udfs.api.Client`; the
work is done by :mod:`contact_udfs.faces.pandas.frames`.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from ...api import Client
from ...core.columns_detect import ROLES, detect_columns
from ...core.reports import Estimate
from ...models import Operation
from .frames import RunOptions, estimate_frame, run_frame

if TYPE_CHECKING:  # pragma: no cover
    from typing_extensions import Unpack

    from ...core.reports import RunReport
    from .panel import ContactsPanel

__all__ = ["ContactsAccessor", "ContactsSeriesAccessor"]

_SERIES_INPUT = "__contacts_input__"


# -- the accessors ----------------------------------------------------------------------------
@pd.api.extensions.register_dataframe_accessor("contacts")
class ContactsAccessor:
    """``df.contacts``: every method returns a new frame aligned to ``df.index``.

    Options shared by :meth:`verify`, :meth:`find` and :meth:`enrich`:
    ``providers`` (waterfall order, default from the settings), ``fields``
    (answer fields to add, default :data:`contact_udfs.core.columns.COLUMNS`),
    ``prefix`` (default ``email_``/``found_``/``enriched_``), ``retry_unknown``
    (ask again about retryable ``unknown`` answers: a conscious spend),
    ``budget`` (most credits the call may spend; above it
    :class:`~contact_udfs.BudgetExceededError` is raised and nothing is sent),
    ``progress`` (a tqdm bar; ``False`` for none), ``client`` (default
    :func:`~contact_udfs.default_client`) and ``overwrite`` (replace existing
    output columns instead of refusing with ``ValueError``).

    Examples:
        >>> import pandas as pd, contact_udfs
        >>> df = pd.DataFrame({"Email": ["ada@acme.com", None]})
        >>> df.contacts.detect("verify")
        {'email': 'Email'}
        >>> client = contact_udfs.Client(providers=["local"])   # doctest: +SKIP
        >>> df.contacts.verify(client=client)["email_status"].tolist()  # doctest: +SKIP
        ['unknown', 'invalid']
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        # the frame is the only attribute: pandas 3 builds a new accessor per access
        self._frame = frame

    def detect(self, operation: Operation | str = "verify") -> dict[str, Hashable]:
        """The ``{field: column}`` mapping auto-detection picks for ``operation``."""
        return detect_columns(self._frame.columns, operation, frame=self._frame)

    def verify(self, column: Hashable | None = None, **options: Unpack[RunOptions]) -> pd.DataFrame:
        """Add the verdict on each address: ``email_status``, ``email_reason``... .

        ``column`` defaults to the detected address column (``email``,
        ``E-mail``, ``Courriel``...). Empty cells and non-addresses are
        answered ``invalid`` locally, for free.
        """
        return self._run(Operation.VERIFY, {"email": column} if column is not None else None,
                         options)  # fmt: skip

    def find(
        self,
        first_name: Hashable | None = None,
        last_name: Hashable | None = None,
        domain: Hashable | None = None,
        *,
        company: Hashable | None = None,
        full_name: Hashable | None = None,
        website: Hashable | None = None,
        **options: Unpack[RunOptions],
    ) -> pd.DataFrame:
        """Add the address found for each person: ``found_email``, ``found_confidence``... .

        Arguments name columns: first and last name (or ``full_name``) plus
        ``domain``, ``company`` or ``website``. With none given the columns are
        detected from the headers.
        """
        given = {"first_name": first_name, "last_name": last_name, "domain": domain,
                 "company": company, "full_name": full_name, "website": website}  # fmt: skip
        mapping = {k: v for k, v in given.items() if v is not None}
        return self._run(Operation.FIND, mapping or None, options)

    def enrich(
        self,
        columns: Mapping[str, Hashable | None] | None = None,
        **options: Unpack[RunOptions],
    ) -> pd.DataFrame:
        """Add Dropcontact's enrichment (``enriched_email``, ``enriched_job``, siren...).

        ``columns`` maps Dropcontact input fields to columns, e.g.
        ``{"first_name": "Prénom", "company": "Société"}``; by default they are
        detected from the headers (see :meth:`detect`).
        """
        return self._run(Operation.ENRICH, columns, options)

    def estimate(
        self,
        operation: Operation | str = "verify",
        columns: Hashable | Mapping[str, Hashable | None] | None = None,
        *,
        providers: Sequence[str] | str | None = None,
        retry_unknown: bool = False,
        client: Client | None = None,
    ) -> Estimate:
        """What the call would cost now, per provider, with what is cached; spends nothing.

        ``columns`` is the address column for verify, else a ``{field: column}``
        mapping; default: detected. ``.credits`` maps provider to credits.
        """
        op = Operation(operation)
        if columns is not None and not isinstance(columns, Mapping):
            columns = {ROLES[op][0]: columns}
        mapping = self._mapping(op, columns)
        opts = {"providers": providers, "retry_unknown": retry_unknown, "client": client}
        return estimate_frame(self._frame, op, mapping, **opts)

    def panel(self, **kwargs: Any) -> ContactsPanel:
        """A Jupyter panel over this frame: a :class:`~.panel.ContactsPanel`."""
        from .panel import ContactsPanel

        return ContactsPanel(self._frame, **kwargs)

    def summary(
        self,
        result: pd.DataFrame | ContactsPanel,
        operation: Operation | str | None = None,
        columns: Hashable | Mapping[str, Hashable | None] | None = None,
        *,
        report: RunReport | None = None,
        prefix: str | None = None,
        providers: Sequence[str] | str | None = None,
        client: Client | None = None,
    ) -> pd.DataFrame:
        """What a run over this frame came to: one row per provider, integer columns.

        ``result`` is what ``verify``/``find``/``enrich`` returned (or a panel after
        its run). Columns: ``rows``, one per status (rows), ``answered`` and
        ``from_cache`` (distinct contacts), ``asked``, ``credits_spent`` and
        ``credits_saved`` (by the cache); see :mod:`contact_udfs.core.summary`.
        The operation is read from the result's columns unless given; the input
        ``columns`` are detected like the run's. Pass the run's ``report``
        (``run_frame(...).report``) to use what the engine counted as spent; a
        panel counts with its own. Ready to draw::

            table = df.contacts.summary(checked)
            table[["deliverable", "risky", "undeliverable", "unknown", "invalid"]].sum().plot.bar()
            table[["credits_spent", "credits_saved"]].plot.bar()
        """
        from .panel import ContactsPanel
        from .summary import operation_of, summarize_frame, summary_table

        if isinstance(result, ContactsPanel):  # the panel counted its run already
            if result.summary is None:
                raise ValueError("the panel has no result yet: press Run first")
            return summary_table(result.summary)
        op = Operation(operation) if operation is not None else operation_of(result, prefix)
        if columns is not None and not isinstance(columns, Mapping):
            columns = {ROLES[op][0]: columns}
        counted = summarize_frame(
            self._frame, result, op, self._mapping(op, columns), prefix=prefix, report=report,
            providers=providers, client=client,
        )  # fmt: skip
        return summary_table(counted)

    def _mapping(
        self, op: Operation, mapping: Mapping[str, Hashable | None] | None
    ) -> Mapping[str, Hashable | None]:
        return detect_columns(self._frame.columns, op, frame=self._frame) if mapping is None \
            else mapping  # fmt: skip

    def _run(
        self, op: Operation, mapping: Mapping[str, Hashable | None] | None, options: RunOptions
    ) -> pd.DataFrame:
        return run_frame(self._frame, op, self._mapping(op, mapping), **options).frame


@pd.api.extensions.register_series_accessor("contacts")
class ContactsSeriesAccessor:
    """``s.contacts``: verify one column of addresses on its own.

    Returns only the answer columns, unprefixed (``status``, ``reason``...),
    indexed like the series; options as for ``df.contacts.verify``.
    """

    def __init__(self, series: pd.Series) -> None:
        self._series = series

    def verify(self, **options: Unpack[RunOptions]) -> pd.DataFrame:
        """One row of answer columns per value of the series."""
        frame = self._series.to_frame(name=_SERIES_INPUT)
        options.setdefault("prefix", "")
        done = run_frame(frame, Operation.VERIFY, {"email": _SERIES_INPUT}, **options)
        return done.frame.drop(columns=_SERIES_INPUT)

    def estimate(self, **options: Any) -> Estimate:
        """What verifying the series would cost now; spends nothing."""
        frame = self._series.to_frame(name=_SERIES_INPUT)
        return estimate_frame(frame, Operation.VERIFY, {"email": _SERIES_INPUT}, **options)
