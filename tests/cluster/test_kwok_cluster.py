"""Proof that the official ``kubernetes`` client can do what the Kubernetes backend needs.

Everything runs against a real kube-apiserver (with etcd, kube-controller-manager,
kube-scheduler and metrics-server) started by ``scripts/kwok-cluster.sh``; kwok only fakes the
kubelet: pods become Running/Ready, Job pods succeed, port-forwards go to a target we choose and
resource usage comes from a ClusterResourceUsage object.

The tests run in file order and share one namespace. Under pytest-xdist every worker that gets
some of them starts its own cluster (ports never collide, but each costs a control plane);
``--dist loadgroup`` keeps them on one worker thanks to the ``xdist_group`` mark.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil
import pytest
from kubernetes import client, utils, watch
from kubernetes.client.exceptions import ApiException
from kubernetes.stream import portforward

from .apiobjects import json_object, labels_of, metadata_of, name_of, spec_of, status_of

if TYPE_CHECKING:
    from .conftest import Cluster

pytestmark = pytest.mark.xdist_group("kwok-cluster")

WORKLOAD = Path(__file__).resolve().parent / "manifests" / "workload.yaml"
DEPLOYMENT = "probe"
JOB = "probe-migrate"
POD_PORT = 8080
REPLICAS = 2
# What the ClusterResourceUsage makes kwok report for every container in the namespace.
FAKE_MEMORY = "48Mi"
FAKE_MEMORY_BYTES = 48 * 1024 * 1024

KWOK_GROUP, KWOK_VERSION = "kwok.x-k8s.io", "v1alpha1"


# ------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------


def wait_for(
    list_fn: Callable[..., Any],
    predicate: Callable[[list[Any]], bool],
    timeout: float,
    what: str,
    **kwargs: Any,
) -> list[Any]:
    """List with ``list_fn``; if ``predicate`` does not hold yet, watch until it does.

    The watch starts at the list's resourceVersion and keeps an up-to-date view of every object,
    so the predicate always sees the current set. Bounded by ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        listing = list_fn(**kwargs)
        objects = {obj.metadata.uid: obj for obj in listing.items}
        if predicate(list(objects.values())):
            return list(objects.values())
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        w = watch.Watch()
        try:
            for event in w.stream(
                list_fn,
                resource_version=listing.metadata.resource_version,
                timeout_seconds=max(1, int(remaining)),
                **kwargs,
            ):
                obj = event["object"]
                if event["type"] == "DELETED":
                    objects.pop(obj.metadata.uid, None)
                else:
                    objects[obj.metadata.uid] = obj
                if predicate(list(objects.values())):
                    return list(objects.values())
                if time.monotonic() > deadline:
                    break
        except ApiException as exc:
            if exc.status != 410:  # 410 Gone: our resourceVersion is too old; list again
                raise
        finally:
            w.stop()
        if time.monotonic() > deadline:
            break
    current = list_fn(**kwargs).items
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; now: {current!r}")


def is_ready(pod: client.V1Pod) -> bool:
    if metadata_of(pod).deletion_timestamp is not None or status_of(pod).phase != "Running":
        return False
    return any(c.type == "Ready" and c.status == "True" for c in status_of(pod).conditions or [])


def ready_pods(pods: list[client.V1Pod]) -> list[client.V1Pod]:
    return [p for p in pods if is_ready(p)]


@dataclass
class Workload:
    namespace: str
    created: list[Any]
    pods: list[client.V1Pod] = field(default_factory=list)


class _Handler(http.server.BaseHTTPRequestHandler):
    token = ""

    def do_GET(self) -> None:
        body = f"stonks-local-server {self.token} path={self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def local_http_server(run_id: str) -> Iterator[tuple[int, str]]:
    """A real HTTP server on 127.0.0.1 that kwok's port-forward will send traffic to."""
    token = f"token-{run_id}"
    handler = type("Handler", (_Handler,), {"token": token})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="kwok-pf-target", daemon=True)
    thread.start()
    try:
        yield server.server_address[1], token
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# ------------------------------------------------------------------------------------------------
# module fixtures: namespace -> workload
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def namespace(kwok_cluster: Cluster, core: client.CoreV1Api, run_id: str) -> Iterator[str]:
    name = f"stonks-inttest-{run_id}"
    body = client.V1Namespace(
        metadata=client.V1ObjectMeta(
            name=name,
            labels={
                "app.kubernetes.io/managed-by": "pytest-stonks-sandbox",
                "stonks/run-id": run_id,
            },
        )
    )
    created = core.create_namespace(body)
    kwok_cluster.timings["_namespace_created_at"] = time.monotonic()
    assert name_of(created) == name
    yield name
    # test_namespace_deletion normally removed it already; this is the safety net.
    try:
        core.delete_namespace(name)
    except ApiException as exc:
        if exc.status != 404:
            raise


