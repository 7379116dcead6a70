"""The Kubernetes backend's pure parts: manifests, secrets, memory parsing, the forwarder.

The backend itself runs against a real API server in tests/cluster/test_kubernetes_backend.py.
"""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pytest_stonks_sandbox._backends.kubernetes import manifests
from pytest_stonks_sandbox._backends.kubernetes.podmemory import (
    parse_cgroup_bytes,
    pod_metrics_bytes,
)
from pytest_stonks_sandbox._backends.kubernetes.portforward import PortForward, Unavailable
from pytest_stonks_sandbox._core.errors import ConfigError, PortForwardError
from pytest_stonks_sandbox._settings.project import ProjectConfig, load_project

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def project() -> ProjectConfig:
    return load_project(REPO)


@pytest.fixture(scope="module")
def credentials() -> manifests.Credentials:
    return manifests.Credentials.generate("stonks")


def test_workload_has_infra_and_one_set_per_service(
    project: ProjectConfig, credentials: manifests.Credentials
) -> None:
    objects = manifests.workload(project, "stonks-inttest-abc", "abc", "1.4.2", credentials)
    deployments = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Deployment"}
    services = {o["metadata"]["name"] for o in objects if o["kind"] == "Service"}
    expected = {"postgres", "redis", "s3", *(s.name for s in project.services)}
    assert set(deployments) == expected
    assert services == expected
    assert [o["metadata"]["name"] for o in objects if o["kind"] == "Job"] == ["s3-buckets"]
    query = deployments["query-api"]["spec"]["template"]
    assert query["metadata"]["labels"]["app.kubernetes.io/name"] == "query-api"
    assert query["metadata"]["labels"]["stonks/run-id"] == "abc"
    assert query["spec"]["containers"][0]["image"] == "stonks-oracle/query-api:1.4.2"
    # Shell variables of the commands are left for the container; only ${NAME} is filled.
    redis = deployments["redis"]["spec"]["template"]["spec"]["containers"][0]
    assert "$(REDIS_PASSWORD)" in redis["args"]
    assert set(manifests.components(project)) == expected


def test_settings_render_service_env_with_cluster_dns(
    project: ProjectConfig, credentials: manifests.Credentials
) -> None:
    objects = {o["metadata"]["name"]: o for o in manifests.settings(project, credentials, "ns1")}
    env = {
        key: base64.b64decode(value).decode()
        for key, value in objects[manifests.SERVICE_ENV_SECRET]["data"].items()
    }
    assert env["STONKS_DATABASE_URL"] == (
        f"postgresql://stonks:{credentials.postgres_password}@postgres.ns1.svc:5432/stonks"
    )
    assert env["STONKS_REDIS_URL"] == f"redis://:{credentials.redis_password}@redis.ns1.svc:6379/0"
    assert env["STONKS_S3_ENDPOINT"] == "http://s3.ns1.svc:9000"
    assert env["STONKS_API_KEY"] == credentials.api_key
    creds = objects[manifests.CREDENTIALS_SECRET]["data"]
    assert base64.b64decode(creds["POSTGRES_PASSWORD"]).decode() == credentials.postgres_password
    assert manifests.Credentials.from_env(credentials.as_env()) == credentials
    buckets = objects[manifests.SETTINGS_CONFIGMAP]["data"]["BUCKETS"]
    assert buckets.split() == list(project.buckets)


