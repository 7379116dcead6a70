"""The IDE flow: one test class against a kept sandbox, the whole pytest process.

    python benchmarks/bench_reuse.py [--runs N]

Keeps a sandbox of the repository's stack (`pytest --sandbox --keep always`, in a private base
directory and state file), then runs `pytest --sandbox-reuse STATE TARGET` N times and removes
the kept sandbox with `--sandbox-gc`. The first attach of a fresh sandbox is like the others (the
kept run recorded its seed). Prints each run and the median/min/max; target: at most 1.5 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = "tests/integration/test_query_api.py::TestQueryAPICompanies"


def _pytest(env: dict[str, str], *args: str) -> float:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="stonks-bench-reuse-"))
    work.chmod(0o755)  # PostgreSQL runs unprivileged and must enter its run dir
    env = {k: v for k, v in os.environ.items() if not k.startswith("STONKS_SANDBOX")}
    env |= {"STONKS_SANDBOX_DIR": str(work / "runs"), "STONKS_SANDBOX_RESULTS": str(work / "r")}
    state = work / "state.json"
    _pytest(env, "--sandbox", "--keep", "always", f"--sandbox-state-file={state}", TARGET)
    walls = []
    try:
        for index in range(args.runs):
            walls.append(_pytest(env, f"--sandbox-reuse={state}", TARGET))
            print(f"run {index + 1}: pytest --sandbox-reuse {TARGET}: {walls[-1]:.2f} s")
    finally:
        _pytest(env, "--sandbox-gc", f"--sandbox-state-file={state}")
    print(
        f"IDE flow against a kept sandbox  median {statistics.median(walls):.2f} s  "
        f"min {min(walls):.2f} s  max {max(walls):.2f} s"
    )


if __name__ == "__main__":
    main()
