"""The real node of scripts/real-node.sh: a warm `up`, and the sandbox on it.

    python benchmarks/bench_real_node.py [--runs N]      (as root; `build` first if needed)

Each run takes the node down and brings it up again (warm: binaries, images and containerd's
image store cached), then starts the Kubernetes backend on it (namespace created to every
component answering: readiness from the kubelet's probes, port-forwards answering) and stops it
(namespace gone). Prints each run and the median/min/max of each phase. Targets: warm up <= 60 s,
deploy <= 30 s. Leaves the node down.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import time
from pathlib import Path

from realnode import node_env, script

from pytest_stonks_sandbox._backends.kubernetes.backend import KubernetesBackend
from pytest_stonks_sandbox._settings.config import new_run_id
from pytest_stonks_sandbox._settings.project import load_project

ROOT = Path(__file__).resolve().parents[1]


def one_run() -> dict[str, float]:
    script("down")
    started = time.perf_counter()
    script("up")
    up = time.perf_counter() - started
    env = node_env()
    os.environ["KUBECONFIG"] = env["KUBECONFIG"]
    project = dataclasses.replace(load_project(ROOT), k8s_manifests=ROOT / "k8s" / "node")
    run_id = new_run_id()
    backend = KubernetesBackend(
        project, run_id, f"stonks-inttest-{run_id}", env["STONKS_SANDBOX_IMAGE_TAG"], 120.0,
        image_registry="localhost",
    )  # fmt: skip
    started = time.perf_counter()
    backend.start()
    deployed = time.perf_counter()
    backend.stop()
    stopped = time.perf_counter()
    ready = ", ".join(f"{name} {sec:.2f}" for name, sec in backend.readiness().items())
    print(f"  ready after (s): {ready}")
    return {"warm up": up, "deploy": deployed - started, "teardown": stopped - deployed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    script("build")
    results = []
    try:
        for index in range(runs):
            result = one_run()
            results.append(result)
            print(f"run {index + 1}: " + ", ".join(f"{k} {v:.2f} s" for k, v in result.items()))
    finally:
        script("down")
    for phase in results[0]:
        values = [r[phase] for r in results]
        print(
            f"{phase:<9} median {statistics.median(values):6.2f} s  "
            f"min {min(values):6.2f}  max {max(values):6.2f}  ({runs} runs)"
        )


if __name__ == "__main__":
    main()