def test_per_service_env_is_added_to_its_deployment(
    tmp_path: Path, credentials: manifests.Credentials
) -> None:
    project = _project_with(tmp_path, 'env = { FEATURE = "on", DB = "{postgres_dsn}" }')
    objects = manifests.workload(project, "ns2", "r2", "t", credentials)
    deployment = next(
        o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "web"
    )
    env = {
        e["name"]: e.get("value")
        for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["FEATURE"] == "on"
    assert env["DB"].endswith("@postgres.ns2.svc:5432/stonks")


def test_a_service_without_image_is_a_config_error(
    tmp_path: Path, credentials: manifests.Credentials
) -> None:
    project = _project_with(tmp_path, "", image=False)
    with pytest.raises(ConfigError, match=r"services\.web\].*has no 'image'"):
        manifests.workload(project, "ns", "r", "t", credentials)


def test_unknown_placeholders_and_bad_yaml_are_named(
    tmp_path: Path, credentials: manifests.Credentials
) -> None:
    project = _project_with(tmp_path, "")
    infra = tmp_path / "k8s" / "infra.yaml"
    infra.write_text("kind: ConfigMap\napiVersion: v1\nmetadata: {name: ${TYPO}}\n")
    with pytest.raises(ConfigError, match=r"infra\.yaml.*unknown placeholders TYPO"):
        manifests.workload(project, "ns", "r", "t", credentials)
    infra.write_text("kind: [unclosed\n")
    with pytest.raises(ConfigError, match=r"infra\.yaml.*not valid YAML"):
        manifests.workload(project, "ns", "r", "t", credentials)
    infra.write_text("just: a mapping\n")
    with pytest.raises(ConfigError, match="not a Kubernetes object"):
        manifests.workload(project, "ns", "r", "t", credentials)


def test_missing_manifests_directory_is_a_config_error(
    credentials: manifests.Credentials,
) -> None:
    project = ProjectConfig(root=REPO)
    with pytest.raises(ConfigError, match="k8s_manifests"):
        manifests.workload(project, "ns", "r", "t", credentials)


def _project_with(tmp_path: Path, env: str, image: bool = True) -> ProjectConfig:
    (tmp_path / "k8s").mkdir(exist_ok=True)
    for name in ("infra.yaml", "service.yaml"):
        (tmp_path / "k8s" / name).write_text((REPO / "k8s" / "sandbox" / name).read_text())
    image_line = 'image = "example/web"' if image else ""
    (tmp_path / "pyproject.toml").write_text(
        f"""
[tool.stonks-sandbox]
k8s_manifests = "k8s"
[tool.stonks-sandbox.services.web]
command = ["web"]
{image_line}
{env}
"""
    )
    return load_project(tmp_path)


def test_pod_metrics_and_cgroup_parsing() -> None:
    item = {"containers": [{"usage": {"memory": "48Mi"}}, {"usage": {"memory": "1024Ki"}}]}
    assert pod_metrics_bytes(item) == 49 * 1024 * 1024
    assert pod_metrics_bytes({"containers": []}) == 0
    assert parse_cgroup_bytes("143040512\n") == 143040512
    assert parse_cgroup_bytes("max\n") == 0
    assert parse_cgroup_bytes("") == 0


# ---------------------------------------------------------------- the forwarder's mechanics


@pytest.fixture
def echo_server() -> Iterator[int]:
    """A loopback TCP server that answers each line with its upper-case copy."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                while data := conn.recv(65536):
                    conn.sendall(data.upper())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    server.close()


def test_forwarder_pumps_bytes_both_ways_per_connection(echo_server: int) -> None:
    pods: list[str] = []

    def open_stream(pod: str, port: int) -> tuple[socket.socket, Callable[[], None]]:
        pods.append(pod)
        remote = socket.create_connection(("127.0.0.1", port))
        return remote, remote.close

    forward = PortForward("web", echo_server, lambda _wait: "web-0", open_stream)
    forward.start()
    port = forward.local_port
    try:
        for _ in range(2):
            with socket.create_connection(("127.0.0.1", forward.local_port), timeout=5) as conn:
                payload = b"x" * 300_000
                conn.sendall(payload)
                received = b""
                while len(received) < len(payload):
                    received += conn.recv(65536)
                assert received == payload.upper()
        assert pods == ["web-0", "web-0"]
        assert forward.connections == 2
        assert forward.failures == 0
    finally:
        forward.stop()
    with pytest.raises(ConnectionRefusedError):  # the listener is gone with stop()
        socket.create_connection(("127.0.0.1", port), timeout=1)


def _wait_for(condition: Callable[[], bool], within_s: float = 5.0) -> None:
    deadline = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.005)


def test_forwarder_hands_out_a_spare_stream_while_young_and_to_the_same_pod(
    echo_server: int,
) -> None:
    opened: list[str] = []
    closed: list[socket.socket] = []

    def open_stream(pod: str, port: int) -> tuple[socket.socket, Callable[[], None]]:
        remote = socket.create_connection(("127.0.0.1", port))
        opened.append(pod)

        def close() -> None:
            closed.append(remote)
            remote.close()

        return remote, close

    forward = PortForward(
        "web", echo_server, lambda _wait: "web-0", open_stream, spare_max_age_s=0.5
    )
    forward.start()
    try:
        assert _echo_exchange(forward.local_port) == b"HELLO"
        _wait_for(lambda: len(opened) == 2)  # the first connection's own, then a spare
        assert _echo_exchange(forward.local_port) == b"HELLO"  # on the spare
        _wait_for(lambda: len(opened) == 3)  # the next spare, opened behind it
        time.sleep(0.6)  # now too old: closed unused, and a fresh stream opened instead
        unused = len(closed)
        assert _echo_exchange(forward.local_port) == b"HELLO"
        _wait_for(lambda: len(opened) == 5 and len(closed) >= unused + 1)
        forward.pod_gone("web-0")  # a gone pod's spare is closed with its connections
        _wait_for(lambda: len(closed) == len(opened))
        assert forward.counters()["connections"] == 3
        assert forward.counters()["failures"] == 0
    finally:
        forward.stop()


def test_forwarded_connections_have_nagle_off(echo_server: int) -> None:
    """A reply written in parts must not wait for the client's delayed ACK (40 ms)."""

    def open_stream(pod: str, port: int) -> tuple[socket.socket, Callable[[], None]]:
        remote = socket.create_connection(("127.0.0.1", port))
        return remote, remote.close

    forward = PortForward("web", echo_server, lambda _wait: "web-0", open_stream)
    forward.start()
    try:
        with socket.create_connection(("127.0.0.1", forward.local_port), timeout=5) as conn:
            conn.sendall(b"ping")
            assert conn.recv(16) == b"PING"
            (accepted,) = forward._open
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        forward.stop()


def _no_stream(pod: str, port: int) -> tuple[socket.socket, Callable[[], None]]:
    """The stream opener of forwarders that never get as far as opening one."""
    raise AssertionError(f"no stream to {pod}:{port} was expected")


def test_forwarder_closes_the_connection_when_there_is_no_pod() -> None:
    def no_pod(wait_s: float) -> str:
        raise RuntimeError("no Ready pod")

    forward = PortForward("web", 1, no_pod, _no_stream, reconnect_s=0.2)
    forward.start()
    try:
        with socket.create_connection(("127.0.0.1", forward.local_port), timeout=5) as conn:
            assert conn.recv(10) == b""
        assert forward.failures == 1
        assert "no Ready pod" in forward.last_error
    finally:
        forward.stop()


def _echo_exchange(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(b"hello")
        return conn.recv(16)


def test_forwarder_retries_until_a_pod_is_there_and_follows_a_new_pod(echo_server: int) -> None:
    answers: Iterator[str | Exception] = iter(
        [RuntimeError("no Ready pod yet"), "web-0", "web-0", "web-1"]
    )

    def resolve(wait_s: float) -> str:
        assert wait_s > 0
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def open_stream(pod: str, port: int) -> tuple[socket.socket, Callable[[], None]]:
        remote = socket.create_connection(("127.0.0.1", port))
        return remote, remote.close

    forward = PortForward("web", echo_server, resolve, open_stream)
    forward.start()
    try:
        port = forward.local_port
        assert _echo_exchange(port) == b"HELLO"  # after one retry: a reconnect
        assert _echo_exchange(port) == b"HELLO"  # the same pod: nothing new
        assert _echo_exchange(port) == b"HELLO"  # another pod: the forward followed it
        assert forward.local_port == port
        assert forward.counters() == {
            "connections": 3,
            "reconnects": 2,
            "failures": 0,
            "last_error": "RuntimeError: no Ready pod yet",
        }
    finally:
        forward.stop()


def test_forwarder_breaks_the_connections_of_a_gone_pod(echo_server: int) -> None:
    def open_stream(pod: str, port: int) -> tuple[socket.socket, Callable[[], None]]:
        remote = socket.create_connection(("127.0.0.1", port))
        return remote, remote.close

    forward = PortForward("web", echo_server, lambda _wait: "web-0", open_stream)
    forward.start()
    try:
        with socket.create_connection(("127.0.0.1", forward.local_port), timeout=5) as conn:
            conn.sendall(b"a")
            assert conn.recv(4) == b"A"
            forward.pod_gone("web-1")  # another pod: this connection stays
            conn.sendall(b"b")
            assert conn.recv(4) == b"B"
            forward.pod_gone("web-0")
            assert conn.recv(4) == b""
        assert forward.failures == 0
    finally:
        forward.stop()


def test_forwarder_of_a_stopped_component_closes_at_once_without_a_failure() -> None:
    def stopped(wait_s: float) -> str:
        raise Unavailable("web")

    forward = PortForward("web", 1, stopped, _no_stream)
    forward.start()
    try:
        with socket.create_connection(("127.0.0.1", forward.local_port), timeout=5) as conn:
            assert conn.recv(10) == b""
        assert forward.counters()["failures"] == 0
    finally:
        forward.stop()


def test_forwarder_port_in_use_is_a_port_forward_error() -> None:
    taken = socket.create_server(("127.0.0.1", 0))
    try:
        forward = PortForward("web", 1, lambda _wait: "p", _no_stream, taken.getsockname()[1])
        with pytest.raises(PortForwardError, match=r"web.*cannot listen on 127\.0\.0\.1"):
            forward.start()
    finally:
        taken.close()


# ---------------------------------------------------------------- pod states (pure functions)


def _pod(phase: str, waiting: str = "", ready: bool = False, restarts: int = 0) -> object:
    from kubernetes import client

    state = client.V1ContainerState(
        waiting=client.V1ContainerStateWaiting(reason=waiting, message="detail")
        if waiting
        else None
    )
    status = client.V1ContainerStatus(
        name="c", image="i", image_id="", ready=ready, restart_count=restarts, state=state
    )
    condition = client.V1PodCondition(type="Ready", status="True" if ready else "False")
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name="web-1", labels={manifests.COMPONENT_LABEL: "web"}),
        status=client.V1PodStatus(phase=phase, container_statuses=[status], conditions=[condition]),
    )


