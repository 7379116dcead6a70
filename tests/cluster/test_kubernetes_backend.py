"""The Kubernetes backend against a real API server (kwok), with the pods run by LocalKubelet.

Everything the backend does goes through the Kubernetes API: the namespace and its objects,
watches, port-forward streams (kwok's kubelet sends them to the processes LocalKubelet started
for each pod), exec (the cgroup memory fallback), metrics.k8s.io (metrics-server scraping kwok),
scaling and pod deletion for faults, namespace deletion for teardown.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import psutil
import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from pytest_stonks_sandbox._backends.attach import AttachBackend
from pytest_stonks_sandbox._backends.kubernetes import cluster as cluster_module
from pytest_stonks_sandbox._backends.kubernetes import manifests
from pytest_stonks_sandbox._backends.kubernetes.backend import KubernetesBackend
from pytest_stonks_sandbox._backends.kubernetes.cluster import Namespace, component_of, is_ready
from pytest_stonks_sandbox._backends.kubernetes.manifests import MANAGED_BY, OWNER_ANNOTATION
from pytest_stonks_sandbox._backends.kubernetes.sweep import sweep_namespaces
from pytest_stonks_sandbox._core.errors import ReadinessError, TeardownError
from pytest_stonks_sandbox._core.jsonfile import write_json
from pytest_stonks_sandbox._seeding import seeder as seeding
from pytest_stonks_sandbox._settings.config import base_dir
from pytest_stonks_sandbox._settings.project import ProjectConfig, load_project

from .apiobjects import annotations_of, labels_of, name_of, spec_of, status_of
from .localkubelet import LocalKubelet

if TYPE_CHECKING:
    from .conftest import Cluster

pytestmark = pytest.mark.xdist_group("kwok-cluster")

REPO = Path(__file__).resolve().parents[2]
INFRA = ("postgres", "redis", "s3")


def _namespace_gone(core: client.CoreV1Api, name: str, timeout: float = 90) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            core.read_namespace(name)
        except ApiException as exc:
            if exc.status == 404:
                return True
            raise
        time.sleep(0.5)
    return False


@pytest.fixture(scope="module")
def project() -> ProjectConfig:
    return load_project(REPO)


@pytest.fixture(scope="module")
def kubeconfig_env(kwok_cluster: Cluster, monkeypatch_module: pytest.MonkeyPatch) -> Path:
    monkeypatch_module.setenv("KUBECONFIG", str(kwok_cluster.kubeconfig))
    return kwok_cluster.kubeconfig


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def _kubelet(kwok_cluster: Cluster, namespace: str) -> LocalKubelet:
    workdir = base_dir(os.environ) / "lk"  # short: PostgreSQL socket paths are limited
    return LocalKubelet(kwok_cluster.api, namespace, workdir).start()


@pytest.fixture(scope="module")
def running(
    kwok_cluster: Cluster, kubeconfig_env: Path, project: ProjectConfig
) -> Iterator[tuple[KubernetesBackend, LocalKubelet]]:
    """One sandbox for the module's steps, started by the backend itself."""
    run_id = f"k{uuid.uuid4().hex[:6]}"
    namespace = f"stonks-inttest-{run_id}"
    kubelet = _kubelet(kwok_cluster, namespace)
    backend = KubernetesBackend(project, run_id, namespace, "kwok", timeout_s=120)
    try:
        started = time.monotonic()
        backend.start()
        kwok_cluster.timings["backend start (namespace -> answering)"] = time.monotonic() - started
        started = time.monotonic()
        seeding.seed(backend.endpoints, project)  # type: ignore[arg-type]
        kwok_cluster.timings["seed through port-forwards"] = time.monotonic() - started
        yield backend, kubelet
    finally:
        try:
            backend.stop()
        finally:
            kubelet.stop()


