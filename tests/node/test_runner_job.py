"""`run_pipeline.sh --in-cluster` on the real node: pytest in the runner Job's pod (the runner
image from the Debian base), its sandbox in the Job's namespace through cluster DNS, its output
streamed here, its results copied back, the namespace deleted; and a Job that cannot run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from kubernetes import client

from pytest_stonks_sandbox._contract.validate import validation_errors

from .conftest import REPO, Node
from .test_suite_on_node import inner_env

LABEL = "app.kubernetes.io/part-of=stonks-sandbox"


@dataclass
class Launched:
    returncode: int
    lines: list[tuple[float, str]]  # (seconds since start, line) as the launcher printed them
    seconds: float

    @property
    def text(self) -> str:
        return "\n".join(line for _, line in self.lines)


def launch(node: Node, run_id: str, results: Path, *extra: str, timeout: float = 900) -> Launched:
    """run_pipeline.sh --in-cluster with the node's images, its output read line by line."""
    argv = ["bash", str(REPO / "run_pipeline.sh"), "--in-cluster", "--image-tag", node.image_tag,
            "--image-registry", "localhost", "--results", str(results), *extra]  # fmt: skip
    env = {**inner_env(node), "PYTHON": sys.executable, "STONKS_SANDBOX_RUN_ID": run_id}
    started = time.monotonic()
    proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)  # fmt: skip
    lines = []
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            lines.append((time.monotonic() - started, line.rstrip("\n")))
            assert time.monotonic() - started < timeout, "the launch did not end in time"
        returncode = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    return Launched(returncode, lines, time.monotonic() - started)


def namespaces(node: Node) -> set[str]:
    listing = client.CoreV1Api(node.api).list_namespace().items
    return {str(ns.metadata.name) for ns in listing if ns.metadata}


def test_the_suite_runs_in_the_runner_job_and_its_contract_comes_back(
    node: Node, tmp_path: Path
) -> None:
    run_id = f"job-{uuid.uuid4().hex[:6]}"
    results = tmp_path / "out" / "inttest-results.json"
    ran = launch(node, run_id, results, "--", "--sandbox-manifests=k8s/node")
    assert ran.returncode == 0, ran.text[-6000:]
    node.timings["suite in the runner Job (launch to exit)"] = ran.seconds
    print(f"\n[tests/node] run_pipeline.sh --in-cluster, tests/integration: {ran.seconds:.1f} s")

    contract = json.loads(results.read_text(encoding="utf-8"))
    assert validation_errors(contract) == []
    assert (contract["outcome"], contract["backend"]) == ("passed", "kubernetes")
    assert contract["tests"]["passed"] >= 193 and contract["tests"]["failed"] == 0
    namespace = f"stonks-inttest-{run_id}"
    assert contract["namespace"] == namespace  # the sandbox shared the Job's namespace
    where = contract["environment"]
    assert where["in_cluster"] is True, where
    assert where["node"] == "stonks-node-0" and where["pod"].startswith(namespace), where
    # Chromium in the runner pod checked the pages, at the frontend's cluster DNS name.
    pages = contract["pages"]
    assert pages and all(page["status"] == "passed" for page in pages), pages
    assert all(f"frontend.{namespace}.svc" in page["url"] for page in pages), pages[0]["url"]
    assert (results.parent / "inttest-report.html").stat().st_size > 10_000

    # The pod's output arrived while it ran, not in one piece at the end.
    inner = [(at, line) for at, line in ran.lines if "[stonks-sandbox]" in line or "PASSED" in line
             or "%]" in line]  # fmt: skip
    assert inner, ran.text[-3000:]
    first = inner[0][0]
    assert first < ran.seconds / 2, f"first progress line at {first:.1f} s of {ran.seconds:.1f} s"
    assert namespace not in namespaces(node), f"{namespace} left behind"
    rbac = client.RbacAuthorizationV1Api(node.api)
    assert not rbac.list_cluster_role(label_selector=LABEL).items
    assert not rbac.list_cluster_role_binding(label_selector=LABEL).items


def test_a_runner_image_that_does_not_exist_is_exit_2_naming_it(node: Node, tmp_path: Path) -> None:
    run_id = f"noimg-{uuid.uuid4().hex[:6]}"
    image = "localhost/stonks-oracle/inttest-runner:does-not-exist"
    results = tmp_path / "inttest-results.json"
    ran = launch(node, run_id, results, "--runner-image", image, timeout=180)
    assert ran.returncode == 2, ran.text[-3000:]
    assert image in ran.text and "cannot be pulled" in ran.text, ran.text[-3000:]
    contract = json.loads(results.read_text(encoding="utf-8"))
    assert validation_errors(contract) == []
    assert contract["outcome"] == "infra_error"
    assert image in contract["infra_error"]["message"]
    assert (results.parent / "inttest-report.html").exists()
    assert f"stonks-inttest-{run_id}" not in namespaces(node)


def test_ctrl_c_stops_the_job_and_deletes_its_namespace(node: Node, tmp_path: Path) -> None:
    run_id = f"int-{uuid.uuid4().hex[:6]}"
    namespace = f"stonks-inttest-{run_id}"
    argv = ["bash", str(REPO / "run_pipeline.sh"), "--in-cluster", "--image-tag", node.image_tag,
            "--image-registry", "localhost", "--results", str(tmp_path / "r.json"), "--",
            "--sandbox-manifests=k8s/node"]  # fmt: skip
    env = {**inner_env(node), "PYTHON": sys.executable, "STONKS_SANDBOX_RUN_ID": run_id}
    proc = subprocess.Popen(
        argv,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    seen = []
    try:
        for line in proc.stdout:  # until the runner's pytest has started
            seen.append(line)
            if "its output follows" in line:
                break
        time.sleep(5)
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends
        rest, _ = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    output = "".join(seen) + rest
    assert proc.returncode == 2, output[-3000:]
    assert "interrupted" in output and f"namespace {namespace} deleted" in output, output[-3000:]
    assert namespace not in namespaces(node)
