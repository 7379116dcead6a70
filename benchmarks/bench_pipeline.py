"""Deploy, seed and teardown of the full local sandbox (PostgreSQL, Redis, S3, 4 services).

    python benchmarks/bench_pipeline.py [--runs N]

Prints each run and the median/min/max of each phase. Targets on a 2-core machine: deploy <= 1.5 s,
seed <= 0.3 s, teardown <= 0.3 s. The first run may include building the initdb template (cached).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from pytest_stonks_sandbox._backends.local.backend import LocalBackend
from pytest_stonks_sandbox._seeding.seeder import seed
from pytest_stonks_sandbox._settings.config import base_dir as default_base_dir
from pytest_stonks_sandbox._settings.config import new_run_id
from pytest_stonks_sandbox._settings.project import load_project

ROOT = Path(__file__).resolve().parents[1]


def one_run(base_dir: Path) -> dict[str, float]:
    backend = LocalBackend(load_project(ROOT), base_dir / new_run_id(), timeout_s=60)
    started = time.perf_counter()
    endpoints = backend.start()
    deployed = time.perf_counter()
    try:
        summary = seed(endpoints, backend.project)
    finally:
        seeded = time.perf_counter()
        backend.stop()
    stopped = time.perf_counter()
    rows = sum(summary.row_counts().values())
    ready = ", ".join(f"{name} {sec:.2f}" for name, sec in backend.readiness().items())
    print(f"  ready after (s): {ready}")
    return {
        "deploy": deployed - started,
        "seed": seeded - deployed,
        "teardown": stopped - seeded,
        "rows": float(rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    base_dir = default_base_dir({}).with_name("stonks-sandbox-bench")  # where runs go by default
    results = []
    for index in range(args.runs):
        result = one_run(base_dir)
        results.append(result)
        print(
            f"run {index + 1}: deploy {result['deploy']:.2f} s, seed {result['seed']:.2f} s "
            f"({result['rows']:.0f} rows), teardown {result['teardown']:.2f} s"
        )
    for phase in ("deploy", "seed", "teardown"):
        values = [r[phase] for r in results]
        print(
            f"{phase:<9} median {statistics.median(values):.2f} s  "
            f"min {min(values):.2f} s  max {max(values):.2f} s"
        )


if __name__ == "__main__":
    main()
