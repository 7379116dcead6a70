"""The local kubelet against the real kube-apiserver: k8s/sandbox manifests become real processes.

One namespace gets the credentials the Kubernetes backend would create, then k8s/sandbox/infra.yaml
and k8s/sandbox/service.yaml (query-api). ``LocalKubelet`` runs the pods as local processes; every
check goes through the Kubernetes API (port-forward streams, exec, the metrics API) except the
PostgreSQL login, which is made on the process's loopback port. Tests run in file order.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import secrets
import string
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import psutil
import pytest
import yaml
from kubernetes import client, utils
from kubernetes.client.exceptions import ApiException
from kubernetes.stream import portforward, stream

from pytest_stonks_sandbox._backends.probes import redis_auth_ping
from pytest_stonks_sandbox._settings.config import base_dir

from .apiobjects import json_object, metadata_of
from .localkubelet import KWOK_GROUP, KWOK_VERSION, OWNER_LABEL, LocalKubelet, close_forward

if TYPE_CHECKING:
    from .conftest import Cluster

pytestmark = pytest.mark.xdist_group("kwok-cluster")

REPO = Path(__file__).resolve().parents[2]
MANIFESTS = REPO / "k8s" / "sandbox"
SERVICE = "query-api"
COMPONENTS = ("postgres", "redis", "s3", SERVICE)
BUCKETS = "stonks-normalized stonks-raw"
MEMORY_COMMAND = [
    "sh",
    "-c",
    "cat /sys/fs/cgroup/memory.current 2>/dev/null "
    "|| cat /sys/fs/cgroup/memory/memory.usage_in_bytes",
]
FAKE_MEMORY, FAKE_MEMORY_BYTES = "77Mi", 77 * 1024 * 1024


@dataclass
class Sandbox:
    """The namespace under test, its credentials and the kubelet running its pods."""

    namespace: str
    credentials: dict[str, str]
    kubelet: LocalKubelet
    core: client.CoreV1Api
    applied_at: float


def _secret(name: str, data: dict[str, str]) -> client.V1Secret:
    return client.V1Secret(metadata=client.V1ObjectMeta(name=name), string_data=data)


def _apply(api: client.ApiClient, namespace: str, manifest: Path, values: dict[str, str]) -> None:
    # safe_substitute: the manifests also hold shell ($BUCKETS) and kubelet ($(VAR)) references.
    text = string.Template(manifest.read_text(encoding="utf-8")).safe_substitute(values)
    utils.create_from_yaml(api, yaml_objects=list(yaml.safe_load_all(text)), namespace=namespace)


def _pod(core: client.CoreV1Api, namespace: str, component: str) -> str:
    """Name of the component's live pod."""
    pods = core.list_namespaced_pod(
        namespace, label_selector=f"app.kubernetes.io/name={component}"
    ).items
    live = [metadata_of(p).name for p in pods if metadata_of(p).deletion_timestamp is None]
    assert len(live) == 1, live
    return str(live[0])


def _http_get(core: client.CoreV1Api, namespace: str, pod: str, path: str) -> tuple[int, Any]:
    """GET through the API server's port-forward to the pod's port 8000: (status, JSON body)."""
    forward = portforward(core.connect_get_namespaced_pod_portforward, pod, namespace, ports="8000")
    sock = forward.socket(8000)
    try:
        conn = http.client.HTTPConnection("pod", 8000, timeout=10)
        conn.sock = sock  # http.client reads by Content-Length: kwok's tunnel never sends EOF
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        close_forward(forward, sock)


def _redis_ping(core: client.CoreV1Api, namespace: str, pod: str, password: str) -> bytes:
    forward = portforward(core.connect_get_namespaced_pod_portforward, pod, namespace, ports="6379")
    sock = forward.socket(6379)
    try:
        sock.settimeout(10)
        return redis_auth_ping(sock, password)
    finally:
        close_forward(forward, sock)


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


