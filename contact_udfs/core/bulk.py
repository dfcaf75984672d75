"""Bulk runs without the cyclic garbage collector's pauses, nor the hot layer's churn.

Why (the collector): a run over many rows allocates millions of small objects (items, answers,
cells) that live until the run ends, and CPython's collector walks every live
object each time enough of them pile up - on a big frame or sheet that is a
large share of the run spent finding no garbage (answers hold no cycles; they
are freed by reference counting). The faces wrap one bulk call in
:func:`paused_gc`; whatever cyclic garbage the call makes is collected by the
next ordinary collection after it.

Why (the hot layer): a run over more distinct contacts than the hot layer holds
would hold each slice's answers only to evict them for the next slice's;
:func:`streaming` hands them on instead (:func:`~contact_udfs.store.hot.passing_through`).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from typing import Any

from ..identity import parsing_in_bulk
from ..store.hot import passing_through

__all__ = ["paused_gc", "streaming"]

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def paused_gc() -> Iterator[None]:
    """Collector off for the block (nested and concurrent blocks share one pause)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()


def streaming(store: Any, distinct: int) -> Any:
    """A context in which a run of ``distinct`` contacts over ``store`` holds no answer in
    the hot layer and parses its cells without the normalization memo, when they are more
    than the hot layer holds (else holding them serves a rerun)."""
    size = getattr(getattr(store, "memory", None), "size", None)
    if size is None or distinct <= size:
        return nullcontext()
    stack = ExitStack()
    stack.enter_context(passing_through())
    stack.enter_context(parsing_in_bulk())
    return stack