@pytest.fixture(scope="module")
def workload(kwok_cluster: Cluster, namespace: str) -> Workload:
    created = utils.create_from_yaml(kwok_cluster.api, str(WORKLOAD), namespace=namespace)
    flat = [obj for group in created for obj in (group if isinstance(group, list) else [group])]
    return Workload(namespace=namespace, created=flat)


@pytest.fixture(scope="module")
def running(
    kwok_cluster: Cluster, core: client.CoreV1Api, batch: client.BatchV1Api, workload: Workload
) -> Workload:
    """Watch until the Deployment's pods are Ready and the Job has completed."""
    ns = workload.namespace
    pods = wait_for(
        core.list_namespaced_pod,
        lambda items: len(ready_pods(items)) == REPLICAS,
        timeout=120,
        what=f"{REPLICAS} Ready pods of deployment {DEPLOYMENT}",
        namespace=ns,
        label_selector="app=probe",
    )
    kwok_cluster.timings["namespace created -> pods Ready"] = (
        time.monotonic() - kwok_cluster.timings["_namespace_created_at"]
    )
    wait_for(
        batch.list_namespaced_job,
        lambda items: bool(items) and (items[0].status.succeeded or 0) >= 1,
        timeout=120,
        what=f"job {JOB} to complete",
        namespace=ns,
        field_selector=f"metadata.name={JOB}",
    )
    workload.pods = ready_pods(pods)
    return workload


# ------------------------------------------------------------------------------------------------
# the steps, in order
# ------------------------------------------------------------------------------------------------


def test_api_server_is_real_and_on_loopback(kwok_cluster: Cluster, core: client.CoreV1Api) -> None:
    version = client.VersionApi(kwok_cluster.api).get_code()
    assert version.major == "1"
    assert version.git_version.startswith("v1.")
    assert kwok_cluster.api.configuration.host.startswith("https://127.0.0.1:")
    node = core.list_node().items
    assert [name_of(n) for n in node] == ["kwok-node-0"]
    addresses = {a.type: a.address for a in status_of(node[0]).addresses or []}
    assert addresses["InternalIP"] == "127.0.0.1"


def test_namespace_is_created_with_labels(
    core: client.CoreV1Api, namespace: str, run_id: str
) -> None:
    ns = core.read_namespace(namespace)
    assert status_of(ns).phase == "Active"
    assert labels_of(ns)["stonks/run-id"] == run_id
    assert labels_of(ns)["app.kubernetes.io/managed-by"] == "pytest-stonks-sandbox"
    by_label = core.list_namespace(label_selector=f"stonks/run-id={run_id}").items
    assert [name_of(n) for n in by_label] == [namespace]


def test_yaml_objects_are_applied(
    core: client.CoreV1Api, apps: client.AppsV1Api, batch: client.BatchV1Api, workload: Workload
) -> None:
    ns = workload.namespace
    kinds = sorted(type(obj).__name__ for obj in workload.created)
    assert kinds == ["V1ConfigMap", "V1Deployment", "V1Job", "V1Secret", "V1Service"]
    config_map = core.read_namespaced_config_map("probe-config", ns)
    assert (config_map.data or {})["GREETING"] == "hello-from-configmap"
    secret = core.read_namespaced_secret("probe-secret", ns)
    assert (secret.data or {})["API_KEY"] == "bm90LWEtcmVhbC1rZXk="  # base64("not-a-real-key")
    service = core.read_namespaced_service("probe", ns)
    assert (spec_of(service).ports or [])[0].port == 80
    assert spec_of(service).cluster_ip  # allocated by the real API server
    assert spec_of(apps.read_namespaced_deployment(DEPLOYMENT, ns)).replicas == REPLICAS
    assert spec_of(batch.read_namespaced_job(JOB, ns)).backoff_limit == 0