# ------------------------------------------------------------------------------------------------
# module fixture: namespace -> credentials -> kubelet -> manifests
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kwok_sandbox(kwok_cluster: Cluster, core: client.CoreV1Api, run_id: str) -> Iterator[Sandbox]:
    namespace = f"stonks-lk-{run_id}"
    core.create_namespace(
        client.V1Namespace(
            metadata=client.V1ObjectMeta(
                name=namespace,
                labels={
                    "app.kubernetes.io/managed-by": "pytest-stonks-sandbox",
                    "stonks/run-id": run_id,
                },
            )
        )
    )
    # Shared by runs: a kubelet sweeps what a killed one left there; the kubelet removes its
    # pods' directories itself.
    workdir = base_dir(os.environ) / "localkubelet"
    try:
        credentials = {
            "POSTGRES_USER": "stonks",
            "POSTGRES_PASSWORD": secrets.token_hex(12),
            "POSTGRES_DB": "stonks",
            "REDIS_PASSWORD": secrets.token_hex(12),
            "S3_ACCESS_KEY": "LK" + secrets.token_hex(8).upper(),
            "S3_SECRET_KEY": secrets.token_hex(16),
            "S3_REGION": "us-east-1",
            "API_KEY": secrets.token_hex(16),
        }
        c = credentials
        service_env = {
            "STONKS_DATABASE_URL": f"postgresql://{c['POSTGRES_USER']}:{c['POSTGRES_PASSWORD']}"
            f"@postgres:5432/{c['POSTGRES_DB']}",
            "STONKS_REDIS_URL": f"redis://:{c['REDIS_PASSWORD']}@redis.{namespace}.svc:6379/0",
            "STONKS_S3_ENDPOINT": f"http://s3.{namespace}.svc.cluster.local:9000",
            "STONKS_S3_ACCESS_KEY": c["S3_ACCESS_KEY"],
            "STONKS_S3_SECRET_KEY": c["S3_SECRET_KEY"],
            "STONKS_S3_REGION": c["S3_REGION"],
            "STONKS_S3_BUCKET": "stonks-normalized",
            "STONKS_API_KEY": c["API_KEY"],
        }
        core.create_namespaced_secret(namespace, _secret("stonks-sandbox-credentials", c))
        core.create_namespaced_secret(namespace, _secret("stonks-service-env", service_env))
        core.create_namespaced_config_map(
            namespace,
            client.V1ConfigMap(
                metadata=client.V1ObjectMeta(name="stonks-sandbox-settings"),
                data={"BUCKETS": BUCKETS},
            ),
        )
        with LocalKubelet(kwok_cluster.api, namespace, workdir) as kubelet:
            # Early: metrics-server needs two scrapes of a pod before the metrics API has it.
            kubelet.set_memory(SERVICE, FAKE_MEMORY)
            values = {
                "NAMESPACE": namespace,
                "RUN_ID": run_id,
                "SERVICE": SERVICE,
                "IMAGE": f"stonks-oracle/{SERVICE}:{run_id}",
            }
            applied_at = time.monotonic()
            _apply(kwok_cluster.api, namespace, MANIFESTS / "infra.yaml", values)
            _apply(kwok_cluster.api, namespace, MANIFESTS / "service.yaml", values)
            yield Sandbox(namespace, credentials, kubelet, core, applied_at)
    finally:
        try:
            core.delete_namespace(namespace)
        except ApiException as exc:
            if exc.status != 404:
                raise


# ------------------------------------------------------------------------------------------------
# the steps, in order
# ------------------------------------------------------------------------------------------------


def test_pods_run_as_local_processes_on_loopback(
    kwok_cluster: Cluster, kwok_sandbox: Sandbox
) -> None:
    pids = kwok_sandbox.kubelet.wait_running(COMPONENTS, timeout=60)
    kwok_cluster.timings["localkubelet: applied -> all running"] = (
        time.monotonic() - kwok_sandbox.applied_at
    )
    assert sorted(pids) == sorted(COMPONENTS)
    assert kwok_sandbox.kubelet.errors == []
    for component in pids:
        processes = [psutil.Process(pid) for pid in kwok_sandbox.kubelet.process_tree(component)]
        listening = {
            f"{conn.laddr.ip}:{conn.laddr.port}"
            for process in processes
            for proc in [process, *process.children(recursive=True)]
            for conn in proc.net_connections(kind="inet")
            if conn.status == psutil.CONN_LISTEN
        }
        assert f"127.0.0.1:{kwok_sandbox.kubelet.local_port(component)}" in listening, component
        assert all(addr.startswith("127.0.0.1:") for addr in listening), (component, listening)