def test_start_creates_a_labelled_namespace_and_every_component_answers(
    kwok_cluster: Cluster, project: ProjectConfig, running: tuple[KubernetesBackend, LocalKubelet]
) -> None:
    backend, kubelet = running
    core = client.CoreV1Api(kwok_cluster.api)
    namespace = core.read_namespace(backend.namespace)
    assert labels_of(namespace)["stonks/run-id"] == backend.run_id
    assert labels_of(namespace)["app.kubernetes.io/managed-by"] == "pytest-stonks-sandbox"
    assert annotations_of(namespace)[OWNER_ANNOTATION].endswith(f":{os.getpid()}")
    services = [spec.name for spec in project.services]
    assert set(backend.readiness()) == {*INFRA, *services, "s3-buckets"}
    endpoints = backend.endpoints
    assert endpoints is not None
    # Every address is a loopback port-forward, none is a process port of LocalKubelet.
    for component in (*INFRA, *services):
        host, _, port = backend.addresses[component].rpartition(":")
        assert host == "127.0.0.1"
        assert int(port) != kubelet.local_port(component)
    for name in services:
        response = httpx.get(f"{endpoints.service_url(name)}/ready", timeout=10)
        assert response.status_code == 200, (name, response.text)
    assert backend.forwards["query-api"].connections >= 1


def test_seeded_data_is_served_through_the_port_forwards(
    project: ProjectConfig, running: tuple[KubernetesBackend, LocalKubelet]
) -> None:
    backend, _ = running
    assert backend.endpoints is not None
    headers = {project.api_key_header: backend.endpoints.api_key}
    url = backend.endpoints.service_url("symbol-registry")
    with httpx.Client(base_url=url, headers=headers, timeout=10) as http:
        response = http.get("/api/companies", params={"limit": 500})
    assert response.status_code == 200, response.text
    assert len(response.json()) > 0


def test_memory_falls_back_to_the_cgroup_through_exec(
    running: tuple[KubernetesBackend, LocalKubelet],
) -> None:
    backend, kubelet = running
    assert kubelet.exec_supported, "the kwok cluster must serve ClusterExec for this step"
    assert backend.probe is not None
    memory = backend.memory()
    assert set(memory) == set(backend.components)
    assert all(value > 0 for value in memory.values()), memory
    # Before metrics-server has scraped a pod, every figure comes from the cgroup.
    assert set(backend.probe.sources.values()) <= {"cgroup", "metrics"}
    measures = {(m.measure, m.source) for m in backend.memory_measures().values()}
    assert measures <= {("usage", "cgroup"), ("working_set", "metrics-api")}


def test_memory_comes_from_the_metrics_api_once_scraped(
    kwok_cluster: Cluster, running: tuple[KubernetesBackend, LocalKubelet]
) -> None:
    backend, kubelet = running
    assert backend.probe is not None
    expected = {
        name: (40 + 8 * index) * 1024 * 1024 for index, name in enumerate(backend.components)
    }
    for name, value in expected.items():
        kubelet.set_memory(name, f"{value // (1024 * 1024)}Mi")
    started = time.monotonic()
    memory: dict[str, int] = {}
    # metrics-server scrapes every 15 s and needs two scrapes of a pod.
    while time.monotonic() - started < 150:
        memory = dict(backend.memory())
        if memory == expected:
            break
        time.sleep(3)
    kwok_cluster.timings["memory: metrics API figures after"] = time.monotonic() - started
    assert memory == expected
    assert set(backend.probe.sources.values()) == {"metrics"}
    measures = backend.memory_measures()
    assert set(measures) == set(expected)
    assert {(m.measure, m.source) for m in measures.values()} == {("working_set", "metrics-api")}


def test_restart_fault_replaces_the_pod_and_seeds_a_new_database(
    project: ProjectConfig, running: tuple[KubernetesBackend, LocalKubelet]
) -> None:
    backend, kubelet = running
    ns = backend.ns
    assert ns is not None and backend.endpoints is not None
    pods_before = {p.metadata.name for p in ns.pods("postgres")}
    pid_before = kubelet.processes()["postgres"]
    backend.fault("restart", "postgres")
    pods_after = {
        p.metadata.name for p in ns.pods("postgres") if p.metadata.deletion_timestamp is None
    }
    assert pods_after and not pods_after & pods_before
    assert kubelet.processes()["postgres"] != pid_before
    # The new pod started empty; the backend loaded the schema and the seed again.
    headers = {project.api_key_header: backend.endpoints.api_key}
    url = backend.endpoints.service_url("symbol-registry")
    deadline = time.monotonic() + 30
    status = 0
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"{url}/api/companies", headers=headers, timeout=10)
            status = response.status_code
            if status == 200 and response.json():
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    assert status == 200


