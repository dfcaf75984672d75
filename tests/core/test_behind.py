"""WritesBehind: one write in flight, in order; a failure raised where it is waited for."""

from __future__ import annotations

import logging
import threading

import pytest

from contact_udfs.core.behind import WritesBehind


def test_writes_run_one_at_a_time_in_order_outside_the_caller() -> None:
    behind = WritesBehind()
    first_may_end = threading.Event()
    done: list[tuple[int, str]] = []

    def first() -> None:
        first_may_end.wait(5)
        done.append((1, threading.current_thread().name))

    behind.submit(first)
    assert done == []  # the caller went on while it ran
    first_may_end.set()
    behind.submit(lambda: done.append((2, threading.current_thread().name)))
    behind.wait()
    assert done == [(1, "contact_udfs-write-behind"), (2, "contact_udfs-write-behind")]
    assert behind.started == 2
    behind.wait()  # nothing in flight: nothing to do


def test_a_failed_write_is_raised_once_where_it_is_waited_for() -> None:
    behind = WritesBehind()

    def fail() -> None:
        raise OSError("disk full")

    behind.submit(fail)
    with pytest.raises(OSError, match="disk full"):
        behind.submit(lambda: None)  # the next write waits for this one, and sees it
    assert behind.started == 1  # the next write was not started
    behind.wait()  # raised once


def test_settle_logs_a_failure_instead_of_raising_it(caplog: pytest.LogCaptureFixture) -> None:
    behind = WritesBehind()

    def fail() -> None:
        raise OSError("disk full")

    behind.submit(fail)
    with caplog.at_level(logging.ERROR, logger="contact_udfs.core.behind"):
        behind.settle()
    assert "failed as well: disk full" in caplog.text