def test_port_forward_reaches_the_service(
    custom: client.CustomObjectsApi, kwok_sandbox: Sandbox
) -> None:
    """/ready of query-api answers 200 through the API server: it reached PostgreSQL and the
    object store (bucket included) at the addresses of Secret stonks-service-env."""
    pod = _pod(kwok_sandbox.core, kwok_sandbox.namespace, SERVICE)
    status, body = _http_get(kwok_sandbox.core, kwok_sandbox.namespace, pod, "/ready")
    assert status == 200, body
    assert body["checks"] == {"database": "ok", "object_store": "ok"}
    # kwok routes by a ClusterPortForward of this pod alone.
    forward = json_object(
        custom.get_cluster_custom_object(
            KWOK_GROUP,
            KWOK_VERSION,
            "clusterportforwards",
            f"localkubelet.{kwok_sandbox.namespace}.{pod}",
        )
    )
    assert forward["spec"]["selector"] == {
        "matchNamespaces": [kwok_sandbox.namespace],
        "matchNames": [pod],
    }
    assert forward["spec"]["forwards"] == [
        {
            "ports": [8000],
            "target": {"address": "127.0.0.1", "port": kwok_sandbox.kubelet.local_port(SERVICE)},
        }
    ]


def test_pod_logs_are_the_processes_output(kwok_sandbox: Sandbox) -> None:
    """The API's pods/log of the service pod (kwok reads the CRI log LocalKubelet writes) holds
    the JSON line of the /ready request above, as the service wrote it."""
    assert kwok_sandbox.kubelet.logs_supported
    pod = _pod(kwok_sandbox.core, kwok_sandbox.namespace, SERVICE)
    deadline = time.monotonic() + 10
    ready: list[dict[str, object]] = []
    while not ready and time.monotonic() < deadline:
        text = kwok_sandbox.core.read_namespaced_pod_log(pod, kwok_sandbox.namespace)
        lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
        ready = [line for line in lines if line.get("path") == "/ready"]
        time.sleep(0.2)
    assert ready and ready[-1]["status"] == 200 and ready[-1]["service"] == SERVICE


def test_redis_through_port_forward(kwok_sandbox: Sandbox) -> None:
    pod = _pod(kwok_sandbox.core, kwok_sandbox.namespace, "redis")
    reply = _redis_ping(
        kwok_sandbox.core, kwok_sandbox.namespace, pod, kwok_sandbox.credentials["REDIS_PASSWORD"]
    )
    assert reply == b"+OK\r\n+PONG\r\n"


async def test_postgres_accepts_the_pod_credentials(kwok_sandbox: Sandbox) -> None:
    c = kwok_sandbox.credentials
    conn = await asyncpg.connect(
        host="127.0.0.1",
        port=kwok_sandbox.kubelet.local_port("postgres"),
        user=c["POSTGRES_USER"],
        password=c["POSTGRES_PASSWORD"],
        database=c["POSTGRES_DB"],
        timeout=10,
    )
    try:
        row = await conn.fetchrow(
            "SELECT current_user AS user, current_database() AS db, "
            "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser"
        )
    finally:
        await conn.close()
    assert dict(row) == {"user": c["POSTGRES_USER"], "db": c["POSTGRES_DB"], "superuser": True}
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncio.wait_for(
            asyncpg.connect(
                host="127.0.0.1",
                port=kwok_sandbox.kubelet.local_port("postgres"),
                user=c["POSTGRES_USER"],
                password="wrong",
                database=c["POSTGRES_DB"],
            ),
            10,
        )


