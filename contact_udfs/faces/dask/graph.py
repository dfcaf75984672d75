"""The task graph behind ``ddf.contacts``: distinct contacts regrouped, asked, mapped back.

For a frame of ``P`` partitions and ``G`` groups::

    split[p]     the partition's distinct inputs, normalized; its keys dealt into G groups
                 by a stable hash of the key (so one contact is in exactly one group)
    ask[g]       every partition's share of group g, deduplicated, asked on one worker
                 (:func:`~contact_udfs.faces.dask.groups.ask_group`): full batches
    pick[g, p]   the answers of group g that partition p needs (small; stays near ask[g])
    attach[p]    partition p plus its answer columns, row by row (a positional take)

The result keeps the input's partitions, index and divisions, and has the pandas
accessor's columns and dtypes (declared as ``meta``). Each group is one task, so a
worker lost mid-job costs a recomputation of its groups, and those find their paid
answers in the shared store.
"""

from __future__ import annotations

import zlib
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd

from ...core.answer_columns import answer_array, attach, take
from ...core.columns_detect import distinct_inputs
from ...core.items import Item, invalid_answer, normalize_item
from ...core.reports import Estimate, ProviderEstimate
from ...models import Answer, Operation, Verification
from .groups import Job, ask_group, estimate_group

__all__ = ["Split", "answer_frame", "estimate_frame"]


@dataclass(frozen=True)
class Split:
    """What ``attach`` needs of a partition: one code per row, one item per distinct input."""

    codes: np.ndarray
    items: list[Item]


def answer_frame(
    ddf: dd.DataFrame,
    job: Job,
    mapping: Mapping[str, Hashable],
    names: Sequence[str],
    targets: Sequence[str],
    groups: int,
) -> dd.DataFrame:
    """The lazy answer frame: ``ddf`` plus the answer columns ``targets``."""
    op, tag = job.operation, job.name
    parts = ddf.to_delayed()
    split = [
        dask.delayed(_split, nout=groups + 1, pure=True)(
            part, op, dict(mapping), groups, dask_key_name=(f"contacts-split-{tag}", p))
        for p, part in enumerate(parts)
    ]  # fmt: skip
    asks = [
        dask.delayed(ask_group, pure=True)(
            job, g, *[s[g + 1] for s in split], dask_key_name=(f"contacts-ask-{tag}", g))
        for g in range(groups)
    ]  # fmt: skip
    out = []
    for p, (part, s) in enumerate(zip(parts, split, strict=True)):
        picked = [
            dask.delayed(_pick, pure=True)(
                asks[g], s[g + 1], dask_key_name=(f"contacts-pick-{tag}", g, p))
            for g in range(groups)
        ]  # fmt: skip
        out.append(
            dask.delayed(_attach, pure=True)(
                part, s[0], op, list(names), list(targets), *picked,
                dask_key_name=(f"contacts-attach-{tag}", p))
        )  # fmt: skip
    meta = _attach(ddf._meta, Split(np.zeros(0, dtype=np.intp), []), op, names, targets)
    divisions = ddf.divisions if ddf.known_divisions else None
    return dd.from_delayed(out, meta=meta, divisions=divisions, verify_meta=False)


def estimate_frame(
    ddf: dd.DataFrame, job: Job, mapping: Mapping[str, Hashable], groups: int
) -> Estimate:
    """What the job would cost now, summed over every partition; nothing is sent."""
    op, tag = job.operation, job.name
    split = [
        dask.delayed(_split, nout=groups + 1, pure=True)(
            part, op, dict(mapping), groups, dask_key_name=(f"contacts-split-{tag}", p))
        for p, part in enumerate(ddf.to_delayed())
    ]  # fmt: skip
    per_group = [
        dask.delayed(estimate_group, pure=True)(
            job, *[s[g + 1] for s in split], dask_key_name=(f"contacts-estimate-{tag}", g))
        for g in range(groups)
    ]  # fmt: skip
    rows = [dask.delayed(_row_counts)(s[0]) for s in split]
    estimates, counts = dask.compute(per_group, rows)
    return _sum(op, estimates, counts)


# -- the tasks ------------------------------------------------------------------------------
def _split(
    part: pd.DataFrame, op: Operation, mapping: dict[str, Hashable], groups: int
) -> tuple[Any, ...]:
    distinct = distinct_inputs(part, op, mapping)
    items = [normalize_item(op, value) for value in distinct.items]
    shares: list[list[tuple[str, Any]]] = [[] for _ in range(groups)]
    seen: set[str] = set()
    for value, item in zip(distinct.items, items, strict=True):
        if item.key is None or item.key in seen:
            continue
        seen.add(item.key)
        shares[zlib.crc32(item.key.encode("utf-8")) % groups].append((item.key, value))
    return (Split(distinct.codes, items), *shares)


def _pick(answers: dict[str, Answer], share: Sequence[tuple[str, Any]]) -> dict[str, Answer]:
    return {key: answers[key] for key, _ in share if key in answers}


def _attach(
    part: pd.DataFrame, split: Split, op: Operation, names: Sequence[str],
    targets: Sequence[str], *picked: dict[str, Answer],
) -> pd.DataFrame:  # fmt: skip
    found: dict[str, Answer] = {}
    for answers in picked:
        found.update(answers)
    answers = [_row_answer(op, item, found) for item in split.items]
    columns = {
        target: take(answer_array(answers, name), split.codes)
        for name, target in zip(names, targets, strict=True)
    }
    return attach(part, columns)


def _row_answer(op: Operation, item: Item, found: dict[str, Answer]) -> Answer | None:
    """The engine's answer for one input, as the engine gives it per row."""
    if item.key is None:
        return invalid_answer(op, item)
    answer = found.get(item.key)
    if isinstance(answer, Verification) and (
        answer.email != item.display or answer.address is None
    ):
        answer = answer.replace(email=item.display, address=answer.address or item.key)
    return answer


def _row_counts(split: Split) -> tuple[int, set[str]]:
    invalid = {item.display for item in split.items if item.key is None}
    return len(split.codes), invalid


def _sum(op: Operation, estimates: Sequence[Estimate], counts: Sequence[Any]) -> Estimate:
    steps: dict[str, ProviderEstimate] = {}
    for est in estimates:
        for step in est.steps:
            into = steps.setdefault(step.provider, ProviderEstimate(step.provider))
            steps[step.provider] = replace(
                into, cached=into.cached + step.cached, to_send=into.to_send + step.to_send,
                credits=into.credits + step.credits,
                upper_bound=into.upper_bound or step.upper_bound,
            )  # fmt: skip
    invalid: set[str] = set()
    for _, bad in counts:
        invalid |= bad
    return Estimate(
        op.value, rows=sum(n for n, _ in counts), invalid=len(invalid),
        distinct=sum(e.distinct for e in estimates), steps=list(steps.values()),
    )  # fmt: skip
