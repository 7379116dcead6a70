"""--sandbox-existing-namespace against the kwok API server: the sandbox is deployed into a
namespace made beforehand (the runner Job's own) and its teardown removes what it made there,
not the namespace nor anything else in it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from kubernetes import client

from pytest_stonks_sandbox._backends.kubernetes.backend import KubernetesBackend
from pytest_stonks_sandbox._backends.kubernetes.manifests import RUN_ID_LABEL
from pytest_stonks_sandbox._core.errors import ProvisionError
from pytest_stonks_sandbox._settings.config import base_dir
from pytest_stonks_sandbox._settings.project import ProjectConfig, load_project

from .apiobjects import status_of
from .localkubelet import LocalKubelet

if TYPE_CHECKING:
    from .conftest import Cluster

pytestmark = pytest.mark.xdist_group("kwok-cluster")

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def kube_env(kwok_cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> Cluster:
    monkeypatch.setenv("KUBECONFIG", str(kwok_cluster.kubeconfig))
    return kwok_cluster


@pytest.fixture
def made_beforehand(kube_env: Cluster) -> Iterator[str]:
    """A namespace with an object of someone else's in it, deleted at the end."""
    core = client.CoreV1Api(kube_env.api)
    name = f"stonks-ci-{uuid.uuid4().hex[:6]}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    core.create_namespaced_config_map(
        name, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="not-the-sandboxes"))
    )
    yield name
    core.delete_namespace(name)


def test_the_sandbox_is_deployed_into_it_and_removed_from_it(
    kube_env: Cluster, made_beforehand: str
) -> None:
    project: ProjectConfig = load_project(REPO)
    run_id = f"e{uuid.uuid4().hex[:6]}"
    namespace = made_beforehand
    kubelet = LocalKubelet(kube_env.api, namespace, base_dir(os.environ) / "lk").start()
    backend = KubernetesBackend(
        project, run_id, namespace, "kwok", timeout_s=120, existing_namespace=True
    )
    core = client.CoreV1Api(kube_env.api)
    apps = client.AppsV1Api(kube_env.api)
    try:
        backend.start()
        assert set(backend.readiness()) >= set(backend.components)
        deployments = apps.list_namespaced_deployment(namespace).items
        assert len(deployments) == len(backend.components)
        backend.stop()
    finally:
        backend.stop()
        kubelet.stop()
    assert status_of(core.read_namespace(namespace)).phase == "Active"  # not deleted
    assert apps.list_namespaced_deployment(namespace).items == []
    assert client.BatchV1Api(kube_env.api).list_namespaced_job(namespace).items == []
    assert core.list_namespaced_service(namespace).items == []
    assert (
        core.list_namespaced_pod(namespace, label_selector=f"{RUN_ID_LABEL}={run_id}").items == []
    )
    secrets = {s.metadata.name for s in core.list_namespaced_secret(namespace).items if s.metadata}
    assert not {"stonks-sandbox-credentials", "stonks-service-env"} & secrets
    maps = {m.metadata.name for m in core.list_namespaced_config_map(namespace).items if m.metadata}
    assert "not-the-sandboxes" in maps and "stonks-sandbox-settings" not in maps


def test_a_namespace_that_does_not_exist_is_named(kube_env: Cluster) -> None:
    project = load_project(REPO)
    name = f"stonks-ci-missing-{uuid.uuid4().hex[:4]}"
    backend = KubernetesBackend(project, "m1", name, "kwok", timeout_s=10, existing_namespace=True)
    with pytest.raises(ProvisionError, match=f"namespace {name}: does not exist"):
        backend.start()
    names = {ns.metadata.name for ns in client.CoreV1Api(kube_env.api).list_namespace().items
             if ns.metadata}  # fmt: skip
    assert name not in names  # nothing was created for it