def test_stop_and_start_fault_scale_the_component(
    running: tuple[KubernetesBackend, LocalKubelet],
) -> None:
    backend, kubelet = running
    ns = backend.ns
    assert ns is not None and backend.endpoints is not None
    backend.fault("stop", "redis")
    assert ns.pods("redis") == []
    assert "redis" not in kubelet.processes()
    backend.check_alive()  # a component stopped on purpose is not a crash
    trading = backend.endpoints.service_url("trading-engine")
    assert httpx.get(f"{trading}/ready", timeout=10).status_code == 503
    backend.fault("start", "redis")
    assert ns.ready_pod("redis")
    deadline = time.monotonic() + 30
    while httpx.get(f"{trading}/ready", timeout=10).status_code != 200:
        assert time.monotonic() < deadline, "trading-engine did not see redis again"
        time.sleep(0.5)


def _read_response(sock: socket.socket) -> bytes:
    """One whole HTTP/1.1 response (head and Content-Length body), however it is split."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, f"the connection closed inside the response head: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = sock.recv(4096)
        assert chunk, "the connection closed inside the response body"
        body += chunk
    return head + b"\r\n\r\n" + body


def test_a_pod_deleted_behind_the_runs_back_is_followed_on_the_same_local_port(
    kwok_cluster: Cluster, project: ProjectConfig, running: tuple[KubernetesBackend, LocalKubelet]
) -> None:
    """No fault: the pod is deleted through the API, as a node drain or a crash would."""
    backend, _ = running
    assert backend.endpoints is not None and backend.pods is not None
    component = "query-api"
    forward = backend.forwards[component]
    port = forward.local_port
    before = forward.counters()
    path = project.service(component).ready
    old_pod = backend.pods.ready_pod(component)
    held = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        held.sendall(f"GET {path} HTTP/1.1\r\nHost: sandbox\r\n\r\n".encode())
        assert _read_response(held).startswith(b"HTTP/1.1 200")
        client.CoreV1Api(kwok_cluster.api).delete_namespaced_pod(
            old_pod, backend.namespace, grace_period_seconds=0
        )
        # The forward breaks the connection to the gone pod: the client is not left hanging.
        with contextlib.suppress(ConnectionResetError):  # a reset says the same
            assert held.recv(4096) == b""
    finally:
        held.close()
    ok = errors = 0
    deadline = time.monotonic() + 60
    with httpx.Client(base_url=backend.endpoints.service_url(component), timeout=5) as http:
        while ok < 5:
            assert time.monotonic() < deadline, f"no recovery after {errors} failed requests"
            try:
                ok += http.get(path).status_code == 200
            except httpx.HTTPError:
                errors += 1
                time.sleep(0.05)
    assert backend.addresses[component] == f"127.0.0.1:{port}" == f"127.0.0.1:{forward.local_port}"
    assert backend.pods.ready_pod(component) not in ("", old_pod)
    after = forward.counters()
    assert after["reconnects"] >= before["reconnects"] + 1, after
    assert after["failures"] == before["failures"], after
    assert after["connections"] > before["connections"]


def test_unknown_fault_names_the_components(
    running: tuple[KubernetesBackend, LocalKubelet],
) -> None:
    backend, _ = running
    with pytest.raises(ValueError, match="components are postgres, redis, s3, query-api"):
        backend.fault("restart", "mongodb")


def test_keep_then_attach_then_stop(
    kwok_cluster: Cluster,
    tmp_path: Path,
    project: ProjectConfig,
    running: tuple[KubernetesBackend, LocalKubelet],
) -> None:
    backend, _ = running
    core = client.CoreV1Api(kwok_cluster.api)
    state = backend.keep()
    assert backend.forwards == {}  # this run's port-forwards end with keep
    annotations = annotations_of(core.read_namespace(backend.namespace))
    assert annotations["stonks/kept"] == "true"
    state_file = tmp_path / "state.json"
    write_json(state_file, state)
    attached = AttachBackend(state_file, project, timeout_s=60)
    endpoints = attached.start()
    try:
        assert attached.namespace == backend.namespace
        url = endpoints.service_url("query-api")
        assert httpx.get(f"{url}/ready", timeout=10).status_code == 200
        assert set(attached.memory()) == set(backend.components)
        # Fault injection works on the attached namespace: the pod is replaced, as by the backend.
        pods_before = {name_of(p) for p in core.list_namespaced_pod(backend.namespace).items}
        attached.fault("restart", "redis")
        pods_after = {name_of(p) for p in core.list_namespaced_pod(backend.namespace).items}
        assert pods_after - pods_before, "no new pod after the restart"
        assert httpx.get(f"{url}/ready", timeout=10).status_code == 200
    finally:
        attached.stop()
    assert status_of(core.read_namespace(backend.namespace)).phase == "Active"
    # The module fixture's stop() deletes it (kept or not, the test run owns it).
    backend._kept = False


def test_stop_deletes_the_namespace(
    kwok_cluster: Cluster, project: ProjectConfig, kubeconfig_env: Path
) -> None:
    """Runs after the module's sandbox: a fresh one, stopped, leaves nothing."""
    run_id = f"k{uuid.uuid4().hex[:6]}"
    namespace = f"stonks-inttest-{run_id}"
    kubelet = _kubelet(kwok_cluster, namespace)
    backend = KubernetesBackend(project, run_id, namespace, "kwok", timeout_s=120)
    try:
        backend.start()
        pids = list(kubelet.processes().values())
        assert len(pids) == len(backend.components)
        started = time.monotonic()
        backend.stop()
        kwok_cluster.timings["backend stop (namespace deleted)"] = time.monotonic() - started
        core = client.CoreV1Api(kwok_cluster.api)
        with pytest.raises(ApiException) as gone:
            core.read_namespace(namespace)
        assert gone.value.status == 404
        deadline = time.monotonic() + 30
        while any(psutil.pid_exists(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(psutil.pid_exists(pid) for pid in pids)
    finally:
        backend.stop()
        kubelet.stop()


def test_pods_that_never_answer_are_a_readiness_error_and_nothing_is_left(
    kwok_cluster: Cluster, project: ProjectConfig, kubeconfig_env: Path
) -> None:
    """No LocalKubelet: kwok says Ready, but nothing answers behind the port-forwards."""
    run_id = f"k{uuid.uuid4().hex[:6]}"
    namespace = f"stonks-inttest-{run_id}"
    backend = KubernetesBackend(project, run_id, namespace, "kwok", timeout_s=6)
    with pytest.raises(ReadinessError) as error:
        backend.start()
    assert "its pod is Ready but it does not answer at 127.0.0.1:" in error.value.message
    assert error.value.component in backend.components
    assert _namespace_gone(client.CoreV1Api(kwok_cluster.api), namespace, timeout=5)


def test_an_existing_namespace_is_refused(
    kwok_cluster: Cluster, project: ProjectConfig, kubeconfig_env: Path
) -> None:
    core = client.CoreV1Api(kwok_cluster.api)
    name = f"stonks-inttest-taken-{uuid.uuid4().hex[:4]}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    try:
        backend = KubernetesBackend(project, "taken", name, "kwok", timeout_s=10)
        with pytest.raises(Exception, match=f"namespace {name}: exists already"):
            backend.start()
        assert status_of(core.read_namespace(name)).phase == "Active"  # not ours: left alone
    finally:
        core.delete_namespace(name)


def test_sweep_removes_namespaces_of_dead_runs_only(
    kwok_cluster: Cluster, kubeconfig_env: Path
) -> None:
    core = client.CoreV1Api(kwok_cluster.api)
    dead = psutil.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = os.uname().nodename
    suffix = uuid.uuid4().hex[:4]
    owners = {
        f"stonks-inttest-dead-{suffix}": ({OWNER_ANNOTATION: f"{host}:{dead.pid}"}),
        f"stonks-inttest-live-{suffix}": ({OWNER_ANNOTATION: f"{host}:{os.getpid()}"}),
        f"stonks-inttest-kept-{suffix}": (
            {OWNER_ANNOTATION: f"{host}:{dead.pid}", "stonks/kept": "true"}
        ),
        f"stonks-inttest-other-{suffix}": ({OWNER_ANNOTATION: f"elsewhere:{dead.pid}"}),
    }
    for name, notes in owners.items():
        core.create_namespace(
            client.V1Namespace(
                metadata=client.V1ObjectMeta(name=name, labels=dict(MANAGED_BY), annotations=notes)
            )
        )
    try:
        removed = sweep_namespaces(kwok_cluster.api)
        assert [n for n in removed if n.endswith(suffix)] == [f"stonks-inttest-dead-{suffix}"]
        # --sandbox-gc also takes kept ones, never the namespace of a run still going.
        removed = sweep_namespaces(kwok_cluster.api, include_kept=True)
        assert [n for n in removed if n.endswith(suffix)] == [f"stonks-inttest-kept-{suffix}"]
    finally:
        for name in owners:
            try:
                core.delete_namespace(name)
            except ApiException as exc:
                if exc.status not in (404, 409):
                    raise


# ------------------------------------------------------------------------------------------------
# the whole pipeline: pytest --sandbox --sandbox-backend=kubernetes on the integration suite
# ------------------------------------------------------------------------------------------------


def _run_pipeline(
    kubeconfig: Path, namespace: str, results: Path, *args: str, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    command, env = _pipeline_command(kubeconfig, namespace, results, *args)
    return subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
    )


def _pipeline_command(
    kubeconfig: Path, namespace: str, results: Path, *args: str
) -> tuple[list[str], dict[str, str]]:
    # The inner run takes its settings from its command line only.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STONKS_SANDBOX", "PYTEST_"))}
    env["KUBECONFIG"] = str(kubeconfig)
    if "STONKS_SANDBOX_DIR" in os.environ:
        env["STONKS_SANDBOX_DIR"] = os.environ["STONKS_SANDBOX_DIR"]
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--sandbox",
        "--sandbox-backend=kubernetes",
        "--image-tag=kwok",
        f"--namespace={namespace}",
        f"--results={results}",
        "--sandbox-memory-interval=5",
        "-p",
        "no:cacheprovider",
        "-q",
        *args,
    ]
    return command, env


def _contract(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def test_integration_suite_passes_on_the_kubernetes_backend(
    kwok_cluster: Cluster, tmp_path: Path
) -> None:
    namespace = f"stonks-inttest-suite-{uuid.uuid4().hex[:6]}"
    results = tmp_path / "inttest-results.json"
    with _kubelet(kwok_cluster, namespace):
        started = time.monotonic()
        run = _run_pipeline(kwok_cluster.kubeconfig, namespace, results, "tests/integration")
        kwok_cluster.timings["integration suite on kubernetes"] = time.monotonic() - started
    tail = run.stdout[-3000:] + run.stderr[-2000:]
    assert run.returncode == 0, tail
    contract = _contract(results)
    assert contract["backend"] == "kubernetes"
    assert contract["namespace"] == namespace
    assert contract["image_tag"] == "kwok"
    assert contract["outcome"] == "passed", tail
    assert contract["tests"]["failed"] == 0 and contract["tests"]["passed"] > 250
    assert contract["stages"]["teardown"]["status"] == "passed"
    assert contract["requests_total"] > 400  # every request of the suite went through a forward
    assert set(contract["memory"]) >= {"postgres", "redis", "s3", "query-api"}
    assert all(entry["samples"] >= 1 for entry in contract["memory"].values())
    assert _namespace_gone(client.CoreV1Api(kwok_cluster.api), namespace, timeout=5)


def _ready_components(core: client.CoreV1Api, namespace: str) -> set[str]:
    return {component_of(pod) for pod in core.list_namespaced_pod(namespace).items if is_ready(pod)}


def _default_sigint() -> None:
    # A background job may start with SIGINT ignored; Python then never raises KeyboardInterrupt.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_during_deploy_ends_the_run_at_once_and_removes_the_namespace(
    kwok_cluster: Cluster, project: ProjectConfig, tmp_path: Path, sig: signal.Signals
) -> None:
    """No LocalKubelet: the pods are Ready but nothing answers behind the port-forwards, so
    deploy would wait out its whole readiness timeout (120 s here) without the signal."""
    namespace = f"stonks-inttest-sig-{uuid.uuid4().hex[:6]}"
    results = tmp_path / "inttest-results.json"
    command, env = _pipeline_command(
        kwok_cluster.kubeconfig, namespace, results, "--sandbox-timeout=120",
        "tests/integration/test_registry_api.py",
    )  # fmt: skip
    proc = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        preexec_fn=_default_sigint,
    )  # fmt: skip
    core = client.CoreV1Api(kwok_cluster.api)
    try:
        deadline = time.monotonic() + 60
        components = set(manifests.components(project))
        while not components <= _ready_components(core, namespace):
            assert proc.poll() is None and time.monotonic() < deadline, "pods never got Ready"
            time.sleep(0.1)
        time.sleep(1.0)  # deploy is now probing the components through their forwards
        sent = time.monotonic()
        proc.send_signal(sig)
        output = proc.communicate(timeout=60)[0].decode(errors="replace")
        seconds = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    kwok_cluster.timings[f"{sig.name} during deploy to exit"] = seconds
    assert proc.returncode == 2, output[-3000:]
    assert seconds < 1.0, f"exited {seconds:.2f} s after {sig.name}\n{output[-3000:]}"
    contract = _contract(results)
    assert (contract["outcome"], contract["infra_error"]) == ("interrupted", None)
    assert contract["stages"]["deploy"]["status"] == "interrupted"
    assert contract["stages"]["teardown"]["status"] == "passed"
    # At exit its deletion is under way (the cluster finishes it on its own), then it is gone.
    try:
        metadata = core.read_namespace(namespace).metadata
        assert metadata is not None and metadata.deletion_timestamp is not None
    except ApiException as exc:
        assert exc.status == 404
    assert _namespace_gone(core, namespace, timeout=60)


