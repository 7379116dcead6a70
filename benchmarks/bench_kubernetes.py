"""The Kubernetes backend on the kwok cluster: start, seed and per-request latency.

    python benchmarks/bench_kubernetes.py [--runs N] [--requests N] [--real-node]

Brings the kwok cluster of scripts/kwok-cluster.sh up (its own cluster name), then N times:
LocalKubelet (tests/cluster) runs the pods of a new namespace as local processes, the backend
starts (namespace created to every component answering through its port-forward), the seed is
loaded through the port-forwards, and `--requests` sequential requests go over one keep-alive
connection through a forward (HTTP GET of a service's ready path, and Redis PING); then the
backend stops (namespace gone). The cluster is taken down at the end.

"pods Ready" is when LocalKubelet's last process answered through kwok's port-forward (what a
real kubelet reports as Ready; kwok itself marks pods Ready before anything runs), "beyond pods
Ready" is the rest of the start: the plugin's own share. Prints each run and the medians.
Targets: start beyond pods Ready small, start at most 2 s, seed at most 1.5 s.

--real-node: the same on the real node of scripts/real-node.sh instead (as root; it is brought
up and taken down again), with its kubelet running the images: no "pods Ready" split there.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from kubernetes import config

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from realnode import node_env, script  # noqa: E402

from pytest_stonks_sandbox._backends.kubernetes.backend import KubernetesBackend  # noqa: E402
from pytest_stonks_sandbox._backends.probes import redis_auth_ping  # noqa: E402
from pytest_stonks_sandbox._seeding import seeder as seeding  # noqa: E402
from pytest_stonks_sandbox._settings.config import base_dir  # noqa: E402
from pytest_stonks_sandbox._settings.project import ProjectConfig, load_project  # noqa: E402
from tests.cluster.localkubelet import LocalKubelet  # noqa: E402

SCRIPT = ROOT / "scripts" / "kwok-cluster.sh"
SERVICE = "symbol-registry"


def cluster(verb: str, env: dict[str, str]) -> None:
    subprocess.run([str(SCRIPT), verb], check=True, env=env, stdout=subprocess.DEVNULL)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(fraction * len(ordered)), len(ordered) - 1)]


def http_latency(url: str, path: str, count: int) -> list[float]:
    """Seconds of each of `count` sequential GETs on one keep-alive connection."""
    times = []
    with httpx.Client(base_url=url, timeout=10) as http:
        http.get(path).raise_for_status()  # opens the connection (and its stream)
        for _ in range(count):
            started = time.perf_counter()
            http.get(path).raise_for_status()
            times.append(time.perf_counter() - started)
    return times


def redis_latency(redis_url: str, count: int) -> list[float]:
    """Seconds of each of `count` sequential PINGs on one connection."""
    parts = urlsplit(redis_url)
    times = []
    with socket.create_connection((parts.hostname or "", parts.port or 6379), timeout=10) as sock:
        if b"+PONG" not in redis_auth_ping(sock, parts.password or ""):
            raise SystemExit("redis did not answer PING through its port-forward")
        for _ in range(count):
            started = time.perf_counter()
            sock.sendall(b"PING\r\n")
            reply = b""
            while not reply.endswith(b"\r\n"):
                reply += sock.recv(64)
            times.append(time.perf_counter() - started)
    return times


def one_run(
    api: object, project: ProjectConfig, requests: int, node_tag: str = ""
) -> dict[str, float]:
    run_id = f"b{uuid.uuid4().hex[:6]}"
    namespace = f"stonks-inttest-{run_id}"
    kubelet = None
    if node_tag:
        backend = KubernetesBackend(
            project, run_id, namespace, node_tag, timeout_s=180, image_registry="localhost"
        )
    else:
        kubelet = LocalKubelet(api, namespace, base_dir(os.environ) / "lk").start()  # type: ignore[arg-type]
        backend = KubernetesBackend(project, run_id, namespace, "kwok", timeout_s=120)
    try:
        started = time.monotonic()
        endpoints = backend.start()
        answering = time.monotonic()
        pods_ready = max(kubelet.ready_at.values()) - started if kubelet else 0.0
        seed_started = time.perf_counter()
        seeding.seed(endpoints, project)
        seed = time.perf_counter() - seed_started
        path = project.service(SERVICE).ready
        http = http_latency(endpoints.service_url(SERVICE), path, requests)
        redis = redis_latency(endpoints.redis_url, requests)
    finally:
        try:
            backend.stop()
        finally:
            if kubelet is not None:
                kubelet.stop()
    total = answering - started
    split = {"pods Ready": pods_ready, "beyond pods Ready": total - pods_ready} if kubelet else {}
    return {
        "start": total,
        **split,
        "seed": seed,
        "http p50 ms": statistics.median(http) * 1000,
        "http p99 ms": percentile(http, 0.99) * 1000,
        "redis p50 ms": statistics.median(redis) * 1000,
        "redis p99 ms": percentile(redis, 0.99) * 1000,
    }


def real_node(runs: int, requests: int) -> list[dict[str, float]]:
    """The runs on the real node (brought up here, taken down at the end)."""
    project = dataclasses.replace(load_project(ROOT), k8s_manifests=ROOT / "k8s" / "node")
    script("build", progress=True)
    results = []
    try:
        script("up", progress=True)
        env = node_env()
        os.environ["KUBECONFIG"] = env["KUBECONFIG"]
        for index in range(runs):
            result = one_run(None, project, requests, env["STONKS_SANDBOX_IMAGE_TAG"])
            results.append(result)
            figures = ", ".join(f"{k} {v:.3f}" for k, v in result.items())
            print(f"run {index + 1}: {figures}", flush=True)
    finally:
        script("down", progress=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--real-node", action="store_true")
    args = parser.parse_args()
    if args.real_node:
        report(real_node(args.runs, args.requests))
        return
    work = Path(tempfile.mkdtemp(prefix="stonks-bench-k8s-"))
    kubeconfig = work / "kubeconfig"
    env = {**os.environ, "STONKS_KWOK_CLUSTER": "stonks-bench"}
    env["STONKS_KWOK_KUBECONFIG"] = str(kubeconfig)
    project = load_project(ROOT)
    results = []
    cluster("build", env)
    try:
        cluster("up", env)
        os.environ["KUBECONFIG"] = str(kubeconfig)
        api = config.new_client_from_config(config_file=str(kubeconfig))
        for index in range(args.runs):
            result = one_run(api, project, args.requests)
            results.append(result)
            figures = ", ".join(f"{k} {v:.3f}" for k, v in result.items())
            print(f"run {index + 1}: {figures}", flush=True)
        api.close()
    finally:
        cluster("down", env)
    report(results)


def report(results: list[dict[str, float]]) -> None:
    print(f"medians of {len(results)} runs (seconds unless ms):")
    for key in results[0]:
        values = [r[key] for r in results]
        print(
            f"  {key:<18} median {statistics.median(values):8.3f}  "
            f"min {min(values):8.3f}  max {max(values):8.3f}"
        )


if __name__ == "__main__":
    main()
