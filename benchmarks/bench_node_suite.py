"""tests/integration on real pods against the same suite on the local backend: the 2x target.

    python benchmarks/bench_node_suite.py [--runs N] [--keep-node]     (as root)

Builds and brings up the node of scripts/real-node.sh when it is down (`build` is a no-op when
everything is cached), then alternates the two runs N times so that both see the same machine:

    local   pytest --sandbox tests/integration
    node    pytest --sandbox --sandbox-backend=kubernetes --image-tag TAG
                   --sandbox-manifests k8s/node --sandbox-image-registry localhost tests/integration

Prints each run's wall time and its contract's stages, then the medians of both, the stages side
by side and the ratio of the medians. Takes the node down at the end unless it was up before
(or --keep-node).
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

REPO = Path(__file__).resolve().parents[1]
STAGES = ("deploy", "seed", "tests", "frontend", "teardown")
NODE_OPTIONS = ["--sandbox-backend=kubernetes", "--sandbox-manifests=k8s/node",
                "--sandbox-image-registry=localhost"]  # fmt: skip


def run_suite(options: list[str], env: dict[str, str], results: Path) -> dict[str, float]:
    """Wall seconds and stage seconds of one passing run of tests/integration."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--sandbox", "-q", "-p", "no:cacheprovider",
         f"--results={results}", *options, "tests/integration"],
        cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=900,
    )  # fmt: skip
    wall = time.perf_counter() - started
    if done.returncode != 0:
        what = " ".join(options) or "local"
        raise SystemExit(f"the suite failed ({what}):\n{done.stdout[-3000:]}")
    stages = json.loads(results.read_text(encoding="utf-8"))["stages"]
    return {"wall": wall, **{name: float(stages[name]["seconds"]) for name in STAGES}}


def main(runs: int, keep_node: bool) -> int:
    was_up = "up" in script("status").split()
    if not was_up:
        script("build", progress=True)
        script("up", progress=True)
    node = node_env()
    base = {k: v for k, v in os.environ.items() if not k.startswith("STONKS_SANDBOX")}
    base.pop("KUBECONFIG", None)
    envs = {"local": base, "node": {**base, "KUBECONFIG": node["KUBECONFIG"]}}
    tag = node["STONKS_SANDBOX_IMAGE_TAG"]
    options: dict[str, list[str]] = {"local": [], "node": [*NODE_OPTIONS, f"--image-tag={tag}"]}
    figures: dict[str, list[dict[str, float]]] = {"local": [], "node": []}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-node-suite-") as tmp:
            for number in range(1, runs + 1):
                for label in ("local", "node"):
                    row = run_suite(options[label], envs[label], Path(tmp) / f"{label}.json")
                    figures[label].append(row)
                    stages = ", ".join(f"{name} {row[name]:.2f}" for name in STAGES)
                    wall = row["wall"]
                    print(f"run {number} {label:<5} wall {wall:6.2f} s  ({stages})", flush=True)
    finally:
        if not (was_up or keep_node):
            script("down")
    medians = {label: {key: statistics.median(r[key] for r in rows) for key in rows[0]}
               for label, rows in figures.items()}  # fmt: skip
    print(f"{'median (s)':<10} {'local':>7} {'node':>7} {'node - local':>13}")
    for key in ("wall", *STAGES):
        local, on_node = medians["local"][key], medians["node"][key]
        print(f"{key:<10} {local:7.2f} {on_node:7.2f} {on_node - local:+13.2f}")
    walls = {label: [r["wall"] for r in rows] for label, rows in figures.items()}
    print(f"local wall {min(walls['local']):.2f}-{max(walls['local']):.2f} s, node wall "
          f"{min(walls['node']):.2f}-{max(walls['node']):.2f} s ({runs} runs each)")  # fmt: skip
    ratio = medians["node"]["wall"] / medians["local"]["wall"]
    print(f"ratio of the medians: {ratio:.2f}x (target: at most 2x)")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep-node", action="store_true", help="leave the node up at the end")
    args = parser.parse_args()
    raise SystemExit(main(args.runs, args.keep_node))