def test_provisioning_failure_is_exit_2_with_the_component_named(
    kwok_cluster: Cluster, tmp_path: Path
) -> None:
    namespace = f"stonks-inttest-fail-{uuid.uuid4().hex[:6]}"
    results = tmp_path / "inttest-results.json"
    run = _run_pipeline(
        kwok_cluster.kubeconfig,
        namespace,
        results,
        "--sandbox-timeout=6",
        "tests/integration/test_registry_api.py",
        timeout=300,
    )
    assert run.returncode == 2, run.stdout[-3000:]
    contract = _contract(results)
    assert contract["infra_error"]["phase"] == "readiness"
    assert "does not answer" in contract["infra_error"]["message"]
    assert "readiness failed for" in run.stdout + run.stderr
    assert _namespace_gone(client.CoreV1Api(kwok_cluster.api), namespace, timeout=5)


FAILING_ON_KUBERNETES = """
import json, pathlib

MISSING = "00000000-0000-4000-a100-000000000999"

async def test_a_company_that_is_not_there(query_client, sandbox):
    secrets = pathlib.Path(__file__).with_name("secrets.json")
    secrets.write_text(json.dumps(sandbox.endpoints.secrets()))
    response = await query_client.get(f"/api/companies/{MISSING}")
    assert response.status_code == 200, "the company is missing"
"""


