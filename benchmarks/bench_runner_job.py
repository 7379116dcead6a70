"""The runner Job on the real node: `run_pipeline.sh --in-cluster`, start to exit.

    python benchmarks/bench_runner_job.py [--runs N] [--tests PATH]     (as root)

Brings the node up once (scripts/real-node.sh build + up), then launches the suite in the runner
Job N times (tests/integration unless --tests) and takes the node down. Per run: the launch
until the runner pod runs (namespace, RBAC, Job, pod scheduled and started), the run inside the
pod (the contract's duration_s: deploy, seed, tests, pages, teardown), the launch until the
results are back, the namespace's deletion, and the whole launch; then the median/min/max of
each. Every run must pass (exit 0) or the benchmark stops.
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

from realnode import node_env, script

ROOT = Path(__file__).resolve().parents[1]


def one_run(node: dict[str, str], tests: str, out: Path) -> dict[str, float]:
    results = out / "inttest-results.json"
    argv = ["bash", str(ROOT / "run_pipeline.sh"), "--in-cluster",
            "--image-tag", node["STONKS_SANDBOX_IMAGE_TAG"], "--image-registry", "localhost",
            "--results", str(results), "--", "--sandbox-manifests=k8s/node", tests]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("STONKS_SANDBOX")}
    env.update(KUBECONFIG=node["KUBECONFIG"], PYTHON=sys.executable)
    marks: dict[str, float] = {}
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)  # fmt: skip
    assert proc.stdout is not None
    for line in proc.stdout:
        for key, text in (("running", "its output follows"), ("back", "results copied back"),
                          ("deleting", "deleting namespace")):  # fmt: skip
            if text in line and key not in marks:
                marks[key] = time.perf_counter() - started
    code = proc.wait()
    total = time.perf_counter() - started
    if code != 0:
        sys.exit(f"run failed with exit {code}; see {results}")
    contract = json.loads(results.read_text(encoding="utf-8"))
    return {
        "pod running": marks["running"],
        "run in pod": float(contract["duration_s"]),
        "results back": marks["back"],
        "ns deletion": total - marks["deleting"],
        "whole launch": total,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tests", default="tests/integration")
    args = parser.parse_args()
    script("build")
    results = []
    try:
        script("up")
        node = node_env()
        with tempfile.TemporaryDirectory() as tmp:
            for index in range(args.runs):
                result = one_run(node, args.tests, Path(tmp) / str(index))
                results.append(result)
                print(f"run {index + 1}: " + ", ".join(f"{k} {v:.1f} s" for k, v in result.items()),
                      flush=True)  # fmt: skip
    finally:
        script("down")
    for phase in results[0]:
        values = [r[phase] for r in results]
        print(
            f"{phase:<13} median {statistics.median(values):6.1f} s  "
            f"min {min(values):6.1f}  max {max(values):6.1f}  ({len(values)} runs)"
        )


if __name__ == "__main__":
    main()
