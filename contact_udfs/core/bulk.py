"""Bulk runs without the cyclic garbage collector's pauses.

Why: a run over many rows allocates millions of small objects (items, answers,
cells) that live until the run ends, and CPython's collector walks every live
object each time enough of them pile up - on a big frame or sheet that is a
large share of the run spent finding no garbage (answers hold no cycles; they
are freed by reference counting). The faces wrap one bulk call in
:func:`paused_gc`; whatever cyclic garbage the call makes is collected by the
next ordinary collection after it.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused_gc"]

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
