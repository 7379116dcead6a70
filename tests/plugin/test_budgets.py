"""evaluate_budgets against reference 000 NFR-2 and reference 004."""

from __future__ import annotations

from pytest_stonks_sandbox._measure.budgets import (
    DEFAULTS,
    ApiValidation,
    Budgets,
    breaches,
    evaluate_budgets,
)


def _by_name(rows: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(r["name"]): r for r in rows}


def test_defaults_are_the_reference_budgets() -> None:
    assert (DEFAULTS.seed_s, DEFAULTS.api_validation_s, DEFAULTS.pipeline_s) == (30, 60, 600)
    assert (DEFAULTS.load_p95_ms, DEFAULTS.load_error_rate) == (2000, 0.05)


def test_a_fast_run_breaches_nothing() -> None:
    stages = {"deploy": 12.0, "seed": 1.2, "tests": 40.0, "teardown": 3.0, "pipeline": 70.0}
    loads = [{"name": "burst", "p95_ms": 150.0, "error_rate": 0.0}]

    rows = evaluate_budgets(stages, loads)

    assert [r["name"] for r in rows] == [
        "seed",
        "api_validation",
        "pipeline",
        "load_p95",
        "load_error_rate",
    ]
    assert _by_name(rows)["api_validation"]["actual"] == 40.0
    assert breaches(rows) == []


def test_unmeasured_figures_are_none_and_not_breaches() -> None:
    rows = _by_name(evaluate_budgets({}, []))
    assert all(r["actual"] is None and r["breached"] is False for r in rows.values())


def test_reaching_a_limit_is_a_breach() -> None:
    rows = evaluate_budgets({"seed": 30.0, "tests": 59.9, "pipeline": 601.0}, [])
    assert breaches(rows) == ["seed", "pipeline"]


def test_the_worst_load_result_is_compared() -> None:
    loads = [
        {"name": "a", "p95_ms": 2500.0, "error_rate": 0.01},
        {"name": "b", "p95_ms": 300.0, "error_rate": 0.07},
    ]

    rows = _by_name(evaluate_budgets({}, loads))

    assert rows["load_p95"] == {
        "name": "load_p95",
        "kind": "load",
        "spec": "< 2000ms",
        "limit": 2000.0,
        "actual": 2500.0,
        "unit": "ms",
        "breached": True,
        "measured": "the worst P95 of 2 load scenarios",
    }
    assert rows["load_error_rate"]["actual"] == 0.07
    assert rows["load_error_rate"]["breached"] is True


def test_custom_budgets_replace_the_defaults() -> None:
    rows = evaluate_budgets({"seed": 5.0}, [], Budgets(seed_s=2.0))
    assert breaches(rows) == ["seed"]
    assert _by_name(rows)["seed"]["limit"] == 2.0


def test_api_validation_is_the_time_of_the_tests_that_use_the_sandbox() -> None:
    """Not the tests stage: plugin or cluster tests in the same run do not count."""
    stages = {"tests": 1800.0, "pipeline": 1900.0}
    rows = _by_name(evaluate_budgets(stages, [], api_validation=ApiValidation(21.5, 288)))
    assert rows["api_validation"]["actual"] == 21.5
    assert rows["api_validation"]["breached"] is False
    assert rows["api_validation"]["measured"] == (
        "the summed durations of the 288 tests that use the sandbox"
    )
    assert _by_name(evaluate_budgets(stages, []))["api_validation"]["actual"] == 1800.0


def test_the_pipeline_is_the_sandboxs_own_when_api_validation_is_known() -> None:
    stages = {"deploy": 2.0, "seed": 0.5, "tests": 700.0, "frontend": 3.0, "teardown": 0.5,
              "pipeline": 720.0}  # fmt: skip
    rows = _by_name(evaluate_budgets(stages, [], api_validation=ApiValidation(20.0, 288)))
    assert rows["pipeline"]["actual"] == 26.0 and rows["pipeline"]["breached"] is False
    assert rows["pipeline"]["measured"] == (
        "deploy, seed, frontend and teardown, plus summed durations of the 288 tests that use "
        "the sandbox"
    )
    assert _by_name(evaluate_budgets(stages, []))["pipeline"]["actual"] == 720.0
