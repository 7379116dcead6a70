"""The integration suite's time on this tree against a base commit: what a change costs the suite.

Run: python benchmarks/bench_suite_against.py [--base REF] [--runs 3]

REF (default main) is exported with `git archive` into a temporary directory. Runs of
`pytest --sandbox tests/integration` alternate between the base and this tree, so both see the
same machine; the base run imports the base's plugin and services first (PYTHONPATH), through
this virtualenv's interpreter. Prints each run's wall time and its contract's tests stage, then
the medians of both and their difference.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def export(ref: str, into: Path) -> None:
    archive = subprocess.run(["git", "-C", str(REPO), "archive", ref], check=True,
                             capture_output=True).stdout  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)


def run_suite(tree: Path, base: bool) -> tuple[float, float]:
    """(wall seconds, tests stage seconds) of one run of the suite in `tree`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STONKS_SANDBOX")}
    env.pop("PYTHONPATH", None)
    if base:
        env["PYTHONPATH"] = f"{tree / 'src'}{os.pathsep}{tree / 'services'}"
    results = tree / "inttest-results.json"
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--sandbox", "-q", "-p", "no:cacheprovider",
         f"--results={results}", "tests/integration"],
        cwd=tree, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"the suite failed in {tree}:\n{done.stdout[-2000:]}")
    document = json.loads(results.read_text(encoding="utf-8"))
    return wall, float(document["stages"]["tests"]["seconds"])


def main(ref: str, runs: int) -> int:
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as tmp:
        base_tree = Path(tmp)
        export(ref, base_tree)
        figures: dict[str, list[tuple[float, float]]] = {"base": [], "this": []}
        for number in range(1, runs + 1):
            for label, tree in (("base", base_tree), ("this", REPO)):
                wall, tests = run_suite(tree, base=label == "base")
                figures[label].append((wall, tests))
                print(f"run {number} {label:<4} wall {wall:6.2f} s, tests stage {tests:6.2f} s")
    medians = {
        label: (statistics.median(w for w, _ in rows), statistics.median(t for _, t in rows))
        for label, rows in figures.items()
    }
    for label, (wall, tests) in medians.items():
        print(f"median {label:<4} ({ref if label == 'base' else 'this tree'}): wall {wall:.2f} s, "
              f"tests stage {tests:.2f} s")  # fmt: skip
    wall_delta = medians["this"][0] - medians["base"][0]
    tests_delta = medians["this"][1] - medians["base"][1]
    print(f"difference: wall {wall_delta:+.2f} s, tests stage {tests_delta:+.2f} s")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main", help="git ref to compare with (default main)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    raise SystemExit(main(args.base, args.runs))
