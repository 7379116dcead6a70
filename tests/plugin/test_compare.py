"""A run against a baseline: tolerance, floor, minimum samples, stages, memory, old contracts."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_stonks_sandbox._analysis.compare import Thresholds, compare, regressions, verdict
from pytest_stonks_sandbox._measure.histograms import LatencyRecorder, RouteKey

KEY = RouteKey("query-api", "GET", "/api/companies")


def _contract(latency_ms: float, count: int = 100, **extra: Any) -> dict[str, Any]:
    recorder = LatencyRecorder()
    for _ in range(count):
        recorder.record(KEY, int(latency_ms * 1e6), error=False)
    return {
        "run_id": f"run-{latency_ms}",
        "started_at": "2026-12-01T00:00:00.000+00:00",
        "schema_version": "2.0",
        "endpoints": recorder.endpoint_rows(),
        "stages": {"deploy": {"status": "passed", "seconds": 2.0}},
        "memory": {"postgres": {"peak_bytes": 100 << 20, "measure": "pss"}},
        **extra,
    }


def _route_verdicts(section: dict[str, Any]) -> dict[str, str]:
    return {entry["metric"]: entry["verdict"] for entry in section["routes"]}


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [(10.0, 13.0, "regression"), (10.0, 12.0, "unchanged"), (10.0, 7.0, "improvement")],
)
def test_routes_beyond_the_tolerance_change(before: float, after: float, expected: str) -> None:
    section = compare(_contract(after), _contract(before))
    assert _route_verdicts(section) == {"p95": expected, "p99": expected}
    assert section["regressions"] == (2 if expected == "regression" else 0)


def test_differences_below_the_floor_are_ignored() -> None:
    section = compare(_contract(1.9), _contract(1.0))  # +90 %, but 0.9 ms
    assert _route_verdicts(section) == {"p95": "unchanged", "p99": "unchanged"}
    tight = compare(_contract(1.9), _contract(1.0), Thresholds(floor_ms=0.5))
    assert _route_verdicts(tight)["p95"] == "regression"


def test_too_few_samples_are_inconclusive_never_a_regression() -> None:
    section = compare(_contract(50.0, count=10), _contract(5.0))
    assert _route_verdicts(section) == {"p95": "inconclusive", "p99": "inconclusive"}
    assert section["regressions"] == 0 and section["inconclusive"] == 2


def test_a_schema_1_baseline_is_compared_by_its_percentiles() -> None:
    old = _contract(10.0)
    for row in old["endpoints"]:
        for key in ("histogram", "sum_us", "expected_errors"):
            del row[key]
    section = compare(_contract(20.0), old)
    assert _route_verdicts(section)["p95"] == "regression"


def test_stage_and_memory_regressions_and_their_floors() -> None:
    current = _contract(10.0)
    current["stages"]["deploy"]["seconds"] = 2.9  # +45 % but 0.9 s: below the 1 s floor
    current["memory"]["postgres"]["peak_bytes"] = 200 << 20
    section = compare(current, _contract(10.0))
    assert [e["verdict"] for e in section["stages"]] == ["unchanged"]
    assert [e["verdict"] for e in section["memory"]] == ["regression"]
    assert regressions(section) == ["memory postgres peak 100.0 -> 200.0 MiB"]


def test_memory_measured_differently_is_inconclusive() -> None:
    baseline = _contract(10.0)
    baseline["memory"]["postgres"] = {"peak_bytes": 10 << 20}  # schema 1.0: RSS, no measure
    current = _contract(10.0)
    assert [e["verdict"] for e in compare(current, baseline)["memory"]] == ["inconclusive"]


def test_verdict_is_symmetric_around_the_tolerance() -> None:
    assert verdict(100.0, 125.0, 0.25, 0.0) == "unchanged"
    assert verdict(100.0, 125.1, 0.25, 0.0) == "regression"
    assert verdict(100.0, 74.9, 0.25, 0.0) == "improvement"
    assert verdict(0.0, 50.0, 0.25, 0.0) == "unchanged"  # no baseline figure to compare with
