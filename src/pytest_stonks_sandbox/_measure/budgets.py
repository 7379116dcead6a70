"""Performance budgets of reference 000 NFR-2 and reference 004, checked against a run.

A figure breaches its budget when it is not strictly below the limit
(NFR-2 says "under 30 s", 004 says "P95 < 2 s", "error rate < 5 %").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Budgets:
    """Limits: stage wall-clock seconds, and load P95 (ms) and error rate (0..1)."""

    seed_s: float = 30.0
    api_validation_s: float = 60.0
    pipeline_s: float = 600.0
    load_p95_ms: float = 2000.0
    load_error_rate: float = 0.05


DEFAULTS = Budgets()


def _worst(load_results: Sequence[Mapping[str, Any]], field: str) -> float | None:
    values = [float(r[field]) for r in load_results if r.get(field) is not None]
    return max(values) if values else None


def _row(name: str, limit: float, actual: float | None, unit: str, measured: str) -> dict[str, Any]:
    return {
        "name": name,
        "limit": limit,
        "actual": actual,
        "unit": unit,
        "breached": actual is not None and actual >= limit,
        "measured": measured,
    }


@dataclass(frozen=True)
class ApiValidation:
    """What the API validation budget measures: the tests that use the sandbox, and their time."""

    seconds: float
    tests: int


def evaluate_budgets(
    stage_seconds: Mapping[str, float | None],
    load_results: Sequence[Mapping[str, Any]],
    budgets: Budgets = DEFAULTS,
    api_validation: ApiValidation | None = None,
) -> list[dict[str, Any]]:
    """One row per budget: name, limit, actual (None if not measured), unit, breached, and
    what was measured.

    Stages "seed" and "pipeline" (the total) are read from ``stage_seconds``. API validation is
    the time of the tests that use the sandbox (``api_validation``); without it, the "tests"
    stage. The load budgets take the worst of ``load_results`` (``LoadResult.to_dict()``s).
    """
    stage = stage_seconds.get
    if api_validation is None:
        validation, what = stage("tests"), "the tests stage's wall time"
    else:
        validation = api_validation.seconds
        count = api_validation.tests
        tests = f"{count} test that uses" if count == 1 else f"{count} tests that use"
        what = f"the summed durations of the {tests} the sandbox"
    scenarios = f"{len(load_results)} load scenario{'s' * (len(load_results) != 1)}"
    return [
        _row("seed", budgets.seed_s, stage("seed"), "s", "the seed stage's wall time"),
        _row("api_validation", budgets.api_validation_s, validation, "s", what),
        _row("pipeline", budgets.pipeline_s, stage("pipeline"), "s", "the whole run's wall time"),
        _row(
            "load_p95", budgets.load_p95_ms, _worst(load_results, "p95_ms"), "ms",
            f"the worst P95 of {scenarios}",
        ),
        _row(
            "load_error_rate", budgets.load_error_rate, _worst(load_results, "error_rate"),
            "ratio", f"the worst error rate of {scenarios}",
        ),
    ]  # fmt: skip


def breaches(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Names of the breached budgets in ``rows`` (for the summary and enforcement)."""
    return [str(row["name"]) for row in rows if row["breached"]]