def test_deployment_pods_ready_and_job_completes(
    kwok_cluster: Cluster, apps: client.AppsV1Api, batch: client.BatchV1Api, running: Workload
) -> None:
    ns = running.namespace
    assert len(running.pods) == REPLICAS
    assert {spec_of(p).node_name for p in running.pods} == {"kwok-node-0"}
    assert all(status_of(p).pod_ip for p in running.pods)
    job = batch.read_namespaced_job(JOB, ns)
    assert status_of(job).succeeded == 1
    assert any(c.type == "Complete" and c.status == "True" for c in status_of(job).conditions or [])
    # The Deployment controller (kube-controller-manager) sees the readiness as well.
    deployments = wait_for(
        apps.list_namespaced_deployment,
        lambda items: bool(items) and (items[0].status.ready_replicas or 0) == REPLICAS,
        timeout=60,
        what="deployment status readyReplicas",
        namespace=ns,
        field_selector=f"metadata.name={DEPLOYMENT}",
    )
    assert deployments[0].status.available_replicas == REPLICAS
    assert kwok_cluster.timings["namespace created -> pods Ready"] < 120


def _http_get_through_port_forward(
    core: client.CoreV1Api, namespace: str, pod: str
) -> tuple[bytes, str | None]:
    """GET / on the pod's port through the API server's port-forward; returns (response, error)."""
    pf = portforward(
        core.connect_get_namespaced_pod_portforward, pod, namespace, ports=str(POD_PORT)
    )
    sock = pf.socket(POD_PORT)
    sock.settimeout(10)
    data = b""
    try:
        sock.sendall(b"GET /via-kwok HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n")
        while not _complete_http_response(data):
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            data += chunk
    finally:
        sock.close()
        pf.close()
    return data, pf.error(POD_PORT)


def _complete_http_response(data: bytes) -> bool:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value.strip())
    return False


def test_port_forward_reaches_local_http_server(
    core: client.CoreV1Api,
    custom: client.CustomObjectsApi,
    running: Workload,
    local_http_server: tuple[int, str],
) -> None:
    target_port, token = local_http_server
    name = f"forward-{running.namespace}"
    custom.create_cluster_custom_object(
        KWOK_GROUP,
        KWOK_VERSION,
        "clusterportforwards",
        {
            "apiVersion": f"{KWOK_GROUP}/{KWOK_VERSION}",
            "kind": "ClusterPortForward",
            "metadata": {"name": name},
            "spec": {
                "selector": {"matchNamespaces": [running.namespace]},
                "forwards": [
                    {"ports": [POD_PORT], "target": {"address": "127.0.0.1", "port": target_port}}
                ],
            },
        },
    )
    try:
        pod = name_of(running.pods[0])
        deadline = time.monotonic() + 60
        answer, error = b"", None
        # kwok picks the new ClusterPortForward up asynchronously: retry until it answers.
        while time.monotonic() < deadline:
            try:
                answer, error = _http_get_through_port_forward(core, running.namespace, pod)
            except ApiException as exc:  # e.g. the handshake failed while kwok was catching up
                answer, error = b"", f"{exc.status} {exc.reason}"
            if token.encode() in answer:
                break
            time.sleep(1)
        assert answer.startswith(b"HTTP/1.0 200") or answer.startswith(b"HTTP/1.1 200"), (
            answer,
            error,
        )
        assert f"stonks-local-server {token} path=/via-kwok".encode() in answer
    finally:
        custom.delete_cluster_custom_object(KWOK_GROUP, KWOK_VERSION, "clusterportforwards", name)


