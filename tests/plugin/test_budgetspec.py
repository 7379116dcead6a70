"""Declared budgets: parsing `[tool.stonks-sandbox.budgets]` and evaluating them on histograms."""

from __future__ import annotations

import pytest

from pytest_stonks_sandbox._core.errors import ConfigError
from pytest_stonks_sandbox._measure.budgets import (
    breaches,
    evaluate_budgets,
    evaluate_declared,
    run_wide,
)
from pytest_stonks_sandbox._measure.histograms import LatencyRecorder, RouteKey
from pytest_stonks_sandbox._settings.budgetspec import parse_budgets

ROUTE = "query-api GET /api/companies"
MIB = 1024 * 1024


def test_every_form_is_parsed_into_the_base_unit() -> None:
    specs = parse_budgets(
        {
            ROUTE: "p95 < 50ms, p99 < 0.2s, error_rate < 1%",
            "memory postgres": "peak < 256MiB",
            "seed": "< 20s",
            "load_error_rate": "< 0.02",
        },
        "test",
    )
    got = [(s.kind, s.name, s.limit, s.unit) for s in specs]
    assert got == [
        ("route", f"{ROUTE} p95", 50.0, "ms"),
        ("route", f"{ROUTE} p99", 200.0, "ms"),
        ("route", f"{ROUTE} error_rate", 0.01, "ratio"),
        ("memory", "memory postgres peak", 256 * MIB, "bytes"),
        ("stage", "seed", 20.0, "s"),
        ("load", "load_error_rate", 0.02, "ratio"),
    ]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({ROUTE: "p95 > 50ms"}, "is not a limit"),
        ({ROUTE: "p42 < 50ms"}, "route metrics are"),
        ({ROUTE: "p95 < 50furlongs"}, "is not a unit of ms"),
        ({"memory postgres": "rss < 1GiB"}, "memory metrics are"),
        ({"query-api": "p95 < 5ms"}, "names no route, component or run-wide budget"),
        ({"seed": "p95 < 5s"}, "takes a bare limit"),
        ({ROUTE: 50}, "must be a string"),
    ],
)
def test_a_bad_budget_names_the_key_and_how_to_write_it(table: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        parse_budgets(table, "[tool.stonks-sandbox] in pyproject.toml")
    assert "pyproject.toml" in caught.value.explain()


def test_run_wide_limits_replace_the_defaults() -> None:
    specs = parse_budgets({"seed": "< 1s", "load_p95": "< 500ms"}, "test")
    rows = {r["name"]: r for r in evaluate_budgets({"seed": 2.0}, [], run_wide(specs))}
    assert rows["seed"]["limit"] == 1.0 and rows["seed"]["breached"]
    assert rows["load_p95"]["limit"] == 500.0
    assert rows["pipeline"]["limit"] == 600.0  # not declared: the default


def _endpoints() -> list[dict[str, object]]:
    recorder = LatencyRecorder()
    key = RouteKey("query-api", "GET", "/api/companies")
    for i in range(100):
        recorder.record(key, (i + 1) * 1_000_000, error=i < 3)  # 1..100 ms, 3 errors
    return recorder.endpoint_rows()


def test_route_budgets_are_read_from_the_histogram() -> None:
    specs = parse_budgets({ROUTE: "p95 < 90ms, p50 < 60ms, error_rate < 5%, max < 1s"}, "test")
    rows = {r["name"]: r for r in evaluate_declared(specs, _endpoints(), {})}
    assert rows[f"{ROUTE} p95"]["actual"] == pytest.approx(95.0, rel=1e-3)
    assert rows[f"{ROUTE} p95"]["breached"] is True
    assert rows[f"{ROUTE} p50"]["actual"] == pytest.approx(50.0, rel=1e-3)
    assert rows[f"{ROUTE} error_rate"]["actual"] == 0.03
    assert breaches(list(rows.values())) == [f"{ROUTE} p95"]
    assert {r["kind"] for r in rows.values()} == {"route"}
    assert rows[f"{ROUTE} p95"]["spec"] == "p95 < 90ms"


def test_unmeasured_route_and_memory_budgets_are_not_breaches() -> None:
    specs = parse_budgets({"x GET /nothing": "p95 < 1ms", "memory redis": "peak < 1B"}, "test")
    rows = evaluate_declared(specs, _endpoints(), {})
    assert [(r["actual"], r["breached"]) for r in rows] == [(None, False), (None, False)]


def test_memory_budgets_read_the_peak() -> None:
    specs = parse_budgets({"memory postgres": "peak < 64MiB"}, "test")
    memory = {"postgres": {"peak_bytes": 80 * MIB, "last_bytes": MIB, "samples": 3,
                           "measure": "pss"}}  # fmt: skip
    (row,) = evaluate_declared(specs, [], memory)
    assert row["actual"] == 80 * MIB and row["breached"] is True
    assert "pss" in row["measured"]
