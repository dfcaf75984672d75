"""``ddf.contacts``: the pandas accessor's methods on a Dask DataFrame, for a whole cluster.

``import contact_udfs`` registers it when Dask is installed. ``verify``, ``find``
and ``enrich`` return lazy Dask DataFrames with the columns and dtypes
``df.contacts`` gives (declared as ``meta``), partition by partition, index and
divisions kept; ``estimate`` computes what the job would cost now, summed over
every partition, and spends nothing::

    out = ddf.contacts.verify("email", providers="fullcontact", budget=5000)
    out.to_parquet("verified/")          # or out.compute()

What makes a cluster pay once per contact (see :mod:`.graph`): distinct contacts
are gathered across partitions into a few groups, so POSTs are full; every worker
uses the same cache (a ``redis://`` one across machines), so the claims, the job
journal and the rate-limit bucket are the cluster's; the budget is one counter in
that store for the whole job. Each worker reads its keys from its own environment.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypedDict

import dask.dataframe as dd
from dask.dataframe.extensions import register_dataframe_accessor

from ...api import Client
from ...config import Settings, load_settings
from ...core.answer_columns import answer_targets
from ...core.columns_detect import ROLES, check_mapping, detect_columns
from ...core.reports import Estimate
from ...models import Operation
from .groups import Job, job_name
from .progress import Follower
from .spec import ship

if TYPE_CHECKING:  # pragma: no cover
    from typing_extensions import Unpack

__all__ = ["DaskContactsAccessor", "DaskRunOptions"]

#: groups when no cluster says how many workers it has
DEFAULT_GROUPS = 4


class DaskRunOptions(TypedDict, total=False):
    """Keyword options of ``verify``/``find``/``enrich``; see :class:`DaskContactsAccessor`."""

    providers: Sequence[str] | str | None
    fields: Sequence[str] | None
    prefix: str | None
    retry_unknown: bool
    budget: float | None
    progress: bool | Callable[[int, int], None]
    client: Client | None
    settings: Settings | None
    overwrite: bool
    groups: int | None


@register_dataframe_accessor("contacts")
class DaskContactsAccessor:
    """``ddf.contacts``: lazy answer frames over a Dask DataFrame.

    Options shared by :meth:`verify`, :meth:`find` and :meth:`enrich` are those of
    ``df.contacts`` (``providers``, ``fields``, ``prefix``, ``retry_unknown``,
    ``budget``, ``progress``, ``overwrite``), with these differences:

    * ``budget`` holds for the whole job, on a counter in the shared store: the
      workers reserve before they send, and when it is used up the job stops with
      :class:`~contact_udfs.faces.dask.errors.BudgetSpentError` (what was paid is
      cached). Call :meth:`estimate` first to know the cost.
    * ``client``/``settings`` give the settings to ship (default: this process's,
      as :func:`~contact_udfs.default_client` reads them); API keys are never
      shipped - each worker reads its own.
    * ``progress`` (default True) is one bar for the whole computation, in contacts,
      shown when it is computed; a callable gets ``(done, total)``.
    * ``groups``: how many tasks ask the providers (default: one per worker of the
      active cluster, at most the number of partitions).
    """

    def __init__(self, ddf: dd.DataFrame) -> None:
        self._ddf = ddf

    def detect(self, operation: Operation | str = "verify") -> dict[str, Hashable]:
        """The ``{field: column}`` mapping auto-detection picks for ``operation``.

        Headers decide; when none names the address, the first rows are read to
        find a column of addresses (as ``df.contacts`` does).
        """
        op = Operation(operation)
        found = detect_columns(self._ddf.columns, op)
        if "email" in ROLES[op] and "email" not in found:
            sample = self._ddf.head(200, npartitions=1)
            found = detect_columns(self._ddf.columns, op, frame=sample)
        return found

    def verify(
        self, column: Hashable | None = None, **options: Unpack[DaskRunOptions]
    ) -> dd.DataFrame:
        """Lazy ``email_status``, ``email_reason``... per row; see ``df.contacts.verify``."""
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
        **options: Unpack[DaskRunOptions],
    ) -> dd.DataFrame:
        """Lazy ``found_email``, ``found_confidence``... per row; see ``df.contacts.find``."""
        given = {"first_name": first_name, "last_name": last_name, "domain": domain,
                 "company": company, "full_name": full_name, "website": website}  # fmt: skip
        mapping = {k: v for k, v in given.items() if v is not None}
        return self._run(Operation.FIND, mapping or None, options)

    def enrich(
        self,
        columns: Mapping[str, Hashable | None] | None = None,
        **options: Unpack[DaskRunOptions],
    ) -> dd.DataFrame:
        """Lazy Dropcontact enrichment per row; see ``df.contacts.enrich``."""
        return self._run(Operation.ENRICH, columns, options)

    def estimate(
        self,
        operation: Operation | str = "verify",
        columns: Hashable | Mapping[str, Hashable | None] | None = None,
        *,
        providers: Sequence[str] | str | None = None,
        retry_unknown: bool = False,
        client: Client | None = None,
        settings: Settings | None = None,
        groups: int | None = None,
    ) -> Estimate:
        """What the job would cost now, summed over every partition; spends nothing.

        Computes on the cluster (distinct inputs and cache lookups only, no HTTP);
        ``rows`` counts rows, the other counts distinct contacts.
        """
        op = Operation(operation)
        if columns is not None and not isinstance(columns, Mapping):
            columns = {ROLES[op][0]: columns}
        mapping = self._mapping(op, columns)
        from .graph import estimate_frame  # imported late: see register_when_imported

        job = _job(op, providers, retry_unknown, None, False, client, settings)
        return estimate_frame(self._ddf, job, mapping, self._groups(groups))

    # -- internals ------------------------------------------------------------------------
    def _mapping(
        self, op: Operation, mapping: Mapping[str, Hashable | None] | None
    ) -> dict[str, Hashable]:
        chosen = self.detect(op) if mapping is None else mapping
        return check_mapping(self._ddf.columns, op, chosen)

    def _groups(self, groups: int | None) -> int:
        if groups is not None:
            if int(groups) < 1:
                raise ValueError(f"groups must be at least 1, got {groups!r}")
            return int(groups)
        workers = _cluster_workers()
        return max(1, min(self._ddf.npartitions, workers or DEFAULT_GROUPS))

    def _run(
        self,
        op: Operation,
        mapping: Mapping[str, Hashable | None] | None,
        options: DaskRunOptions,
    ) -> dd.DataFrame:
        unknown = set(options) - set(DaskRunOptions.__annotations__)
        if unknown:
            raise TypeError(f"unknown options: {', '.join(sorted(unknown))}")
        clean = self._mapping(op, mapping)
        names, targets = answer_targets(op, options.get("fields"), options.get("prefix"))
        existing = [t for t in targets if t in self._ddf.columns]
        if existing and not options.get("overwrite", False):
            raise ValueError(
                f"output columns already exist: {', '.join(map(repr, existing))}; "
                "pass overwrite=True or another prefix="
            )
        progress = options.get("progress", True)
        job = _job(
            op, options.get("providers"), options.get("retry_unknown", False),
            options.get("budget"), bool(progress), options.get("client"),
            options.get("settings"),
        )  # fmt: skip
        groups = self._groups(options.get("groups"))
        if progress:
            Follower(job.name, groups, progress, f"contacts.{op.value}")
        from .graph import answer_frame  # imported late: see register_when_imported

        return answer_frame(self._ddf, job, clean, names, targets, groups)


def _job(
    op: Operation,
    providers: Sequence[str] | str | None,
    retry_unknown: bool,
    budget: float | None,
    progress: bool,
    client: Client | None,
    settings: Settings | None,
) -> Job:
    base = client.settings if client is not None else settings or load_settings()
    explicit = providers is not None or client is not None or settings is not None
    if providers is not None:
        base = Client(providers=providers, settings=base).settings  # parsed and checked
    limit = budget if budget is not None else base.budget
    if limit is not None and float(limit) < 0:
        raise ValueError(f"budget must be 0 or more, got {limit!r}")
    explicit = explicit or _providers_configured()
    return Job(
        spec=ship(base, explicit_providers=explicit), operation=op,
        retry_unknown=bool(retry_unknown),
        budget=None if limit is None else float(limit), name=job_name(op), progress=progress,
    )  # fmt: skip


def _providers_configured() -> bool:
    """True when this process names a waterfall (else each worker uses its keys' default)."""
    import os

    return bool(os.environ.get("CONTACT_UDFS_PROVIDERS"))


def _cluster_workers() -> int | None:
    try:
        from distributed import default_client

        workers: Any = default_client().nthreads()
    except (ImportError, ValueError):
        return None
    return len(workers) or None
