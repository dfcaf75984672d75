"""The collector pause of bulk calls: nested and concurrent blocks share one pause,
and the collector's state is given back as it was found."""

from __future__ import annotations

import gc

from contact_udfs.core.bulk import paused_gc


def test_nested_blocks_share_one_pause_and_restore_the_state() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer block is still running
    assert gc.isenabled()


def test_a_collector_the_caller_turned_off_stays_off() -> None:
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_error_still_gives_the_collector_back() -> None:
    try:
        with paused_gc():
            raise ValueError("boom")
    except ValueError:
        pass
    assert gc.isenabled()
