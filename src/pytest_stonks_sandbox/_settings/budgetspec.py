"""Budgets as a project declares them in `[tool.stonks-sandbox.budgets]`, parsed and checked.

    [tool.stonks-sandbox.budgets]
    seed = "< 20s"                                      # a run-wide budget's limit
    "query-api GET /api/companies" = "p95 < 50ms, error_rate < 1%"
    "memory postgres" = "peak < 256MiB"

Run-wide budgets are `seed`, `api_validation`, `pipeline` (seconds), `load_p95` (ms) and
`load_error_rate` (ratio). Route metrics are p50, p90, p95, p99, p999, max, mean (ms) and
error_rate (ratio); memory metrics are peak and last (bytes). A figure meets a budget when it is
strictly below the limit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pytest_stonks_sandbox._core.errors import ConfigError

BudgetKind = Literal["stage", "load", "route", "memory"]
#: Run-wide budgets: their kind and unit.
RUN_WIDE: Mapping[str, tuple[BudgetKind, str]] = {
    "seed": ("stage", "s"),
    "api_validation": ("stage", "s"),
    "pipeline": ("stage", "s"),
    "load_p95": ("load", "ms"),
    "load_error_rate": ("load", "ratio"),
}
ROUTE_METRICS = ("p50", "p90", "p95", "p99", "p999", "max", "mean", "error_rate")
MEMORY_METRICS = ("peak", "last")
_TIME_UNITS = {"us": 0.001, "µs": 0.001, "ms": 1.0, "s": 1000.0}  # to ms
_SIZE_UNITS = {
    "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 2**10, "mib": 2**20, "gib": 2**30,
}  # fmt: skip
_CLAUSE = re.compile(r"\s*(?:([a-z_0-9]+)\s*)?<\s*([0-9]*\.?[0-9]+)\s*([a-zA-Zµ%]*)\s*")


@dataclass(frozen=True)
class BudgetSpec:
    """One limit: `name` (the table key, plus the metric for route and memory budgets)."""

    kind: BudgetKind
    target: str  # run-wide: its name; route: "service METHOD /route"; memory: the component
    metric: str  # run-wide: its name; else the metric (p95, error_rate, peak, ...)
    limit: float  # in `unit`
    unit: str  # s, ms, ratio or bytes
    spec: str  # the clause as written

    @property
    def name(self) -> str:
        if self.kind in ("stage", "load"):
            return self.target
        prefix = "memory " if self.kind == "memory" else ""
        return f"{prefix}{self.target} {self.metric}"


def parse_budgets(table: object, where: str) -> tuple[BudgetSpec, ...]:
    """Every budget of the table; ConfigError names the key and says how to write it."""
    if not isinstance(table, Mapping):
        raise ConfigError(where, "'budgets' must be a table.", "[tool.stonks-sandbox.budgets]")
    specs: list[BudgetSpec] = []
    for key, value in table.items():
        if not isinstance(value, str):
            raise ConfigError(where, f"budget {key!r} must be a string.", 'e.g. "p95 < 50ms"')
        specs += [_parse_clause(str(key), clause, where) for clause in value.split(",")]
    return tuple(specs)


def _parse_clause(key: str, clause: str, where: str) -> BudgetSpec:
    match = _CLAUSE.fullmatch(clause)
    if match is None:
        raise ConfigError(
            where,
            f"budget {key!r}: {clause.strip()!r} is not a limit.",
            'write "<metric> < <number><unit>", e.g. "p95 < 50ms", "peak < 256MiB", "< 30s".',
        )
    metric, number, unit = match.group(1), float(match.group(2)), match.group(3)
    text = clause.strip()
    if key in RUN_WIDE:
        kind, base = RUN_WIDE[key]
        if metric not in (None, key):
            raise ConfigError(where, f"budget {key!r} takes a bare limit, not {metric!r}.", "< 30s")
        return BudgetSpec(kind, key, key, _convert(number, unit, base, key, where), base, text)
    parts = key.split(maxsplit=2)
    if parts and parts[0] == "memory" and len(parts) == 2:
        if metric not in MEMORY_METRICS:
            raise ConfigError(
                where, f"budget {key!r}: memory metrics are {', '.join(MEMORY_METRICS)}.",
                '"peak < 256MiB"',
            )  # fmt: skip
        limit = _convert(number, unit, "bytes", key, where)
        return BudgetSpec("memory", parts[1], metric, limit, "bytes", text)
    if len(parts) != 3 or not parts[1].isupper() or not parts[2].startswith("/"):
        raise ConfigError(
            where,
            f"budget {key!r} names no route, component or run-wide budget.",
            'use "<service> <METHOD> <route>", "memory <component>" or one of '
            f"{', '.join(RUN_WIDE)}.",
        )
    if metric not in ROUTE_METRICS:
        raise ConfigError(
            where, f"budget {key!r}: route metrics are {', '.join(ROUTE_METRICS)}.", "p95 < 50ms"
        )
    base = "ratio" if metric == "error_rate" else "ms"
    return BudgetSpec("route", key, metric, _convert(number, unit, base, key, where), base, text)


def _convert(number: float, unit: str, base: str, key: str, where: str) -> float:
    """`number unit` in the budget's base unit (s, ms, ratio or bytes)."""
    if base == "ratio":
        if unit == "%":
            return number / 100
        if unit == "":
            return number
    elif base == "bytes":
        if unit.lower() in _SIZE_UNITS or unit == "":
            return number * _SIZE_UNITS.get(unit.lower(), 1)
    elif unit in _TIME_UNITS or unit == "":
        ms = number * _TIME_UNITS.get(unit, 1.0 if base == "ms" else 1000.0)
        return ms / 1000 if base == "s" else ms
    raise ConfigError(
        where, f"budget {key!r}: {unit!r} is not a unit of {base}.",
        "times in us, ms or s; rates in % or as a ratio; memory in B, KiB, MiB, GiB, KB, MB, GB.",
    )  # fmt: skip