@pytest.mark.parametrize(
    ("waiting", "expected"),
    [
        ("ImagePullBackOff", "pod web-1: ImagePullBackOff, the image cannot be pulled: detail"),
        ("ErrImagePull", "pod web-1: ErrImagePull, the image cannot be pulled"),
        ("CrashLoopBackOff", "pod web-1: CrashLoopBackOff, the container keeps crashing"),
        ("CreateContainerConfigError", "the container's configuration is broken"),
        ("ContainerCreating", ""),
    ],
)
def test_hopeless_pod_states_are_named(waiting: str, expected: str) -> None:
    from pytest_stonks_sandbox._backends.kubernetes.cluster import hopeless

    problem = hopeless(_pod("Pending", waiting))
    assert (problem == "") if not expected else (expected in problem)


def test_a_failed_pod_is_hopeless_unless_it_is_being_deleted() -> None:
    import datetime

    from pytest_stonks_sandbox._backends.kubernetes.cluster import hopeless

    failed = _pod("Failed")
    assert "pod web-1 failed" in hopeless(failed)
    # A real kubelet reports a pod Failed when the container it stops for a deletion exits
    # non-zero; that pod is on its way out, not a failure to wait for.
    failed.metadata.deletion_timestamp = datetime.datetime.now(datetime.UTC)  # type: ignore[attr-defined]
    assert hopeless(failed) == ""