def test_pod_memory_from_metrics_api(custom: client.CustomObjectsApi, running: Workload) -> None:
    name = f"usage-{running.namespace}"
    custom.create_cluster_custom_object(
        KWOK_GROUP,
        KWOK_VERSION,
        "clusterresourceusages",
        {
            "apiVersion": f"{KWOK_GROUP}/{KWOK_VERSION}",
            "kind": "ClusterResourceUsage",
            "metadata": {"name": name},
            "spec": {
                "selector": {"matchNamespaces": [running.namespace]},
                "usages": [{"usage": {"memory": {"value": FAKE_MEMORY}, "cpu": {"value": "5m"}}}],
            },
        },
    )
    try:
        pod = name_of(running.pods[0])
        # metrics-server scrapes every 15 s; the first sample needs two scrapes.
        deadline = time.monotonic() + 150
        memory: int | None = None
        last_error = ""
        while time.monotonic() < deadline:
            try:
                metrics = json_object(
                    custom.get_namespaced_custom_object(
                        "metrics.k8s.io", "v1beta1", running.namespace, "pods", pod
                    )
                )
                containers = {c["name"]: c["usage"] for c in metrics["containers"]}
                memory = int(utils.parse_quantity(containers["web"]["memory"]))
                if memory == FAKE_MEMORY_BYTES:
                    break
            except ApiException as exc:
                last_error = f"{exc.status} {exc.reason}"
            time.sleep(3)
        assert memory == FAKE_MEMORY_BYTES, (
            f"pod metrics not available: memory={memory} {last_error}"
        )
    finally:
        custom.delete_cluster_custom_object(KWOK_GROUP, KWOK_VERSION, "clusterresourceusages", name)


def test_deleted_pod_is_replaced(core: client.CoreV1Api, running: Workload) -> None:
    ns = running.namespace
    victim = name_of(running.pods[0])
    before = {name_of(p) for p in running.pods}
    core.delete_namespaced_pod(victim, ns)
    pods = wait_for(
        core.list_namespaced_pod,
        lambda items: (
            len(ready_pods(items)) == REPLICAS and victim not in {p.metadata.name for p in items}
        ),
        timeout=120,
        what=f"a Ready replacement for pod {victim}",
        namespace=ns,
        label_selector="app=probe",
    )
    names = {name_of(p) for p in ready_pods(pods)}
    assert victim not in names
    assert len(names - before) == 1, names
    with pytest.raises(ApiException) as gone:
        core.read_namespaced_pod(victim, ns)
    assert gone.value.status == 404


def test_namespace_deletion(
    kwok_cluster: Cluster, core: client.CoreV1Api, running: Workload
) -> None:
    ns = running.namespace
    started = time.monotonic()
    core.delete_namespace(ns)
    wait_for(
        core.list_namespace,
        lambda items: not items,
        timeout=180,
        what=f"namespace {ns} to be gone",
        field_selector=f"metadata.name={ns}",
    )
    elapsed = time.monotonic() - started
    kwok_cluster.timings["namespace deletion"] = elapsed
    with pytest.raises(ApiException) as gone:
        core.read_namespace(ns)
    assert gone.value.status == 404
    assert elapsed < 180


def test_no_traffic_leaves_loopback(kwok_cluster: Cluster) -> None:
    """Every socket of the cluster's processes, listening or connected, is on 127.0.0.1."""
    listening, connected = _cluster_sockets(kwok_cluster.name)
    assert len(listening) >= 6, (
        f"expected etcd, the control plane, kwok and metrics-server: {listening}"
    )
    assert all(addr.startswith("127.0.0.1:") for addr in listening), listening
    assert connected, "the cluster's components talk to each other; found no connection"
    assert all(
        local.startswith("127.0.0.1:") and remote.startswith("127.0.0.1:")
        for local, remote in connected
    ), connected


def _cluster_sockets(cluster: str) -> tuple[list[str], list[tuple[str, str]]]:
    marker = f"/clusters/{cluster}/"
    listening: list[str] = []
    connected: list[tuple[str, str]] = []
    for proc in psutil.process_iter(["cmdline"]):
        if marker not in " ".join(proc.info["cmdline"] or []):
            continue
        try:
            conns = proc.net_connections(kind="inet")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        for conn in conns:
            local = f"{conn.laddr.ip}:{conn.laddr.port}"
            if conn.status == psutil.CONN_LISTEN:
                listening.append(local)
            elif conn.raddr:
                connected.append((local, f"{conn.raddr.ip}:{conn.raddr.port}"))
    return listening, connected
