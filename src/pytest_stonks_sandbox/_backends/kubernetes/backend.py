"""The Kubernetes backend: an ephemeral namespace per run, reached through port-forwards.

start: namespace (labelled with the run id) -> generated Secrets/ConfigMap -> k8s/sandbox
manifests -> one loopback port-forward per component (cluster DNS instead when pytest runs
in-cluster) -> in parallel, per component: its pod is Ready (a watch's events, not polling),
then it answers its own protocol through its forward (checked every few milliseconds); and the
bucket Job has completed. stop: delete the namespace and wait.
"""

from __future__ import annotations

import functools
import socket
import struct
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from pytest_stonks_sandbox._backends.base import FAULT_ACTIONS
from pytest_stonks_sandbox._backends.evidence import EvidenceFile, json_file
from pytest_stonks_sandbox._backends.kubernetes import api, manifests
from pytest_stonks_sandbox._backends.kubernetes.cluster import (
    Namespace,
    component_of,
    has_ended,
    hopeless,
    is_ready,
    restarts,
    succeeded,
)
from pytest_stonks_sandbox._backends.kubernetes.evidence import namespace_evidence
from pytest_stonks_sandbox._backends.kubernetes.podmemory import PodMemoryProbe
from pytest_stonks_sandbox._backends.kubernetes.podwatch import PodWatch
from pytest_stonks_sandbox._backends.kubernetes.portforward import (
    SPARE_MAX_AGE_S,
    PortForward,
    Unavailable,
)
from pytest_stonks_sandbox._backends.kubernetes.sweep import (
    KEPT_ANNOTATION,
    owner,
    sweep_namespaces,
)
from pytest_stonks_sandbox._backends.parallel import Workers
from pytest_stonks_sandbox._backends.probes import http_status, redis_ping
from pytest_stonks_sandbox._core.errors import ComponentCrashed, ReadinessError
from pytest_stonks_sandbox._core.model import Endpoints
from pytest_stonks_sandbox._measure.memory import MemoryMeasure
from pytest_stonks_sandbox._seeding import seeder as seeding
from pytest_stonks_sandbox._settings.project import ProjectConfig

ALIVE_CHECK_INTERVAL_S = 2.0
# A component's answer is checked this often at first, then less often up to PROBE_MAX_S.
PROBE_PAUSE_S = 0.01
PROBE_MAX_S = 0.05
JOB_PAUSE_S = 0.05
POSTGRES_SSL_REQUEST = struct.pack("!ii", 8, 80877103)
# A replaced pod starts with empty volumes (emptyDir): these need the seed again.
SEEDED_COMPONENTS = ("postgres", "s3")


def answers(component: str, address: str, endpoints: Endpoints, project: ProjectConfig) -> bool:
    """True when the component speaks its own protocol at `address` (host:port)."""
    host, _, port_text = address.rpartition(":")
    port = int(port_text)
    try:
        if component == "postgres":
            with socket.create_connection((host, port), timeout=2) as sock:
                sock.sendall(POSTGRES_SSL_REQUEST)
                return sock.recv(1) in (b"S", b"N")
        if component == "redis":
            password = urlsplit(endpoints.redis_url).password or ""
            return redis_ping(host, port, password, timeout_s=2)
        if component == "s3":
            return http_status(host, port, "/", timeout_s=2) > 0
        return http_status(host, port, project.service(component).ready, timeout_s=2) == 200
    except OSError:
        return False


