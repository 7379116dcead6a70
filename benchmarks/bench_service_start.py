"""What a service process costs to start: importing one reference service's app, as it is, with a
bytecode cache of its own (PYTHONPYCACHEPREFIX), and forked after the launcher's preload.

    python benchmarks/bench_service_start.py [--runs N] [--service query_api]

"plain" is a fresh interpreter importing the app (the environment sets PYTHONDONTWRITEBYTECODE=1,
so the services' own modules are compiled every time; the installed packages have their .pyc).
"pycache prefix" writes and reads every .pyc under a private prefix (warmed by one run first).
"after preload" imports the app in a child forked from a process that imported this
repository's `preload` list, as the launcher does (the child's part only). Prints the median,
min and max of each.
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

from pytest_stonks_sandbox._settings.project import load_project

ROOT = Path(__file__).resolve().parents[1]
ENV = {
    "STONKS_API_KEY": "bench", "STONKS_DATABASE_URL": "postgresql://u:p@127.0.0.1:9/db",
    "STONKS_REDIS_URL": "redis://127.0.0.1:9/0", "STONKS_S3_ENDPOINT": "http://127.0.0.1:9",
    "STONKS_S3_ACCESS_KEY": "a", "STONKS_S3_SECRET_KEY": "b",
}  # fmt: skip
FORKED = """
import importlib, os, sys, time
for module in sys.argv[2:]:
    importlib.import_module(module)
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    importlib.import_module(sys.argv[1])
    os._exit(0)
os.waitpid(pid, 0)
print(time.perf_counter() - started)
"""


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, cwd=ROOT / "services", check=True)
    return time.perf_counter() - started


def main(runs: int, service: str) -> None:
    module = f"stonks_oracle.{service}.app"
    plain = {**os.environ, **ENV}
    with tempfile.TemporaryDirectory(prefix="bench-pyc-") as prefix:
        cached = {k: v for k, v in plain.items() if k != "PYTHONDONTWRITEBYTECODE"}
        cached["PYTHONPYCACHEPREFIX"] = prefix
        importing = [sys.executable, "-c", f"import {module}"]
        timed(importing, cached)  # warm the private cache
        results: dict[str, list[float]] = {"plain": [], "pycache prefix": [], "after preload": []}
        preload = list(load_project(ROOT).preload)
        for _ in range(runs):
            results["plain"].append(timed(importing, plain))
            results["pycache prefix"].append(timed(importing, cached))
            child = subprocess.run(
                [sys.executable, "-c", FORKED, module, *preload],
                env=plain, cwd=ROOT / "services", capture_output=True, text=True, check=True,
            )  # fmt: skip
            results["after preload"].append(float(child.stdout))
    for label, values in results.items():
        print(
            f"{label:<15} median {statistics.median(values):.3f} s  "
            f"min {min(values):.3f} s  max {max(values):.3f} s"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--service", default="query_api")
    args = parser.parse_args()
    main(args.runs, args.service)
