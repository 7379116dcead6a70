"""`--sandbox-backend=kubernetes` without what it needs: exit 2 naming the missing piece.

The backend at work, against a real API server, is in tests/cluster/test_kubernetes_backend.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sandbox_helpers import Inner

REPO = Path(__file__).resolve().parents[2]
K8S_ARGS = ("--sandbox", "--sandbox-backend=kubernetes", "--image-tag=1.0")
USES_SANDBOX = "def test_uses_sandbox(sandbox):\n    assert sandbox.run_id\n"


def _infra_error(inner: Inner, result: pytest.RunResult) -> dict[str, str]:
    assert result.ret == 2, result.stdout.str()
    doc = inner.results()
    assert (doc["backend"], doc["image_tag"], doc["outcome"]) == (
        "kubernetes",
        "1.0",
        "infra_error",
    )
    assert "Traceback" not in result.stdout.str()
    error: dict[str, str] = doc["infra_error"]
    return error


def test_a_project_without_manifests_is_named(inner: Inner) -> None:
    inner.tests(test_inner=USES_SANDBOX)
    error = _infra_error(inner, inner.run(*K8S_ARGS))
    assert error["phase"] == "configuration"
    assert "declares no Kubernetes manifests" in error["message"]
    assert 'k8s_manifests = "k8s/sandbox"' in error["hint"]


def test_a_service_without_image_is_named(inner: Inner) -> None:
    inner.configure(k8s_manifests=str(REPO / "k8s" / "sandbox"))
    inner.tests(test_inner=USES_SANDBOX)
    error = _infra_error(inner, inner.run(*K8S_ARGS))
    assert error["phase"] == "configuration"
    assert error["component"] == "[tool.stonks-sandbox.services.items]"
    assert "has no 'image'" in error["message"]


def test_no_cluster_configuration_is_named(
    inner: Inner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-kubeconfig"
    monkeypatch.setenv("KUBECONFIG", str(missing))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    inner.configure(k8s_manifests=str(REPO / "k8s" / "sandbox"), service={"image": "example/items"})
    inner.tests(test_inner=USES_SANDBOX)
    error = _infra_error(inner, inner.run(*K8S_ARGS))
    assert (error["phase"], error["component"]) == ("provisioning", "kubernetes")
    assert "no usable cluster configuration" in error["message"]
    assert str(missing) in error["hint"]


def test_gc_needs_no_image_tag_but_a_cluster(
    inner: Inner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))
    inner.tests(test_inner=USES_SANDBOX)
    result = inner.run("--sandbox-gc", "--sandbox-backend=kubernetes")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*provisioning failed for kubernetes: no usable cluster*"])
