"""The speed goals, each held against what this run measured (nothing is carried over
from an earlier run): which are met, and by how much."""

from __future__ import annotations

from typing import Any

import _markdown as md
import scale

MIB_BEYOND_RESULT = 100
CLI_PEAK_MIB = 300
CLI_GOAL_ROWS = 10_000_000


def _size(rows: list[dict[str, Any]], n: int) -> dict[str, Any] | None:
    return next((r for r in rows if r["rows"] == n), None)


def _verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else ("met" if ok else "**not met**")


def markdown(results: dict[str, Any]) -> list[str]:
    """The goals table (empty when none of the benchmarks behind it ran)."""
    rows: list[list[str]] = []
    speed, sc, off = results.get("speed"), results.get("scale"), results.get("offline")
    if speed:
        ex = speed["excel"]
        r = ex["recalc_seconds"] / ex["floor_seconds"]
        rows.append(
            [
                f"{ex['cells']:,} cached cells ≤ 10× a bare dict lookup",
                f"{ex['recalc_seconds'] * 1e3:,.0f} ms vs {ex['floor_seconds'] * 1e3:,.2f} ms",
                md.x(r),
                _verdict(r <= 10),
            ]
        )
        rows.append(
            [
                "… and about 40 ms",
                f"{ex['recalc_seconds'] * 1e3:,.0f} ms",
                "",
                _verdict(ex["recalc_seconds"] <= 0.040),
            ]
        )
    if sc:
        big = _size(sc["results"], 1_000_000)
        small = _size(sc["results"], 100_000)
        fresh = big.get("fresh_cached") if big else None
        if fresh:
            r = fresh["seconds"] / fresh["floor_seconds"]
            rows.append(
                [
                    "`df.contacts.verify` of 1M cached rows ≤ 2× the bare store read",
                    f"{fresh['seconds']:,.1f} s vs {fresh['floor_seconds']:,.1f} s",
                    md.x(r),
                    _verdict(r <= 2),
                ]
            )
        if big:
            rows.append(
                [
                    "1M-row first run with the local provider ≤ 60 s",
                    f"{big['cold_seconds']:,.0f} s",
                    "",
                    _verdict(big["cold_seconds"] <= 60),
                ]
            )
            mem = scale._mem(big)
            rows.append(
                [
                    f"working memory ≤ {MIB_BEYOND_RESULT} MiB beyond the result at 1M rows",
                    f"{mem:,.0f} MiB",
                    "",
                    _verdict(mem <= MIB_BEYOND_RESULT),
                ]
            )
        if big and small:
            grow = scale._mem(big) / max(scale._mem(small), 1.0)
            rows.append(
                [
                    "… and flat from 100k to 1M rows",
                    f"{scale._mem(small):,.0f} → {scale._mem(big):,.0f} MiB",
                    md.x(grow),
                    _verdict(grow <= 1.5),
                ]
            )
    if speed and speed.get("cli"):
        target = _size(speed["cli"], CLI_GOAL_ROWS)
        largest = speed["cli"][-1]
        if target:
            rows.append(
                [
                    f"the CLI on a 10M-row CSV peaks under {CLI_PEAK_MIB} MiB",
                    f"{target['first_rss_mb']:,.0f} MiB",
                    "",
                    _verdict(target["first_rss_mb"] < CLI_PEAK_MIB),
                ]
            )
        else:
            rows.append(
                [
                    f"the CLI on a 10M-row CSV peaks under {CLI_PEAK_MIB} MiB",
                    f"largest measured: {largest['rows']:,} rows, "
                    f"{largest['first_rss_mb']:,.0f} MiB",
                    "",
                    _verdict(None),
                ]
            )
        small_cli = speed["cli"][0]
        if largest is not small_cli:
            grow = largest["first_rss_mb"] / small_cli["first_rss_mb"]
            rows.append(
                [
                    f"… CLI peak flat from {small_cli['rows']:,} to {largest['rows']:,} rows",
                    f"{small_cli['first_rss_mb']:,.0f} → {largest['first_rss_mb']:,.0f} MiB",
                    md.x(grow),
                    _verdict(grow <= 1.5),
                ]
            )
    if off:
        first = next((r for r in off["results"] if r["level"] == "client_first"), None)
        if first:
            rows.append(
                [
                    "the local provider through the client ≥ 40k emails/s (first run)",
                    f"{first['per_s']:,.0f} /s",
                    "",
                    _verdict(first["per_s"] >= 40_000),
                ]
            )
    if not rows:
        return []
    return [
        "## Goals",
        "",
        "Each goal against this run's own measurements (the sections below say how each was "
        "taken). *Flat* is read as at most 1.5x the memory for 10x the rows.",
        "",
        *md.table(["goal", "measured", "ratio", "verdict"], rows, "llrl"),
    ]
