"""Performance budgets of reference 000 NFR-2 and reference 004, checked against a run.

A figure breaches its budget when it is not strictly below the limit
(NFR-2 says "under 30 s", 004 says "P95 < 2 s", "error rate < 5 %"). Besides the
run-wide budgets, a project may declare route and memory budgets
(`_settings.budgetspec`); route budgets are read from each route's exact histogram.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pytest_stonks_sandbox._measure.histograms import decode_histogram, percentile_ms
from pytest_stonks_sandbox._settings.budgetspec import BudgetSpec

_PERCENTILE_OF = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0, "p999": 99.9}


@dataclass(frozen=True)
class Budgets:
    """Limits: stage wall-clock seconds, and load P95 (ms) and error rate (0..1)."""

    seed_s: float = 30.0
    api_validation_s: float = 60.0
    pipeline_s: float = 600.0
    load_p95_ms: float = 2000.0
    load_error_rate: float = 0.05


DEFAULTS = Budgets()
#: The stages that are the sandbox's own pipeline, besides the tests that use it.
SANDBOX_STAGES = ("deploy", "seed", "frontend", "teardown")
_FIELD_OF = {
    "seed": "seed_s", "api_validation": "api_validation_s", "pipeline": "pipeline_s",
    "load_p95": "load_p95_ms", "load_error_rate": "load_error_rate",
}  # fmt: skip


def run_wide(specs: Sequence[BudgetSpec]) -> Budgets:
    """The run-wide limits, with those the project declares in place of the defaults."""
    overrides = {_FIELD_OF[s.target]: s.limit for s in specs if s.kind in ("stage", "load")}
    return replace(DEFAULTS, **overrides)


def _worst(load_results: Sequence[Mapping[str, Any]], field: str) -> float | None:
    values = [float(r[field]) for r in load_results if r.get(field) is not None]
    return max(values) if values else None


def _row(
    name: str, limit: float, actual: float | None, unit: str, measured: str,
    kind: str = "stage", spec: str = "",
) -> dict[str, Any]:  # fmt: skip
    return {
        "name": name,
        "kind": kind,
        "spec": spec or f"< {limit:g}{'' if unit == 'ratio' else unit}",
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
    stage. With it, the pipeline is the sandbox's own: the stages other than tests, plus API
    validation (the whole run's wall time counts plugin and cluster tests too). The load
    budgets take the worst of ``load_results`` (``LoadResult.to_dict()``s).
    """
    stage = stage_seconds.get
    pipeline, run = stage("pipeline"), "the whole run's wall time"
    if api_validation is None:
        validation, what = stage("tests"), "the tests stage's wall time"
    else:
        validation = api_validation.seconds
        count = api_validation.tests
        tests = f"{count} test that uses" if count == 1 else f"{count} tests that use"
        what = f"the summed durations of the {tests} the sandbox"
        # The sandbox's own pipeline: tests that never touch it (plugin, cluster) do not count.
        others = [stage(name) for name in SANDBOX_STAGES]
        if pipeline is not None:
            pipeline = round(validation + sum(s for s in others if s is not None), 4)
            run = f"deploy, seed, frontend and teardown, plus {what[4:]}"
    scenarios = f"{len(load_results)} load scenario{'s' * (len(load_results) != 1)}"
    load = "load"
    return [
        _row("seed", budgets.seed_s, stage("seed"), "s", "the seed stage's wall time"),
        _row("api_validation", budgets.api_validation_s, validation, "s", what),
        _row("pipeline", budgets.pipeline_s, pipeline, "s", run),
        _row(
            "load_p95", budgets.load_p95_ms, _worst(load_results, "p95_ms"), "ms",
            f"the worst P95 of {scenarios}", load,
        ),
        _row(
            "load_error_rate", budgets.load_error_rate, _worst(load_results, "error_rate"),
            "ratio", f"the worst error rate of {scenarios}", load,
        ),
    ]  # fmt: skip


def evaluate_declared(
    specs: Sequence[BudgetSpec],
    endpoints: Sequence[Mapping[str, Any]],
    memory: Mapping[str, Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """One row per route and memory budget the project declares; route figures come from the
    route's histogram when the row has one (exact, also after a merge), else its percentiles."""
    routes = {f"{e['service']} {e['method']} {e['route']}": e for e in endpoints}
    rows = []
    for spec in specs:
        if spec.kind == "route":
            actual, measured = _route_figure(spec, routes.get(spec.target))
        elif spec.kind == "memory":
            stats = memory.get(spec.target)
            actual = float(stats[f"{spec.metric}_bytes"]) if stats else None
            measured = (
                f"{spec.metric} of {stats['samples']} samples ({stats.get('measure', 'rss')})"
                if stats else f"no memory figure for {spec.target}"
            )  # fmt: skip
        else:
            continue
        rows.append(_row(spec.name, spec.limit, actual, spec.unit, measured, spec.kind, spec.spec))
    return rows


def _route_figure(spec: BudgetSpec, row: Mapping[str, Any] | None) -> tuple[float | None, str]:
    if row is None or not row.get("count"):
        return None, "no request to this route"
    count = int(row["count"])
    if spec.metric == "error_rate":
        return int(row["errors"]) / count, f"errors of {count} requests (expected errors apart)"
    if row.get("histogram"):
        histogram = decode_histogram(str(row["histogram"]))
        if spec.metric in _PERCENTILE_OF:
            figure = percentile_ms(histogram, _PERCENTILE_OF[spec.metric])
        elif spec.metric == "max":
            figure = float(histogram.get_max_value()) / 1000
        else:
            figure = int(row["sum_us"]) / count / 1000
        return figure, f"{spec.metric} of {count} requests (histogram)"
    field = f"{spec.metric}_ms"
    if field not in row:
        return None, f"the contract keeps no {spec.metric} for this route"
    return float(row[field]), f"{spec.metric} of {count} requests"


def breaches(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Names of the breached budgets in ``rows`` (for the summary and enforcement)."""
    return [str(row["name"]) for row in rows if row["breached"]]
