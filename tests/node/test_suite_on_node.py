"""The integration suite on real pods: every component in its container on the real node,
reached through port-forwards, its memory from metrics-server scraping the kubelet."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from kubernetes import client

from .conftest import REPO, Node


def test_integration_suite_passes_on_real_pods(node: Node, tmp_path: Path) -> None:
    results = tmp_path / "inttest-results.json"
    env = {**os.environ, "KUBECONFIG": str(node.kubeconfig)}
    argv = [sys.executable, "-m", "pytest", "--sandbox", "--sandbox-backend=kubernetes",
            f"--image-tag={node.image_tag}", "--sandbox-manifests=k8s/node",
            "--sandbox-image-registry=localhost", f"--results={results}", "-p", "no:cacheprovider",
            "-q", "tests/integration"]  # fmt: skip
    run = subprocess.run(
        argv,
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
