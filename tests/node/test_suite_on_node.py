"""The integration suite on real pods: every component in its container on the real node,
reached through port-forwards, its memory from metrics-server scraping the kubelet."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from kubernetes import client

from .conftest import REPO, Node


def suite_argv(node: Node, results: Path) -> list[str]:
    """pytest on the node's sandbox: its images and manifests (add the tests to run)."""
    return [sys.executable, "-m", "pytest", "--sandbox", "--sandbox-backend=kubernetes",
            f"--image-tag={node.image_tag}", "--sandbox-manifests=k8s/node",
            "--sandbox-image-registry=localhost", f"--results={results}", "-p", "no:cacheprovider",
            "-q"]  # fmt: skip


def inner_env(node: Node) -> dict[str, str]:
    """The inner run takes its settings from its command line only (and the node's kubeconfig)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STONKS_SANDBOX", "PYTEST_"))}
    if "STONKS_SANDBOX_DIR" in os.environ:
        env["STONKS_SANDBOX_DIR"] = os.environ["STONKS_SANDBOX_DIR"]
    return {**env, "KUBECONFIG": str(node.kubeconfig)}


def test_integration_suite_passes_on_real_pods(node: Node, tmp_path: Path) -> None:
    results = tmp_path / "inttest-results.json"
    env = inner_env(node)
    run = subprocess.run(
        [*suite_argv(node, results), "tests/integration"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    contract = json.loads(results.read_text(encoding="utf-8"))
    assert contract["backend"] == "kubernetes" and contract["outcome"] == "passed"
    node.timings["suite on real pods (contract duration)"] = contract["duration_s"]
    memory = contract["memory"]
    components = {"postgres", "redis", "s3", "query-api", "symbol-registry", "risk-engine",
                  "trading-engine", "frontend"}  # fmt: skip
    assert components <= set(memory), sorted(memory)
    # metrics-server's figure; the cgroup file read in the container (by exec) only while a pod
    # restarted by a fault has no metrics yet.
    sources = {memory[name]["source"] for name in components}
    assert "metrics-api" in sources and sources <= {"metrics-api", "cgroup"}, memory
    assert all(memory[name]["peak_bytes"] > 0 for name in components), memory
    namespace = contract["namespace"]
    names = [
        ns.metadata.name for ns in client.CoreV1Api(node.api).list_namespace().items if ns.metadata
    ]
    assert namespace not in names, f"{namespace} left behind"


def _namespaces(node: Node) -> dict[str, str]:
    """Name -> phase of every namespace."""
    listing = client.CoreV1Api(node.api).list_namespace().items
    return {
        str(ns.metadata.name): str(ns.status.phase) for ns in listing if ns.metadata and ns.status
    }


def _wait(what: str, condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {timeout:.0f} s"
        time.sleep(1)


def _ready(conditions: list[client.V1PodCondition]) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in conditions)


def _all_ready(node: Node, namespace: str) -> bool:
    pods = client.CoreV1Api(node.api).list_namespaced_pod(namespace).items
    ready = [p for p in pods if p.status and _ready(p.status.conditions or [])]
    return len(ready) >= 8  # the 3 infrastructure and 5 service Deployments


def test_a_run_killed_with_sigkill_leaves_a_namespace_the_next_run_sweeps(
    node: Node, tmp_path: Path
) -> None:
    env = inner_env(node)
    killed = f"killed-{uuid.uuid4().hex[:6]}"
    namespace = f"stonks-inttest-{killed}"
    first = subprocess.Popen(
        [
            *suite_argv(node, tmp_path / "killed.json"),
            f"--run-id={killed}",
            "tests/integration/test_resilience.py",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait(f"the pods of {namespace} Ready", lambda: _all_ready(node, namespace), 180)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    assert _namespaces(node).get(namespace) == "Active", "SIGKILL leaves the namespace behind"
    second = subprocess.run(
        [*suite_argv(node, tmp_path / "next.json"), "tests/integration/test_trading_api.py"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert second.returncode == 0, second.stdout[-4000:] + second.stderr[-2000:]
    _wait(f"{namespace} gone", lambda: namespace not in _namespaces(node), 180)