def test_ready_component_and_restarts_of_a_pod() -> None:
    from pytest_stonks_sandbox._backends.kubernetes.cluster import (
        component_of,
        is_ready,
        restarts,
    )

    running = _pod("Running", ready=True, restarts=2)
    assert is_ready(running) and component_of(running) == "web" and restarts(running) == 2
    assert not is_ready(_pod("Running", ready=False))
    assert not is_ready(_pod("Pending", ready=True))


def test_a_running_pod_is_one_whose_containers_all_run_ready_or_not() -> None:
    import datetime

    from kubernetes import client

    from pytest_stonks_sandbox._backends.kubernetes.cluster import is_running

    unready = _pod("Running", ready=False)
    assert not is_running(unready)  # its container is not running yet (no state)
    running_state = client.V1ContainerState(running=client.V1ContainerStateRunning())
    unready.status.container_statuses[0].state = running_state  # type: ignore[attr-defined]
    assert is_running(unready)
    assert not is_running(_pod("Pending"))
    unready.metadata.deletion_timestamp = datetime.datetime.now(datetime.UTC)  # type: ignore[attr-defined]
    assert not is_running(unready)


@pytest.mark.parametrize(("exit_code", "expected"), [(0, True), (1, False), (None, False)])
def test_a_job_pod_has_succeeded_when_its_containers_ended_with_0(
    exit_code: int | None, expected: bool
) -> None:
    from kubernetes import client

    from pytest_stonks_sandbox._backends.kubernetes.cluster import succeeded

    pod = _pod("Running")
    if exit_code is not None:
        ended = client.V1ContainerStateTerminated(exit_code=exit_code)
        pod.status.container_statuses[0].state = client.V1ContainerState(terminated=ended)  # type: ignore[attr-defined]
    assert succeeded(pod) is expected
