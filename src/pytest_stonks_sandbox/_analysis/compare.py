"""A run against a baseline contract (reference 002: regressions beyond a 25 % tolerance).

Per route, p95 and p99 are compared (from the routes' histograms when both contracts keep them,
else from their percentiles); then each stage's seconds and each component's memory peak. A
change is a regression (or an improvement) only when it exceeds the relative tolerance *and* the
absolute floor; a route with fewer than `min_samples` requests on either side is inconclusive,
never a regression.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_stonks_sandbox._contract.summary import describe
from pytest_stonks_sandbox._measure.histograms import decode_histogram

METRICS = {"p95": 95.0, "p99": 99.0}
STAGE_FLOOR_S = 1.0
MEMORY_FLOOR_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Thresholds:
    """When a difference counts: relative `tolerance`, absolute `floor_ms`, `min_samples`."""

    tolerance: float = 0.25
    floor_ms: float = 2.0
    min_samples: int = 30


def verdict(before: float, after: float, tolerance: float, floor: float) -> str:
    """regression, improvement or unchanged (higher is worse)."""
    change = after - before
    if abs(change) <= floor or before <= 0 or abs(change) / before <= tolerance:
        return "unchanged"
    return "regression" if change > 0 else "improvement"


def _change(before: float, after: float) -> float | None:
    return round((after - before) / before, 4) if before > 0 else None


def _route_key(row: Mapping[str, Any]) -> tuple[str, str, str]:
    return str(row["service"]), str(row["method"]), str(row["route"])


def route_percentiles(row: Mapping[str, Any]) -> dict[str, float]:
    """p95 and p99 of a contract's endpoint row in ms: from its histogram if it has one."""
    if row.get("histogram"):
        histogram = decode_histogram(str(row["histogram"]))
        values = histogram.get_percentile_to_value_dict(list(METRICS.values()))  # one pass
        return {metric: values[value] / 1000.0 for metric, value in METRICS.items()}
    return {metric: float(row[f"{metric}_ms"]) for metric in METRICS}


def compare_routes(
    current: Sequence[Mapping[str, Any]],
    baseline: Sequence[Mapping[str, Any]],
    thresholds: Thresholds,
) -> list[dict[str, Any]]:
    """One entry per route and metric present in both runs."""
    before = {_route_key(row): row for row in baseline}
    entries = []
    for row in current:
        old = before.get(_route_key(row))
        if old is None:
            continue
        before_ms, after_ms = route_percentiles(old), route_percentiles(row)
        counts = int(old["count"]), int(row["count"])
        for metric in METRICS:
            was, now = before_ms[metric], after_ms[metric]
            if min(counts) < thresholds.min_samples:
                outcome = "inconclusive"
            else:
                outcome = verdict(was, now, thresholds.tolerance, thresholds.floor_ms)
            entries.append(
                {
                    "service": row["service"], "method": row["method"], "route": row["route"],
                    "metric": metric, "baseline_ms": round(was, 3), "current_ms": round(now, 3),
                    "change": _change(was, now), "baseline_count": counts[0],
                    "current_count": counts[1], "verdict": outcome,
                }
            )  # fmt: skip
    return entries


def compare_stages(
    current: Mapping[str, Mapping[str, Any]],
    baseline: Mapping[str, Mapping[str, Any]],
    tolerance: float,
) -> list[dict[str, Any]]:
    """Seconds of each stage that ran in both."""
    entries = []
    for name, stage in current.items():
        old = baseline.get(name, {})
        was, now = old.get("seconds"), stage.get("seconds")
        if was is None or now is None:
            continue
        entries.append(
            {
                "stage": name, "baseline_s": was, "current_s": now, "change": _change(was, now),
                "verdict": verdict(float(was), float(now), tolerance, STAGE_FLOOR_S),
            }
        )  # fmt: skip
    return entries


def compare_memory(
    current: Mapping[str, Mapping[str, Any]],
    baseline: Mapping[str, Mapping[str, Any]],
    tolerance: float,
) -> list[dict[str, Any]]:
    """Peak memory of each component measured in both (inconclusive when measured differently,
    e.g. PSS against a schema 1.0 contract's RSS)."""
    entries = []
    for name, stats in current.items():
        old = baseline.get(name)
        if old is None:
            continue
        was, now = int(old["peak_bytes"]), int(stats["peak_bytes"])
        same_measure = old.get("measure", "rss") == stats.get("measure", "rss")
        entries.append(
            {
                "component": name, "baseline_bytes": was, "current_bytes": now,
                "change": _change(was, now),
                "verdict": verdict(was, now, tolerance, MEMORY_FLOOR_BYTES)
                if same_measure else "inconclusive",
            }
        )  # fmt: skip
    return entries


def compare(
    current: Mapping[str, Any],
    baseline: Mapping[str, Any],
    thresholds: Thresholds = Thresholds(),
    baseline_path: str = "",
) -> dict[str, Any]:
    """The contract's `comparison` section: `current` measured against `baseline`."""
    routes = compare_routes(current["endpoints"], baseline.get("endpoints", []), thresholds)
    stages = compare_stages(current["stages"], baseline.get("stages", {}), thresholds.tolerance)
    memory = compare_memory(current["memory"], baseline.get("memory", {}), thresholds.tolerance)
    verdicts = [entry["verdict"] for entry in (*routes, *stages, *memory)]
    return {
        "baseline": {
            "path": baseline_path,
            "run_id": baseline.get("run_id", ""),
            "started_at": baseline.get("started_at", ""),
            "schema_version": baseline.get("schema_version", ""),
        },
        "tolerance": thresholds.tolerance,
        "floor_ms": thresholds.floor_ms,
        "min_samples": thresholds.min_samples,
        "routes": routes,
        "stages": stages,
        "memory": memory,
        "regressions": verdicts.count("regression"),
        "improvements": verdicts.count("improvement"),
        "inconclusive": verdicts.count("inconclusive"),
    }


def regressions(comparison: Mapping[str, Any] | None) -> list[str]:
    """What regressed, one line each (for the gate's blockers)."""
    if not comparison:
        return []
    entries = (*comparison["routes"], *comparison["stages"], *comparison["memory"])
    return [describe(entry) for entry in entries if entry["verdict"] == "regression"]