class KubernetesBackend:
    """PostgreSQL 16, Redis 7, MinIO and the services as pods in `stonks-inttest-{run_id}`."""

    name = "kubernetes"

    def __init__(
        self,
        project: ProjectConfig,
        run_id: str,
        namespace: str,
        image_tag: str,
        timeout_s: float,
        image_registry: str = "",
        existing_namespace: bool = False,
    ) -> None:
        self.project = project
        # Deploy into a namespace made beforehand; teardown removes only what this run made.
        self.existing_namespace = existing_namespace
        self.run_id = run_id
        self.namespace = namespace
        self.image_tag = image_tag
        self.image_registry = image_registry
        self.timeout_s = timeout_s
        self.components = manifests.components(project)
        self.ns: Namespace | None = None
        self.pods: PodWatch | None = None
        self.forwards: dict[str, PortForward] = {}
        # host:port at which this run reaches each component (a forward, or cluster DNS).
        self.addresses: dict[str, str] = {}
        self.endpoints: Endpoints | None = None
        self.probe: PodMemoryProbe | None = None
        self.credentials: manifests.Credentials | None = None
        self._ready: dict[str, float] = {}
        self._restarts: dict[str, int] = {}
        self._stopped: set[str] = set()  # a fault is replacing or has stopped them
        self._scaled_down: set[str] = set()  # stopped by a fault: not forwarded to
        self._last_alive_check = 0.0
        self._kept = False
        self._start_evidence: list[EvidenceFile] | None = None
        self._late_evidence: list[EvidenceFile] = []
        self._counted: dict[str, dict[str, Any]] = {}
        self.swept: list[str] = []
        self.run_dir = ""
        self.workers = Workers()

    # ------------------------------------------------------------------ start

    def start(self) -> Endpoints:
        self.credentials = credentials = manifests.Credentials.generate(self.project.database)
        # Render everything first: a broken manifest is reported before anything is created.
        workload = manifests.workload(
            self.project,
            self.namespace,
            self.run_id,
            self.image_tag,
            credentials,
            registry=self.image_registry,
        )
        settings = manifests.settings(self.project, credentials, self.namespace)
        self.ns = Namespace(api.api_client(), self.namespace)
        try:
            if not self.existing_namespace:  # listing namespaces is a cluster-wide permission
                self.swept = sweep_namespaces(self.ns.api_client)
            return self._start(credentials, settings, workload)
        except BaseException as exc:
            interrupted = isinstance(exc, KeyboardInterrupt)
            if not interrupted:  # an interrupt ends the run at once: no evidence to read
                self._start_evidence = self.evidence()  # the pods go with the namespace
            self.stop(wait=not interrupted)
            raise

    def _start(
        self,
        credentials: manifests.Credentials,
        settings: list[dict[str, Any]],
        workload: list[dict[str, Any]],
    ) -> Endpoints:
        ns = self._namespace()
        started = time.monotonic()
        if self.existing_namespace:
            ns.adopt()
        else:
            ns.create(manifests.namespace_object(self.namespace, self.run_id, owner()))
        ns.apply(settings)
        ns.apply(workload)
        pods = self._watch_pods()
        self.endpoints = self._connect(credentials)

        def bring_up(component: str) -> None:
            pods.wait(
                [component],
                max(started + self.timeout_s - time.monotonic(), 0.0),
                done=lambda found: {component: any(map(is_ready, found[component]))},
                check=self.workers.check,
            )
            self._await_answer(component, started)

        self.workers.run(
            [
                *(functools.partial(bring_up, name) for name in self.components),
                functools.partial(self._await_job, manifests.BUCKET_JOB, started),
            ]
        )
        self._reset_counters()
        self.probe = PodMemoryProbe(ns)
        self._restarts = self._restart_counts(ns.pods())
        return self.endpoints

    def _reset_counters(self) -> None:
        """The run counts from here on, not the start's own readiness probes."""
        for forward in self.forwards.values():
            forward.reset_counters()

    def _watch_pods(self) -> PodWatch:
        self.pods = PodWatch(self._namespace(), on_gone=self._pod_gone).start()
        return self.pods

    def _pod_gone(self, component: str, pod: str) -> None:
        forward = self.forwards.get(component)
        if forward is not None:
            forward.pod_gone(pod)

    def _connect(self, credentials: manifests.Credentials) -> Endpoints:
        """Endpoints through loopback port-forwards, or cluster DNS when running in a pod."""
        if api.in_cluster():
            self.addresses = manifests.cluster_addresses(self.project, self.namespace)
        else:
            ns = self._namespace()
            open_stream = api.open_portforward(ns.api_client.configuration, self.namespace)
            for component, port in self.components.items():
                forward = PortForward(
                    component,
                    port,
                    functools.partial(self._pod_for, component),
                    open_stream,
                    spare_max_age_s=SPARE_MAX_AGE_S,
                )
                forward.start()
                self.forwards[component] = forward
            self.addresses = {name: forward.address for name, forward in self.forwards.items()}
        return manifests.endpoints_for(credentials, self.addresses, self.project)

    def _pod_for(self, component: str, timeout_s: float) -> str:
        if component in self._scaled_down:
            raise Unavailable(component)
        pods = self.pods
        pod = pods.await_serving_pod(component, timeout_s) if pods is not None else ""
        if not pod:
            raise ReadinessError(component, "has no running pod that has been Ready to forward to.")
        return pod

    def _await_answers(self, started: float, components: list[str] | None = None) -> None:
        """Every component answers its protocol through its forward (in parallel, bounded)."""
        names = components or list(self.components)
        self.workers.run([functools.partial(self._await_answer, name, started) for name in names])

    def _await_answer(self, component: str, started: float) -> None:
        """The component answers its own protocol at its address (checked every few ms)."""
        deadline = started + self.timeout_s
        endpoints = self._require_endpoints()
        address = self.addresses[component]
        pause = PROBE_PAUSE_S
        while not answers(component, address, endpoints, self.project):
            if time.monotonic() > deadline:
                forward = self.forwards.get(component)
                why = ""
                if forward is not None and forward.last_error:
                    why = f" (last port-forward error: {forward.last_error})"
                raise ReadinessError(
                    component,
                    f"its pod is Ready but it does not answer at {address}{why}.",
                    f"its last log lines: {self._namespace().logs(component) or 'none'}",
                )
            self.workers.sleep(pause)
            pause = min(pause * 1.5, PROBE_MAX_S)
        self._ready[component] = round(time.monotonic() - started, 4)

    def _await_job(self, name: str, started: float) -> None:
        """The Job has completed, or its pod (labelled with the Job's name, so in the pod
        watch) shows its containers ended with 0, a second or two before the Job says so."""
        ns, pods = self._namespace(), self._require_pods()
        while not (any(map(succeeded, pods.by_component([name])[name])) or ns.job_complete(name)):
            if time.monotonic() > started + self.timeout_s:
                raise ReadinessError(
                    f"job {name}",
                    f"has not completed after {self.timeout_s:.0f} s.",
                    f"kubectl -n {self.namespace} logs job/{name}",
                )
            self.workers.sleep(JOB_PAUSE_S)
        self._ready[name] = round(time.monotonic() - started, 4)

    # ------------------------------------------------------------------ stop / keep

    def stop(self, wait: bool = True) -> None:
        """Close the forwards and delete the namespace (`wait`: until it is gone)."""
        self.workers.halt()
        if self.pods is not None:
            self.pods.stop()
            self.pods = None
        self.forward_counters()  # what they counted outlives them
        for forward in self.forwards.values():
            forward.stop()
        self.forwards = {}
        ns, self.ns = self.ns, None
        if ns is None:
            return
        try:
            if ns.applied and not self._kept and self.existing_namespace:
                ns.delete_applied(self.run_id, max(self.timeout_s, 60.0), wait)
            elif ns.created and not self._kept:
                ns.delete(max(self.timeout_s, 60.0), wait)
        finally:
            if ns.blocking is not None:
                path = "kubernetes/namespace-deletion.json"
                self._late_evidence.append(json_file(path, "namespace", ns.blocking))
            ns.api_client.close()

    def keep(self) -> dict[str, Any]:
        self._kept = True
        ns = self._namespace()
        kept = {"metadata": {"annotations": {KEPT_ANNOTATION: "true"}}}
        ns.core.patch_namespace(self.namespace, kept)
        state = {
            "backend": self.name,
            "run_id": self.run_id,
            "namespace": self.namespace,
            "image_tag": self.image_tag,
            "endpoints": self.endpoints.to_dict() if self.endpoints else {},
            "credentials": self.credentials.as_env() if self.credentials else {},
        }
        self.stop()  # only this process's port-forwards: a kept namespace stays
        return state

    def attach(self, state: Mapping[str, Any]) -> Endpoints:
        """Reach a namespace kept by an earlier run: new port-forwards, nothing created."""
        self._kept = True  # stop() must leave it up: it belongs to the run that made it
        self.credentials = manifests.Credentials.from_env(state["credentials"])
        self.ns = ns = Namespace(api.api_client(), self.namespace)
        started = time.monotonic()
        try:
            ns.core.read_namespace(self.namespace)
        except api.api_exception() as exc:
            self.stop()
            raise ReadinessError(
                f"namespace {self.namespace}",
                f"of the kept sandbox {self.run_id} is not there ({api.describe(exc)}).",
                "start a new one: pytest --sandbox --sandbox-backend=kubernetes --keep always",
            ) from exc
        try:
            self._watch_pods()
            self.endpoints = self._connect(self.credentials)
            self._await_answers(started)
        except BaseException:
            self.stop()
            raise
        self._reset_counters()
        self.probe = PodMemoryProbe(ns)
        return self.endpoints

    # ------------------------------------------------------------------ observation

    def readiness(self) -> Mapping[str, float]:
        return dict(self._ready)

    def forward_counters(self) -> dict[str, dict[str, Any]]:
        """Per component, its port-forward's counters (kept after stop() closed them)."""
        if self.forwards:
            self._counted = {name: f.counters() for name, f in self.forwards.items()}
        return dict(self._counted)

    def memory(self) -> Mapping[str, int]:
        return self.probe() if self.probe is not None else {}

    def memory_measures(self) -> Mapping[str, MemoryMeasure]:
        return self.probe.measures() if self.probe is not None else {}

    def _restart_counts(self, pods: list[Any]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for pod in pods:
            component = component_of(pod)
            if component in self.components:
                counts[component] = counts.get(component, 0) + restarts(pod)
        return counts

    def check_alive(self) -> None:
        """A component whose container restarted or cannot run (not by a fault) has crashed."""
        now = time.monotonic()
        if self.ns is None or now - self._last_alive_check < ALIVE_CHECK_INTERVAL_S:
            return
        self._last_alive_check = now
        pods = self.ns.pods()
        for pod in pods:
            component = component_of(pod)
            if component not in self.components or component in self._stopped:
                continue
            problem = hopeless(pod)
            if problem:
                raise ComponentCrashed(component, problem + ".", self._crash_hint(component))
        for component, count in self._restart_counts(pods).items():
            if component not in self._stopped and count > self._restarts.get(component, 0):
                raise ComponentCrashed(
                    component,
                    f"its container restarted during the run ({count} restart(s)).",
                    self._crash_hint(component),
                )

    def _crash_hint(self, component: str) -> str:
        logs = self._namespace().logs(component, previous=True)
        return f"its last log lines: {logs}" if logs else f"kubectl -n {self.namespace} logs"

    # ------------------------------------------------------------------ faults

    def fault(self, action: str, component: str) -> None:
        if component not in self.components or action not in FAULT_ACTIONS:
            raise ValueError(
                f"cannot {action!r} {component!r}: actions are {', '.join(FAULT_ACTIONS)}, "
                f"components are {', '.join(self.components)}"
            )
        ns = self._namespace()
        pods = self._require_pods()
        started = time.monotonic()
        old: set[str] = set()
        forward = self.forwards.get(component)
        if action == "stop":
            self._stopped.add(component)
            self._scaled_down.add(component)
            ns.scale(component, 0)
            pods.wait(
                [component],
                self.timeout_s,
                done=lambda found: {component: all(map(has_ended, found[component]))},
            )
            if forward is not None:
                forward.drop_connections()
            return
        if action == "start":
            self._scaled_down.discard(component)
            ns.scale(component, 1)
        else:
            self._stopped.add(component)
            old = set(ns.delete_pods(component))
            if forward is not None:
                forward.drop_connections()
        pods.wait(
            [component],
            self.timeout_s,
            done=lambda found: {
                component: any(is_ready(p) and p.metadata.name not in old for p in found[component])
            },
        )
        self._await_answers(started, [component])
        if component in SEEDED_COMPONENTS:
            # The new pod's emptyDir is empty: load the schema, the rows and the objects again.
            seeding.seed(self._require_endpoints(), self.project)
        self._stopped.discard(component)
        self._restarts = self._restart_counts(ns.pods())

    def secrets(self) -> list[str]:
        return self.credentials.secrets() if self.credentials else []

    def evidence(self) -> list[EvidenceFile]:
        if self._start_evidence is not None:
            return [*self._start_evidence, *self._late_evidence]
        if self.ns is None or (not self.ns.created and not self.ns.applied and not self._kept):
            return list(self._late_evidence)
        return [*namespace_evidence(self.ns), *self._late_evidence]

    # ------------------------------------------------------------------ helpers

    def _namespace(self) -> Namespace:
        if self.ns is None:
            raise RuntimeError("the kubernetes sandbox is not started")
        return self.ns

    def _require_pods(self) -> PodWatch:
        if self.pods is None:
            raise RuntimeError("the kubernetes sandbox is not started")
        return self.pods

    def _require_endpoints(self) -> Endpoints:
        if self.endpoints is None:
            raise RuntimeError("the kubernetes sandbox has no endpoints yet")
        return self.endpoints