def test_a_failed_test_leaves_pod_logs_events_and_its_own_lines(
    kwok_cluster: Cluster, tmp_path: Path
) -> None:
    namespace = f"stonks-inttest-evid-{uuid.uuid4().hex[:6]}"
    results = tmp_path / "inttest-results.json"
    (tmp_path / "test_evidence_k8s.py").write_text(FAILING_ON_KUBERNETES)
    with _kubelet(kwok_cluster, namespace) as kubelet:
        assert kubelet.logs_supported
        run = _run_pipeline(
            kwok_cluster.kubeconfig, namespace, results, "-c", str(REPO / "pyproject.toml"),
            "--rootdir", str(REPO), str(tmp_path / "test_evidence_k8s.py"), timeout=300,
        )  # fmt: skip
    tail = run.stdout[-3000:] + run.stderr[-2000:]
    assert run.returncode == 1, tail
    contract = _contract(results)
    (failure,) = contract["failures"]
    logs = failure["logs"]
    lines = [json.loads(entry["line"]) for entry in logs["lines"]]
    bundle = Path(contract["artifacts"]["bundle"])
    seen = {p.relative_to(bundle).as_posix(): p.read_text()[-400:] for p in bundle.rglob("*.*")
            if "query-api" in p.as_posix() or p.suffix == ".txt"}  # fmt: skip
    assert {entry["component"] for entry in logs["lines"]} == {"query-api"}, (logs, seen)
    requests = [line for line in lines if line["msg"] == "request"]
    assert [(r["route"], r["status"]) for r in requests] == [("/api/companies/{company_id}", 404)]
    assert {line["trace_id"] for line in lines} == {logs["trace_id"]}
    files = {entry["path"] for entry in contract["artifacts"]["files"]}
    pods = {path.split("/")[2] for path in files if path.startswith("kubernetes/pods/")}
    assert {"kubernetes/events.json"} <= files
    assert len([pod for pod in pods if pod.startswith(("postgres", "redis", "query-api"))]) >= 3
    (query_log,) = [p for p in files if p.startswith("kubernetes/pods/query-api") and
                    p.endswith("/query-api.log")]  # fmt: skip
    assert logs["trace_id"] in (bundle / query_log).read_text()
    events = json.loads((bundle / "kubernetes" / "events.json").read_text())
    reasons = {event["reason"] for event in events}
    assert reasons & {"Scheduled", "SuccessfulCreate", "ScalingReplicaSet"}, reasons
    statuses = [p for p in files if p.endswith("/status.json")]
    assert statuses and all(json.loads((bundle / p).read_text())["phase"] for p in statuses)
    secrets = json.loads((tmp_path / "secrets.json").read_text())
    assert len(secrets) == 5
    for path in [*bundle.rglob("*.log"), *bundle.rglob("*.json"), results]:
        assert not [secret for secret in secrets if secret in path.read_text()], path
    assert _namespace_gone(client.CoreV1Api(kwok_cluster.api), namespace, timeout=5)


