"""The serial integration suite on the local backend: `pytest --sandbox tests/integration`.

    python benchmarks/bench_suite.py [--runs N]

One process, no xdist, load scenarios as they are. Prints each run (the whole process's wall
time and the contract's stages) and the medians; target: at most 15 s for the whole process.
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

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("deploy", "seed", "tests", "frontend", "teardown")


def one_run(results: Path) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STONKS_SANDBOX")}
    command = [
        sys.executable, "-m", "pytest", "--sandbox", "-p", "no:xdist", "-p", "no:cacheprovider",
        "-q", f"--results={results}", "tests/integration",
    ]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"the suite failed:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
    stages = json.loads(results.read_text())["stages"]
    return {"wall": wall, **{name: float(stages[name]["seconds"]) for name in STAGES}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results = Path(tempfile.mkdtemp(prefix="stonks-bench-suite-")) / "inttest-results.json"
    runs = []
    for index in range(args.runs):
        runs.append(one_run(results))
        figures = ", ".join(f"{name} {value:.2f} s" for name, value in runs[-1].items())
        print(f"run {index + 1}: {figures}")
    for name in runs[0]:
        values = [run[name] for run in runs]
        print(
            f"serial tests/integration {name:<9} median {statistics.median(values):.2f} s  "
            f"min {min(values):.2f} s  max {max(values):.2f} s"
        )
    results.unlink(missing_ok=True)
    results.parent.rmdir()


if __name__ == "__main__":
    main()