def test_exec_runs_the_command_locally(kwok_sandbox: Sandbox) -> None:
    if not kwok_sandbox.kubelet.exec_supported:
        pytest.skip(
            "the cluster does not serve kwok's ClusterExec (scripts/kwok-cluster.sh enables only "
            "the ClusterPortForward and ClusterResourceUsage CRDs), so kwok has no exec target"
        )
    pod = _pod(kwok_sandbox.core, kwok_sandbox.namespace, "postgres")
    output = stream(
        kwok_sandbox.core.connect_get_namespaced_pod_exec,
        pod,
        kwok_sandbox.namespace,
        command=MEMORY_COMMAND,
        stderr=True,
        stdin=False,
        stdout=True,
        tty=False,
    )
    assert output.strip().isdigit(), output
    assert int(output) > 0


def test_memory_in_metrics_api(
    kwok_cluster: Cluster, custom: client.CustomObjectsApi, kwok_sandbox: Sandbox
) -> None:
    """set_memory (made before the pods existed) is what the metrics API reports for the pod."""
    pod = _pod(kwok_sandbox.core, kwok_sandbox.namespace, SERVICE)
    # metrics-server scrapes every 15 s, yet a new pod takes 40-60 s to appear in the API.
    deadline = time.monotonic() + 90
    memory, last_error = None, ""
    while time.monotonic() < deadline:
        try:
            metrics = json_object(
                custom.get_namespaced_custom_object(
                    "metrics.k8s.io", "v1beta1", kwok_sandbox.namespace, "pods", pod
                )
            )
            memory = int(utils.parse_quantity(metrics["containers"][0]["usage"]["memory"]))
            if memory == FAKE_MEMORY_BYTES:
                break
        except ApiException as exc:
            last_error = f"{exc.status} {exc.reason}"
        time.sleep(2)
    kwok_cluster.timings["localkubelet: applied -> pod metrics"] = (
        time.monotonic() - kwok_sandbox.applied_at
    )
    assert memory == FAKE_MEMORY_BYTES, f"memory={memory} {last_error}"


def test_deleted_pod_gets_a_fresh_process(kwok_cluster: Cluster, kwok_sandbox: Sandbox) -> None:
    kubelet, core, ns = kwok_sandbox.kubelet, kwok_sandbox.core, kwok_sandbox.namespace
    old_pod, old_pid = _pod(core, ns, SERVICE), kubelet.processes()[SERVICE]
    port = kubelet.local_port(SERVICE)
    started = time.monotonic()
    core.delete_namespaced_pod(old_pod, ns)
    deadline = started + 60
    while kubelet.processes().get(SERVICE, old_pid) == old_pid and time.monotonic() < deadline:
        time.sleep(0.1)
    new_pid = kubelet.wait_running([SERVICE], timeout=max(deadline - time.monotonic(), 1))[SERVICE]
    kwok_cluster.timings["localkubelet: pod deleted -> new process"] = time.monotonic() - started
    assert new_pid != old_pid
    assert not _alive(old_pid)
    assert kubelet.local_port(SERVICE) == port  # like a Service's ClusterIP
    new_pod = _pod(core, ns, SERVICE)
    assert new_pod != old_pod
    status, body = _http_get(core, ns, new_pod, "/ready")
    assert status == 200, body


def test_stop_leaves_no_process_and_no_kwok_object(
    kwok_cluster: Cluster, custom: client.CustomObjectsApi, kwok_sandbox: Sandbox
) -> None:
    pids = kwok_sandbox.kubelet.processes()
    assert sorted(pids) == sorted(COMPONENTS)
    started = time.monotonic()
    kwok_sandbox.kubelet.stop()
    kwok_cluster.timings["localkubelet: stop"] = time.monotonic() - started
    assert [c for c, pid in pids.items() if _alive(pid)] == []
    assert kwok_sandbox.kubelet.processes() == {}
    selector = f"{OWNER_LABEL}={kwok_sandbox.namespace}"
    plurals = ["clusterportforwards", "clusterresourceusages"]
    plurals += ["clusterexecs"] if kwok_sandbox.kubelet.exec_supported else []
    plurals += ["clusterlogs"] if kwok_sandbox.kubelet.logs_supported else []
    for plural in plurals:
        left = json_object(
            custom.list_cluster_custom_object(
                KWOK_GROUP, KWOK_VERSION, plural, label_selector=selector
            )
        )["items"]
        assert left == [], plural