HOLD = "stonks-sandbox.test/hold"


def test_a_slow_namespace_deletion_records_what_blocks_it(
    kwok_cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"stonks-inttest-slow-{uuid.uuid4().hex[:6]}"
    core = client.CoreV1Api(kwok_cluster.api)
    ns = Namespace(kwok_cluster.api, name)
    ns.create({"metadata": {"name": name}})
    held = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="held", finalizers=[HOLD]))
    core.create_namespaced_config_map(name, held)
    monkeypatch.setattr(cluster_module, "SLOW_DELETE_S", 1.0)
    try:
        with pytest.raises(TeardownError) as raised:
            ns.delete(timeout_s=20)
        assert ns.blocking is not None and ns.blocking["phase"] == "Terminating"
        conditions = {c["type"]: c for c in ns.blocking["conditions"]}
        assert HOLD in conditions["NamespaceFinalizersRemaining"]["message"], conditions
        assert HOLD in str(raised.value)  # the teardown error says what blocks it
    finally:
        core.patch_namespaced_config_map("held", name, {"metadata": {"finalizers": None}})
    assert _namespace_gone(core, name, timeout=30)


def test_runner_job_manifests_are_accepted_and_the_job_completes(
    kwok_cluster: Cluster, project: ProjectConfig
) -> None:
    """k8s/runner/runner.yaml as CI applies it: RBAC and the Job pass the API server's checks.

    kwok completes the Job's pod without running it: this checks the objects, not pytest in a pod.
    """
    from kubernetes import utils

    from pytest_stonks_sandbox._backends.kubernetes.manifests import render_template

    core = client.CoreV1Api(kwok_cluster.api)
    batch = client.BatchV1Api(kwok_cluster.api)
    rbac = client.RbacAuthorizationV1Api(kwok_cluster.api)
    namespace = f"stonks-ci-{uuid.uuid4().hex[:6]}"
    run_id = "ci-1"
    objects = render_template(
        REPO / "k8s" / "runner" / "runner.yaml",
        {"NAMESPACE": namespace, "IMAGE_TAG": "1.4.2", "RUN_ID": run_id},
    )
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace)))
    try:
        for obj in objects:
            utils.create_from_dict(kwok_cluster.api, obj, namespace=namespace)
        # A Role in the runner's namespace, no ClusterRole: its own namespace object only.
        role = rbac.read_namespaced_role("stonks-inttest-runner", namespace)
        rules = [r for r in role.rules or [] if "namespaces" in (r.resources or [])]
        assert [r.resource_names for r in rules] == [[namespace]], role.rules
        assert not rbac.list_cluster_role(
            label_selector="app.kubernetes.io/part-of=stonks-sandbox"
        ).items
        job = batch.read_namespaced_job(f"stonks-inttest-{run_id}", namespace)
        container = spec_of(spec_of(job).template).containers[0]
        assert container.image == "stonks-oracle/inttest-runner:1.4.2"
        assert spec_of(spec_of(job).template).service_account_name == "stonks-inttest-runner"
        deadline = time.monotonic() + 60
        while not (status_of(batch.read_namespaced_job(name_of(job), namespace)).succeeded or 0):
            assert time.monotonic() < deadline, "the runner Job did not complete"
            time.sleep(0.5)
    finally:
        core.delete_namespace(namespace)
