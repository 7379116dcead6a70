"""The results contract: build the document (a pure function of the run's facts), write it."""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pytest_stonks_sandbox._core.jsonfile import write_json
from pytest_stonks_sandbox._version import __version__

SCHEMA_VERSION = "2.1"
EXIT_PASSED, EXIT_FAILED, EXIT_INFRA = 0, 1, 2
#: The pipeline's stages, in order; every contract lists each of them.
STAGES = ("deploy", "seed", "tests", "frontend", "teardown")


@dataclass
class RunFacts:
    """Everything a run learned, gathered by the session; `build_report` turns it into JSON."""

    run_id: str
    backend: str
    namespace: str
    image_tag: str
    started_at: float
    finished_at: float
    exit_code: int
    interrupted: bool = False
    infra_error: Mapping[str, str] | None = None
    kept: Mapping[str, str] | None = None
    tests: Mapping[str, int] = field(default_factory=dict)
    modules: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    failures: Sequence[Mapping[str, str]] = ()
    stages: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    endpoints: Sequence[Mapping[str, Any]] = ()
    histogram_encoding: Mapping[str, Any] = field(default_factory=dict)
    requests_total: int = 0
    memory: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    seed: Mapping[str, Any] | None = None
    load: Sequence[Mapping[str, Any]] = ()
    pages: Sequence[Mapping[str, Any]] = ()
    budgets: Sequence[Mapping[str, Any]] = ()
    comparison: Mapping[str, Any] | None = None
    gate: Mapping[str, Any] | None = None
    environment: Mapping[str, Any] = field(default_factory=dict)
    artifacts: Mapping[str, Any] | None = None
    forwards: Mapping[str, Mapping[str, Any]] | None = None


TEST_COUNTERS = ("total", "passed", "failed", "errors", "skipped", "xfailed", "xpassed")


def outcome(exit_code: int, infra_error: object, interrupted: bool) -> str:
    """passed | failed | infra_error | interrupted, from how the run ended."""
    if infra_error is not None:
        return "infra_error"
    if interrupted:
        return "interrupted"
    return "passed" if exit_code == EXIT_PASSED else "failed"


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat(timespec="milliseconds")


def build_report(facts: RunFacts) -> dict[str, Any]:
    """The contract document; pure: the same facts always give the same document."""
    tests = {name: int(facts.tests.get(name, 0)) for name in TEST_COUNTERS}
    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": facts.run_id,
        "backend": facts.backend,
        "namespace": facts.namespace,
        "image_tag": facts.image_tag,
        "started_at": _iso(facts.started_at),
        "finished_at": _iso(facts.finished_at),
        "duration_s": round(max(facts.finished_at - facts.started_at, 0.0), 3),
        "exit_code": facts.exit_code,
        "outcome": outcome(facts.exit_code, facts.infra_error, facts.interrupted),
        "infra_error": dict(facts.infra_error) if facts.infra_error else None,
        "kept": dict(facts.kept) if facts.kept else None,
        "tests": tests,
        "modules": {
            module: {name: int(counts.get(name, 0)) for name in TEST_COUNTERS}
            for module, counts in sorted(facts.modules.items())
        },
        "failures": [dict(failure) for failure in facts.failures],
        "stages": {name: dict(stage) for name, stage in facts.stages.items()},
        "endpoints": [dict(row) for row in facts.endpoints],
        "histogram_encoding": dict(facts.histogram_encoding) or None,
        "requests_total": facts.requests_total,
        "memory": {name: dict(stats) for name, stats in facts.memory.items()},
        "seed": dict(facts.seed) if facts.seed is not None else None,
        "load": [dict(row) for row in facts.load],
        "pages": [dict(row) for row in facts.pages],
        "budgets": [dict(row) for row in facts.budgets],
        "comparison": dict(facts.comparison) if facts.comparison is not None else None,
        "gate": dict(facts.gate) if facts.gate is not None else None,
        "environment": dict(facts.environment),
        "artifacts": dict(facts.artifacts) if facts.artifacts else {"bundle": None},
        "forwards": (
            {name: dict(counts) for name, counts in sorted(facts.forwards.items())}
            if facts.forwards
            else None
        ),
    }


def environment(workers: int) -> dict[str, Any]:
    """Where the run happened (for reading a report later)."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "plugin_version": __version__,
        "cpus": os.cpu_count(),
        "xdist_workers": workers,
        **where_it_ran(os.environ),
    }


def where_it_ran(env: Mapping[str, str]) -> dict[str, Any]:
    """In a pod or not; in the runner Job, its pod and node (from the downward API)."""
    in_cluster = bool(env.get("KUBERNETES_SERVICE_HOST"))
    facts: dict[str, Any] = {"in_cluster": in_cluster}
    if in_cluster:
        facts["pod"] = env.get("STONKS_RUNNER_POD") or env.get("HOSTNAME") or None
        facts["node"] = env.get("STONKS_RUNNER_NODE") or None
    return facts


def write_report(path: Path, document: Mapping[str, Any]) -> None:
    """Write the contract atomically so a reader never sees half a report."""
    write_json(path, document)


def not_run_stages() -> dict[str, dict[str, Any]]:
    """Every stage as "not_run": the stages of a run that never reached the sandbox."""
    return {name: {"status": "not_run", "seconds": None} for name in STAGES}
