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


def _row(name: str, limit: float, actual: float | None, unit: str) -> dict[str, Any]:
    return {
        "name": name,
        "limit": limit,
        "actual": actual,
        "unit": unit,
        "breached": actual is not None and actual >= limit,
    }


def evaluate_budgets(
    stage_seconds: Mapping[str, float | None],
    load_results: Sequence[Mapping[str, Any]],
    budgets: Budgets = DEFAULTS,
) -> list[dict[str, Any]]:
    """One row per budget: name, limit, actual (None if not measured), unit, breached.

    Stages "seed", "tests" (API validation) and "pipeline" (the total) are read
    from ``stage_seconds``; the load budgets take the worst of ``load_results``
    (dicts as from ``LoadResult.to_dict()``).
    """
    stage = stage_seconds.get
    return [
        _row("seed", budgets.seed_s, stage("seed"), "s"),
        _row("api_validation", budgets.api_validation_s, stage("tests"), "s"),
        _row("pipeline", budgets.pipeline_s, stage("pipeline"), "s"),
        _row("load_p95", budgets.load_p95_ms, _worst(load_results, "p95_ms"), "ms"),
        _row(
            "load_error_rate", budgets.load_error_rate, _worst(load_results, "error_rate"), "ratio"
        ),
    ]


def breaches(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Names of the breached budgets in ``rows`` (for the summary and enforcement)."""
    return [str(row["name"]) for row in rows if row["breached"]]
