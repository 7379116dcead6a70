"""A "local kubelet" for the kwok cluster: the sandbox pods of one namespace run as real processes.

kwok fakes the kubelet, so a pod of ``k8s/sandbox/*.yaml`` runs nothing. ``LocalKubelet`` watches
the pods of a namespace and, for every pod of a sandbox component, starts the real server on
127.0.0.1 with the plugin's own process classes and the pod's environment (resolved from its
Secrets and ConfigMaps like a kubelet), then points kwok's port-forward for that pod at it. A
deleted pod's process is stopped; its replacement gets a fresh one (emptyDir semantics).

kwok objects (``kwok.x-k8s.io/v1alpha1``) are all cluster-scoped: ``scripts/kwok-cluster.sh``
serves only ClusterPortForward and ClusterResourceUsage (plus ClusterExec where enabled) as CRDs;
the namespaced PortForward/Exec/ResourceUsage kinds are not served. Per pod, a selector on the
pod's namespace and name makes them exactly as specific:

- ClusterPortForward per pod: the pod's container ports -> 127.0.0.1:<port of its process>;
- ClusterResourceUsage per pod, from ``set_memory``;
- ClusterExec per namespace, only if the cluster serves the kind (``exec_supported``);
- ClusterLogs per pod, if the cluster serves the kind (``logs_supported``): kwok answers the
  API's pod log requests from a file in the CRI log format, which a pump thread writes from
  the process's own log (every line, as ``<RFC 3339 time> stdout F <line>``), as a container
  runtime would.

Every object carries the label ``stonks-sandbox/local-kubelet=<namespace>``. A component keeps
one loopback port across pod restarts, the way a Service keeps its ClusterIP, so the cluster
addresses rewritten into a service's environment still reach a restarted dependency. One running
pod per component is supported (the sandbox Deployments have one replica).
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import contextlib
import dataclasses
import functools
import hashlib
import itertools
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
from kubernetes import client, utils, watch
from kubernetes.client.exceptions import ApiException
from kubernetes.stream import portforward

from pytest_stonks_sandbox._backends.kubernetes.api import close_stream
from pytest_stonks_sandbox._backends.local import binaries
from pytest_stonks_sandbox._backends.local.freeports import LOOPBACK, free_ports
from pytest_stonks_sandbox._backends.local.postgres import ADMIN_USER, PostgresServer
from pytest_stonks_sandbox._backends.local.process import ManagedProcess
from pytest_stonks_sandbox._backends.local.rundir import RunDir, sweep
from pytest_stonks_sandbox._backends.local.servers import WEED_PORT_FLAGS, RedisServer, S3Server
from pytest_stonks_sandbox._backends.local.service import ServiceProcess
from pytest_stonks_sandbox._core.s3 import s3_client
from pytest_stonks_sandbox._settings.project import INFRA_COMPONENTS, load_project

from .apiobjects import (
    json_object,
    list_version_of,
    metadata_of,
    name_of,
    present,
    spec_of,
    status_of,
    uid_of,
)

log = logging.getLogger("localkubelet")

REPO = Path(__file__).resolve().parents[2]
KWOK_GROUP, KWOK_VERSION = "kwok.x-k8s.io", "v1alpha1"
NAME_LABEL = "app.kubernetes.io/name"
PART_OF_SELECTOR = "app.kubernetes.io/part-of=stonks-sandbox"
OWNER_LABEL = "stonks-sandbox/local-kubelet"
# Held on every pod whose process we run, and taken off once that process has stopped: as with a
# real kubelet, a deleted pod leaves the API only after its container is gone (kwok deletes a
# terminating pod only once it has no finalizers).
FINALIZER = "stonks-sandbox/local-process"
SETTINGS_CONFIGMAP = "stonks-sandbox-settings"
FORWARDS, USAGES, EXECS = "clusterportforwards", "clusterresourceusages", "clusterexecs"
LOGS = "clusterlogs"
KINDS = {
    FORWARDS: "ClusterPortForward", USAGES: "ClusterResourceUsage", EXECS: "ClusterExec",
    LOGS: "ClusterLogs",
}  # fmt: skip
CRI_LOG = "container.cri.log"  # in the pod's run directory
PUMP_S = 0.02  # a container runtime copies output at once: lag as little as that
WATCH_S = 2  # server-side watch timeout: also how long stop() may wait for the watch thread
JOIN_S = 10.0  # how long stop() waits for start threads once their processes are killed
API_TIMEOUT_S = 15.0
POLL_S = 0.1

# First bytes that make each server answer something: proof a port-forward reaches the process.
HELLO = {
    "postgres": b"\x00\x00\x00\x08\x04\xd2\x16\x2f",  # SSLRequest: the server answers N or S
    "redis": b"PING\r\n",  # -NOAUTH ...
}
HTTP_HELLO = b"HEAD / HTTP/1.0\r\n\r\n"

# <svc>:<port>, <svc>.<ns>:<port>, <svc>.<ns>.svc:<port>, <svc>.<ns>.svc.cluster.local:<port>
HOST_PORT = re.compile(
    r"(?<![\w.-])(?P<svc>[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)"
    r"(?P<suffix>(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*):(?P<port>\d{1,5})(?![\w@])"
)
VAR_REF = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


class _Aborted(Exception):
    """The pod was released (deleted, or the kubelet stops) while it was being started."""


@dataclasses.dataclass(eq=False)
class _Pod:
    """One pod this kubelet runs, from its first event until its process is gone."""

    seq: int
    pod: client.V1Pod
    component: str
    port: int
    run: RunDir
    process: ManagedProcess | None = None
    pumped: int = 0  # bytes of the process's log copied into its CRI log
    state: str = "starting"  # starting -> running | failed; released once deleted
    error: str = ""
    released: bool = False
    stopped: threading.Event = dataclasses.field(default_factory=threading.Event)

    @property
    def name(self) -> str:
        return name_of(self.pod)

    @property
    def uid(self) -> str:
        return uid_of(self.pod)

    @property
    def container_ports(self) -> list[int]:
        return [p.container_port for c in spec_of(self.pod).containers for p in c.ports or []]


class LocalKubelet:
    """Run the sandbox pods of ``namespace`` as local processes behind kwok's port-forwards.

    Use as a context manager (or ``start()``/``stop()``). ``workdir`` holds one run directory per
    pod; when running as root it must be traversable by uid 65534 (PostgreSQL runs as that user),
    e.g. a directory under ``pytest_stonks_sandbox._backends.local.rundir.base_dir``.
    """

    def __init__(
        self,
        api_client: client.ApiClient,
        namespace: str,
        workdir: Path,
        *,
        project_root: Path = REPO,
        timeout_s: float = 60.0,
    ) -> None:
        self.namespace = namespace
        self.workdir = Path(workdir)
        self.timeout_s = timeout_s
        self.project = load_project(project_root)
        # Clients of our own: kubernetes.stream swaps ``call_api`` of the ApiClient it is given
        # for the duration of a call, so a stream on a client shared between threads can send
        # another thread's request down a websocket. Streams get their own client and a lock.
        self._api = client.ApiClient(api_client.configuration)
        self._stream_api = client.ApiClient(api_client.configuration)
        self._stream_lock = threading.Lock()
        self.core = client.CoreV1Api(self._api)
        self.custom = client.CustomObjectsApi(self._api)
        self.exec_supported = False
        self.logs_supported = False
        self._pump: threading.Thread | None = None
        self.errors: list[str] = []
        # Component -> time.monotonic() at which its newest pod's process answered through
        # kwok's port-forward: when a real kubelet would have reported the pod Ready.
        self.ready_at: dict[str, float] = {}
        self._kinds: set[str] = set()
        self._pods: dict[str, _Pod] = {}
        self._ports: dict[str, int] = {}
        self._memory: dict[str, str] = {}
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._stopped = False
        self._watcher: threading.Thread | None = None
        self._threads: list[threading.Thread] = []

    # --- lifecycle ----------------------------------------------------------------------------
    def __enter__(self) -> LocalKubelet:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> LocalKubelet:
        """Check the cluster's kwok kinds, create the namespace's ClusterExec, start watching."""
        if self._watcher is not None:
            return self
        self._check_workdir()
        self.workdir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.workdir, 0o755)
        sweep(self.workdir)  # processes of an earlier kubelet killed with -9
        resources = self.custom.get_api_resources(KWOK_GROUP, KWOK_VERSION)
        self._kinds = {r.name for r in resources.resources} & set(KINDS)
        if FORWARDS not in self._kinds:
            raise RuntimeError(
                f"the cluster serves no {KWOK_GROUP} {KINDS[FORWARDS]}: enable that CRD in kwok"
            )
        atexit.register(self.stop)
        try:
            self._sweep_kwok_objects()
            if EXECS in self._kinds:
                # No workDir/envs: a command runs as kwok runs, on this machine.
                self._apply(EXECS, f"localkubelet.{self.namespace}", {"execs": [{"local": {}}]})
                self.exec_supported = True
            self.logs_supported = LOGS in self._kinds
            self._watcher = threading.Thread(
                target=self._watch, name=f"localkubelet-{self.namespace}", daemon=True
            )
            self._watcher.start()
            if self.logs_supported:
                self._pump = threading.Thread(
                    target=self._pump_logs, name=f"localkubelet-logs-{self.namespace}", daemon=True
                )
                self._pump.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every process (in parallel), delete every kwok object made; idempotent. An
        interrupted stop is finished by the next call, at the latest at interpreter exit."""
        if self._stopped:
            return
        self._stopping.set()
        with self._cond:
            entries = list(self._pods.values())
            for entry in entries:
                entry.released = True
            self._cond.notify_all()
        try:
            with ThreadPoolExecutor(max(len(entries), 1)) as pool:
                list(pool.map(self._stop_process, entries))
        finally:
            # A start thread may still be in a plugin call against its killed process: wait a
            # bounded time (after the release it can spawn nothing and create no kwok object).
            deadline = time.monotonic() + JOIN_S
            for thread in self._threads:
                thread.join(timeout=max(deadline - time.monotonic(), 0))
            for entry in entries:  # anything a start thread got to before it saw the release
                self._stop_process(entry)
                entry.run.kill_recorded_processes()
                entry.run.remove()
                entry.stopped.set()
                with contextlib.suppress(ApiException):
                    self._let_go(entry)
            for plural in self._kinds:
                with contextlib.suppress(ApiException):
                    self.custom.delete_collection_cluster_custom_object(
                        KWOK_GROUP,
                        KWOK_VERSION,
                        plural,
                        label_selector=f"{OWNER_LABEL}={self.namespace}",
                        _request_timeout=API_TIMEOUT_S,
                    )
            if self._watcher is not None:
                self._watcher.join(timeout=WATCH_S + API_TIMEOUT_S)
            if self._pump is not None:
                self._pump.join(timeout=WATCH_S)
            self._api.close()
            self._stream_api.close()
        self._stopped = True
        atexit.unregister(self.stop)

    # --- what a test asks ---------------------------------------------------------------------
    def wait_running(self, components: Iterable[str], timeout: float = 60.0) -> dict[str, int]:
        """Wait until each component has a running pod; return their pids. Fails fast on a
        pod that failed to start, with its error."""
        wanted = list(components)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if self._stopping.is_set():
                    raise RuntimeError("the local kubelet is stopped")
                current = {c: self._current(c) for c in wanted}
                failed = [e.error for e in current.values() if e and e.state == "failed"]
                if failed:
                    raise RuntimeError("; ".join(failed))
                if all(e and e.state == "running" for e in current.values()):
                    return self._pids(current)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    states = {c: e.state if e else "no pod" for c, e in current.items()}
                    raise TimeoutError(
                        f"components not running after {timeout:.0f} s in namespace "
                        f"{self.namespace}: {states}"
                    )
                self._cond.wait(min(remaining, 0.5))

    def processes(self) -> dict[str, int]:
        """Component -> pid of its current pod's process, from spawn on (``wait_running`` waits
        for readiness); a deleted pod's process is gone from here at once."""
        with self._cond:
            return self._pids({c: self._current(c) for c in self._ports})

    def process_tree(self, component: str) -> list[int]:
        """Every pid of the component's current pod (the S3 store is four processes)."""
        with self._cond:
            entry = self._current(component)
            return list(entry.process.pids) if entry and entry.process else []

    def local_port(self, component: str) -> int:
        """The loopback port the component's process listens on (stable across restarts)."""
        with self._cond:
            try:
                return self._ports[component]
            except KeyError:
                raise KeyError(f"no pod of {component!r} seen in {self.namespace}") from None

    def set_memory(self, component: str, quantity: str | None) -> None:
        """Make kwok report ``quantity`` (e.g. "96Mi") as memory of every container of the
        component's pods, now and for replacements. Without it (or after None) kwok reports no
        usage and metrics-server leaves the pod out of the metrics API: the backend's exec
        fallback. A new value shows in the API after one or two 15 s scrapes (~35-55 s)."""
        if USAGES not in self._kinds:
            raise RuntimeError(f"the cluster serves no {KWOK_GROUP} {KINDS[USAGES]}")
        if quantity is not None:
            utils.parse_quantity(quantity)  # a bad quantity fails here, not in kwok's log
        with self._cond:
            if quantity is None:
                self._memory.pop(component, None)
            else:
                self._memory[component] = quantity
            entries = [
                e for e in self._pods.values() if e.component == component and e.state == "running"
            ]
        for entry in entries:
            self._apply_memory(entry, quantity)

    # --- the watch ----------------------------------------------------------------------------
    def _watch(self) -> None:
        """List, then watch from the list's resourceVersion; relist after 410 or an error."""
        while not self._stopping.is_set():
            try:
                listing = self.core.list_namespaced_pod(
                    self.namespace,
                    label_selector=PART_OF_SELECTOR,
                    _request_timeout=API_TIMEOUT_S,
                )
                self._sync(listing.items)
                version = list_version_of(listing)
                while not self._stopping.is_set():
                    version = self._watch_once(version)
            except ApiException as exc:
                if exc.status != 410:  # 410 Gone: our resourceVersion is too old; list again
                    log.warning(
                        "watching pods of %s: %s %s", self.namespace, exc.status, exc.reason
                    )
                    self._stopping.wait(1)
            except Exception as exc:  # connection reset, timeouts: list again after a pause
                log.warning("watching pods of %s: %r", self.namespace, exc)
                self._stopping.wait(1)

    def _watch_once(self, version: str) -> str:
        stream = watch.Watch()
        try:
            for event in stream.stream(
                self.core.list_namespaced_pod,
                self.namespace,
                label_selector=PART_OF_SELECTOR,
                resource_version=version,
                allow_watch_bookmarks=True,
                timeout_seconds=WATCH_S,
                _request_timeout=WATCH_S + API_TIMEOUT_S,
            ):
                pod = event["object"]
                version = pod.metadata.resource_version or version
                if self._stopping.is_set():
                    break
                if event["type"] == "DELETED":
                    self._release(uid_of(pod))
                elif event["type"] in ("ADDED", "MODIFIED"):
                    self._on_pod(pod)
        finally:
            stream.stop()
        return version

    def _sync(self, pods: list[client.V1Pod]) -> None:
        seen = {uid_of(pod) for pod in pods}
        with self._cond:
            gone = [uid for uid in self._pods if uid not in seen]
        for uid in gone:
            self._release(uid)
        for pod in pods:
            self._on_pod(pod)

    def _on_pod(self, pod: client.V1Pod) -> None:
        if metadata_of(pod).deletion_timestamp is not None or status_of(pod).phase in (
            "Succeeded",
            "Failed",
        ):
            self._release(uid_of(pod))
            return
        component = self._component(pod)
        if component is None:
            return
        with self._cond:
            if self._stopping.is_set() or uid_of(pod) in self._pods:
                return
            run = RunDir(self.workdir / f"{name_of(pod)}-{uid_of(pod)[:8]}")
            entry = _Pod(next(self._seq), pod, component, self._port(component), run)
            self._pods[entry.uid] = entry
            self._thread(self._run_pod, entry, "start")
        log.info("pod %s/%s (%s): starting", self.namespace, entry.name, component)

    def _component(self, pod: client.V1Pod) -> str | None:
        """The sandbox component a pod runs, or None (Job pods, unknown names)."""
        if any(ref.kind == "Job" for ref in metadata_of(pod).owner_references or []):
            return None
        name = (metadata_of(pod).labels or {}).get(NAME_LABEL)
        services = {spec.name for spec in self.project.services}
        return name if name in INFRA_COMPONENTS or name in services else None

    def _release(self, uid: str) -> None:
        with self._cond:
            entry = self._pods.get(uid)
            if entry is None or entry.released:
                return
            entry.released = True
            self._cond.notify_all()
        log.info("pod %s/%s (%s): released", self.namespace, entry.name, entry.component)
        with self._cond:
            if not self._stopping.is_set():  # else stop() stops it
                self._thread(self._stop_pod, entry, "stop")

    def _thread(self, target: Callable[[_Pod], None], entry: _Pod, what: str) -> None:
        """Run ``target(entry)`` in a daemon thread that stop() joins for a bounded time."""
        thread = threading.Thread(
            target=target, args=(entry,), name=f"localkubelet-{what}-{entry.name}", daemon=True
        )
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    # --- one pod ------------------------------------------------------------------------------
    def _run_pod(self, entry: _Pod) -> None:
        """Start the pod's process once its predecessor is gone and its dependencies run, then
        point kwok's port-forward at it and check the forward end to end."""
        started = time.monotonic()
        deadline = started + self.timeout_s
        try:
            self._hold(entry)
            self._wait(
                entry,
                deadline,
                lambda: all(
                    o.stopped.is_set()
                    for o in self._pods.values()
                    if o.component == entry.component and o.seq < entry.seq
                ),
                f"the previous {entry.component} pod to stop (one pod per component runs)",
            )
            env = self._retry(entry, deadline, lambda: self._resolve_env(entry.pod))
            env = self._rewrite_addresses(entry, env, deadline)
            entry.run.create("localkubelet")
            (entry.run.path / CRI_LOG).touch(mode=0o600)
            process = self._make_process(entry, env)
            process.prepare()
            with self._cond:
                if entry.released:
                    raise _Aborted
                process.spawn()
                entry.process = process
            process.wait_ready(started)
            process.after_ready()
            if isinstance(process, PostgresServer):
                asyncio.run(_ensure_role(process, env))  # this worker thread has no loop
            if isinstance(process, S3Server):
                self._create_buckets(entry, process, deadline)
            with self._cond:
                if entry.released:  # stop() may already have deleted our kwok objects
                    raise _Aborted
            self._apply(FORWARDS, self._object_name(entry), self._forward_spec(entry))
            if self.logs_supported:
                logs = [{"logsFile": str(entry.run.path / CRI_LOG)}]  # every container
                self._apply(LOGS, self._object_name(entry), {"selector": self._selector(entry),
                                                              "logs": logs})  # fmt: skip
            self._probe_forward(entry, deadline)
            with self._cond:
                if entry.released:
                    raise _Aborted
                entry.state = "running"
                self.ready_at[entry.component] = time.monotonic()
                memory = self._memory.get(entry.component)  # set_memory sees "running" from now
                self._cond.notify_all()
            if memory is not None:
                self._apply_memory(entry, memory)
            log.info(
                "pod %s/%s (%s): running as pid %s on %s:%d after %.1f s",
                self.namespace, entry.name, entry.component, process.pid, LOOPBACK,
                entry.port, time.monotonic() - started,
            )  # fmt: skip
        except _Aborted:
            self._stop_process(entry)
        except Exception as exc:
            self._stop_process(entry)
            message = f"pod {self.namespace}/{entry.name} ({entry.component}): {exc}"
            with self._cond:
                if entry.released:  # killed on purpose: its start failing is no news
                    return
                entry.state, entry.error = "failed", message
                self.errors.append(message)
                self._cond.notify_all()
            log.error("%s", message)

    def _stop_pod(self, entry: _Pod) -> None:
        try:
            self._stop_process(entry)
            self._let_go(entry)
            name = self._object_name(entry)
            for plural in (FORWARDS, USAGES, LOGS):
                if plural in self._kinds:
                    self._delete(plural, name)
            entry.run.remove()
        except Exception as exc:
            log.error("pod %s/%s: stopping failed: %r", self.namespace, entry.name, exc)
        finally:
            entry.stopped.set()
            with self._cond:
                self._cond.notify_all()

    def _hold(self, entry: _Pod) -> None:
        """Put our finalizer on the pod: its deletion now waits for its process to stop."""
        finalizers = metadata_of(entry.pod).finalizers or []
        if FINALIZER in finalizers:
            return
        patch = (
            [{"op": "add", "path": "/metadata/finalizers/-", "value": FINALIZER}]
            if finalizers
            else [{"op": "add", "path": "/metadata/finalizers", "value": [FINALIZER]}]
        )
        self.core.patch_namespaced_pod(
            entry.name, self.namespace, patch, _request_timeout=API_TIMEOUT_S
        )

    def _let_go(self, entry: _Pod) -> None:
        """Take our finalizer off the pod (its process has stopped); gone already is fine."""
        for _ in range(5):
            try:
                pod = self.core.read_namespaced_pod(
                    entry.name, self.namespace, _request_timeout=API_TIMEOUT_S
                )
            except ApiException as exc:
                if exc.status == 404:
                    return
                raise
            if uid_of(pod) != entry.uid:  # a new pod of the same name
                return
            finalizers = metadata_of(pod).finalizers or []
            if FINALIZER not in finalizers:
                return
            index = finalizers.index(FINALIZER)
            patch = [
                {"op": "test", "path": f"/metadata/finalizers/{index}", "value": FINALIZER},
                {"op": "remove", "path": f"/metadata/finalizers/{index}"},
            ]
            try:
                self.core.patch_namespaced_pod(
                    entry.name, self.namespace, patch, _request_timeout=API_TIMEOUT_S
                )
                return
            except ApiException as exc:
                if exc.status == 404:
                    return
                if exc.status not in (409, 422):  # another change came first: read again
                    raise
        raise RuntimeError(f"could not take finalizer {FINALIZER} off pod {entry.name}")

    def _stop_process(self, entry: _Pod) -> None:
        """Stop the pod's process once (a second stop could signal a reused pid)."""
        with self._cond:
            process, entry.process = entry.process, None
        if process is not None:
            process.stop()

    def _make_process(self, entry: _Pod, env: Mapping[str, str]) -> ManagedProcess:
        bins, run, timeout = self.project.binaries, entry.run, self.timeout_s
        if entry.component == "postgres":
            user = env.get("POSTGRES_USER") or "postgres"
            return PostgresServer(
                run, timeout, binaries.postgres_bin_dir(bins), entry.port,
                _required(env, "POSTGRES_PASSWORD"), env.get("POSTGRES_DB") or user,
            )  # fmt: skip
        if entry.component == "redis":
            password = _required(env, "REDIS_PASSWORD")
            return RedisServer(run, timeout, binaries.redis_server(bins), entry.port, password)
        if entry.component == "s3":
            ports = dict(zip(WEED_PORT_FLAGS, self._spare_ports(len(WEED_PORT_FLAGS)), strict=True))
            ports["s3.port"] = entry.port
            access = env.get("MINIO_ROOT_USER") or _required(env, "S3_ACCESS_KEY")
            secret = env.get("MINIO_ROOT_PASSWORD") or _required(env, "S3_SECRET_KEY")
            # No buckets here: _create_buckets plays the s3-buckets Job (and, unlike the
            # server's own retry loop, gives up as soon as the pod is released).
            return S3Server(run, timeout, binaries.weed(bins), ports, access, secret, ())
        spec = dataclasses.replace(self.project.service(entry.component), env={})
        # The pod's env is final: escape braces so the service's {placeholder} filling keeps it.
        escaped = {k: v.replace("{", "{{").replace("}", "}}") for k, v in env.items()}
        return ServiceProcess(run, timeout, spec, entry.port, escaped, {})

    def _create_buckets(self, entry: _Pod, server: S3Server, deadline: float) -> None:
        """Create the buckets of ConfigMap stonks-sandbox-settings, as the s3-buckets Job does,
        and write and delete a probe object in each: the store allocates its volumes on the
        first write (~1 s), which is its start-up (as in the local backend), not the seed's."""
        s3 = s3_client(server.endpoint, server.access_key, server.secret_key)
        probe = ".localkubelet-probe"
        for bucket in self._buckets():
            while True:
                try:
                    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
                        s3.create_bucket(Bucket=bucket)
                    s3.put_object(Bucket=bucket, Key=probe, Body=b"probe")
                    s3.delete_object(Bucket=bucket, Key=probe)
                    break
                except Exception as exc:  # botocore raises many types while the store warms up
                    if time.monotonic() > deadline:
                        raise TimeoutError(
                            f"bucket {bucket!r} could not be created: {exc}"
                        ) from exc
                self._pause(entry, 0.1)

    def _probe_forward(self, entry: _Pod, deadline: float) -> None:
        """Open a real port-forward through the API server until the process answers in it
        (kwok picks a new ClusterPortForward up asynchronously)."""
        if not entry.container_ports:
            return  # the forward covers every port; there is none to try
        port = entry.container_ports[0]
        hello = HELLO.get(entry.component, HTTP_HELLO)
        last = ""
        while True:
            try:
                with self._stream_lock:
                    forward = portforward(
                        client.CoreV1Api(self._stream_api).connect_get_namespaced_pod_portforward,
                        entry.name,
                        self.namespace,
                        ports=str(port),
                    )
                sock = forward.socket(port)
                try:
                    sock.settimeout(5)
                    sock.sendall(hello)
                    if sock.recv(64):
                        return
                    last = forward.error(port) or "the stream closed without an answer"
                finally:
                    close_forward(forward, sock)
            except Exception as exc:  # handshake refused while the pod is being scheduled, ...
                last = repr(exc)
            self._pause(entry, 0.05)
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"a port-forward to port {port} never reached {LOOPBACK}:{entry.port}: {last}"
                )

    # --- environment --------------------------------------------------------------------------
    def _resolve_env(self, pod: client.V1Pod) -> dict[str, str]:
        """The first container's environment as a kubelet builds it: envFrom, then env with
        $(VAR) references expanded. Raises LookupError for a missing Secret/ConfigMap/key."""
        container = spec_of(pod).containers[0]
        env: dict[str, str] = {}
        ref: client.V1SecretEnvSource | client.V1ConfigMapEnvSource
        for env_from in container.env_from or []:
            if env_from.secret_ref is not None:
                ref, data = env_from.secret_ref, self._secret
            elif env_from.config_map_ref is not None:
                ref, data = env_from.config_map_ref, self._config_map
            else:
                continue
            values = data(present(ref.name, "the name of an envFrom source"), bool(ref.optional))
            env.update({(env_from.prefix or "") + k: v for k, v in values.items()})
        for var in container.env or []:
            source = var.value_from
            if source is None:
                env[var.name] = VAR_REF.sub(lambda m: _expand(m, env), var.value or "")
            elif (key_ref := source.secret_key_ref or source.config_map_key_ref) is not None:
                read = self._secret if source.secret_key_ref is not None else self._config_map
                ref_name = present(key_ref.name, f"the name of env {var.name}'s valueFrom")
                values = read(ref_name, bool(key_ref.optional))
                if key_ref.key in values:
                    env[var.name] = values[key_ref.key]
                elif not key_ref.optional:
                    raise LookupError(
                        f"key {key_ref.key!r} is not in {ref_name!r} (env {var.name})"
                    )
            elif source.field_ref is not None:
                env[var.name] = _field(pod, source.field_ref.field_path)
            else:
                raise ValueError(f"env {var.name}: only value, secretKeyRef, configMapKeyRef and "
                                 "fieldRef are supported")  # fmt: skip
        return env

    def _secret(self, name: str, optional: bool) -> dict[str, str]:
        data = self._read(self.core.read_namespaced_secret, name, optional)
        return {k: base64.b64decode(v).decode() for k, v in (data or {}).items()}

    def _config_map(self, name: str, optional: bool) -> dict[str, str]:
        return dict(self._read(self.core.read_namespaced_config_map, name, optional) or {})

    def _read(self, read: Callable[..., Any], name: str, optional: bool) -> dict[str, str] | None:
        try:
            data: dict[str, str] | None = read(
                name, self.namespace, _request_timeout=API_TIMEOUT_S
            ).data
            return data
        except ApiException as exc:
            if exc.status != 404:
                raise
            if optional:
                return None
            raise LookupError(f"{name!r} does not exist in {self.namespace}") from None

    def _rewrite_addresses(
        self, entry: _Pod, env: dict[str, str], deadline: float
    ) -> dict[str, str]:
        """Replace cluster addresses of the namespace's Services by 127.0.0.1:<port> of the
        process behind them, and wait until those processes run."""
        while True:
            rewritten, needed = rewrite_addresses(env, self._services(), self.namespace, self._port)
            needed.discard(entry.component)
            if all(self._running(c) for c in needed):
                return rewritten
            waiting = sorted(c for c in needed if not self._running(c))
            # Woken as soon as they run; after 0.5 s list the Services again (they may still
            # be being applied).
            self._wait(
                entry,
                min(deadline, time.monotonic() + 0.5),
                functools.partial(self._all_running, needed),
                None,
            )
            if time.monotonic() > deadline:
                raise TimeoutError(f"its dependencies never ran: {', '.join(waiting)}")

    def _services(self) -> dict[str, tuple[str, set[int]]]:
        """Service name -> (component it selects, its ports)."""
        listing = self.core.list_namespaced_service(self.namespace, _request_timeout=API_TIMEOUT_S)
        result: dict[str, tuple[str, set[int]]] = {}
        for service in listing.items:
            component = (spec_of(service).selector or {}).get(NAME_LABEL)
            if component:
                ports = {p.port for p in spec_of(service).ports or []}
                result[name_of(service)] = (component, ports)
        return result

    def _buckets(self) -> tuple[str, ...]:
        """The buckets of ConfigMap stonks-sandbox-settings (what the s3-buckets Job creates)."""
        return tuple(self._config_map(SETTINGS_CONFIGMAP, True).get("BUCKETS", "").split())

    # --- pod logs -----------------------------------------------------------------------------
    def _pump_logs(self) -> None:
        """Copy each running process's new log lines into its pod's CRI log, until stop()."""
        while not self._stopping.wait(PUMP_S):
            with self._cond:
                entries = [e for e in self._pods.values() if e.process is not None]
            for entry in entries:
                with contextlib.suppress(OSError, AttributeError):
                    self._pump_one(entry)

    def _pump_one(self, entry: _Pod) -> None:
        process = entry.process
        if process is None:
            return
        with open(process.log_path, "rb") as raw:
            if os.fstat(raw.fileno()).st_size <= entry.pumped:
                return
            raw.seek(entry.pumped)
            data = raw.read()
        end = data.rfind(b"\n") + 1  # whole lines only
        if end == 0:
            return
        seconds, nanos = divmod(time.time_ns(), 1_000_000_000)
        stamp = f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(seconds))}.{nanos:09d}Z".encode()
        lines = b"".join(stamp + b" stdout F " + line + b"\n" for line in data[:end].splitlines())
        with open(entry.run.path / CRI_LOG, "ab") as cri:
            cri.write(lines)
        entry.pumped += end

    # --- kwok objects -------------------------------------------------------------------------
    def _object_name(self, entry: _Pod) -> str:
        name = f"localkubelet.{self.namespace}.{entry.name}"
        if len(name) > 253:
            name = f"localkubelet.{hashlib.sha256(name.encode()).hexdigest()[:32]}"
        return name

    def _selector(self, entry: _Pod) -> dict[str, list[str]]:
        return {"matchNamespaces": [self.namespace], "matchNames": [entry.name]}

    def _forward_spec(self, entry: _Pod) -> dict[str, Any]:
        forward: dict[str, Any] = {"target": {"address": LOOPBACK, "port": entry.port}}
        if entry.container_ports:
            forward["ports"] = entry.container_ports
        return {"selector": self._selector(entry), "forwards": [forward]}

    def _apply_memory(self, entry: _Pod, quantity: str | None) -> None:
        name = self._object_name(entry)
        if quantity is None:
            self._delete(USAGES, name)
            return
        # cpu too: metrics-server leaves out a container whose cpu usage is zero (measured).
        usage = {"memory": {"value": quantity}, "cpu": {"value": "1m"}}
        self._apply(USAGES, name, {"selector": self._selector(entry), "usages": [{"usage": usage}]})

    def _apply(self, plural: str, name: str, spec: dict[str, Any]) -> None:
        """Create or update one of our cluster-scoped kwok objects."""
        body = {
            "apiVersion": f"{KWOK_GROUP}/{KWOK_VERSION}",
            "kind": KINDS[plural],
            "metadata": {"name": name, "labels": {OWNER_LABEL: self.namespace}},
            "spec": spec,
        }
        try:
            self.custom.create_cluster_custom_object(
                KWOK_GROUP, KWOK_VERSION, plural, body, _request_timeout=API_TIMEOUT_S
            )
        except ApiException as exc:
            if exc.status != 409:
                raise
            self.custom.patch_cluster_custom_object(
                KWOK_GROUP, KWOK_VERSION, plural, name, {"spec": spec},
                _request_timeout=API_TIMEOUT_S,
            )  # fmt: skip

    def _sweep_kwok_objects(self) -> None:
        """Delete our objects left by a kubelet killed with -9: they are cluster-scoped, so
        deleting their namespace does not remove them."""
        gone: dict[str, bool] = {}
        for plural in self._kinds:
            items = json_object(self.custom.list_cluster_custom_object(
                KWOK_GROUP, KWOK_VERSION, plural, label_selector=OWNER_LABEL,
                _request_timeout=API_TIMEOUT_S,
            ))["items"]  # fmt: skip
            for item in items:
                namespace = item["metadata"]["labels"][OWNER_LABEL]
                if namespace not in gone:
                    gone[namespace] = namespace == self.namespace or not self._exists(namespace)
                if gone[namespace]:
                    self._delete(plural, item["metadata"]["name"])

    def _exists(self, namespace: str) -> bool:
        try:
            self.core.read_namespace(namespace, _request_timeout=API_TIMEOUT_S)
            return True
        except ApiException as exc:
            if exc.status != 404:
                raise
            return False

    def _delete(self, plural: str, name: str) -> None:
        try:
            self.custom.delete_cluster_custom_object(
                KWOK_GROUP, KWOK_VERSION, plural, name, _request_timeout=API_TIMEOUT_S
            )
        except ApiException as exc:
            if exc.status != 404:
                raise

    # --- helpers (call with the lock held where noted) ----------------------------------------
    def _current(self, component: str) -> _Pod | None:
        """The newest pod of a component that is not released (lock held)."""
        live = [e for e in self._pods.values() if e.component == component and not e.released]
        return max(live, key=lambda e: e.seq, default=None)

    def _all_running(self, components: Iterable[str]) -> bool:
        return all(self._running(c) for c in components)

    def _running(self, component: str) -> bool:
        with self._cond:
            current = self._current(component)
            return current is not None and current.state == "running"

    @staticmethod
    def _pids(entries: Mapping[str, _Pod | None]) -> dict[str, int]:
        return {c: e.process.pid for c, e in entries.items() if e and e.process and e.process.pid}

    def _port(self, component: str) -> int:
        """The component's stable loopback port, chosen on first use."""
        with self._cond:
            if component not in self._ports:
                self._ports[component] = self._spare_ports(1)[0]
            return self._ports[component]

    def _spare_ports(self, count: int) -> list[int]:
        """Free ports that are not some component's stable port (that one may be free between
        two pods of the component)."""
        with self._cond:
            taken = set(self._ports.values())
        ports: list[int] = []
        for _ in range(10):
            ports += [p for p in free_ports(count) if p not in taken and p not in ports]
            if len(ports) >= count:
                return ports[:count]
        raise RuntimeError("no free loopback ports")

    def _wait(
        self, entry: _Pod, deadline: float, ready: Callable[[], bool], what: str | None
    ) -> None:
        """Wait until ``ready()`` (evaluated with the lock held) or the deadline, then raise
        TimeoutError naming ``what`` (None: just return). Raise _Aborted once the pod is
        released or the kubelet stops."""
        with self._cond:
            while not ready():
                if entry.released or self._stopping.is_set():
                    raise _Aborted
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    if what is None:
                        return
                    raise TimeoutError(f"timed out waiting for {what}")
                self._cond.wait(min(remaining, POLL_S))

    def _pause(self, entry: _Pod, seconds: float) -> None:
        """Sleep, but raise _Aborted as soon as the pod is released."""
        self._wait(entry, time.monotonic() + seconds, lambda: False, None)

    def _retry(
        self, entry: _Pod, deadline: float, attempt: Callable[[], dict[str, str]]
    ) -> dict[str, str]:
        """Call ``attempt`` until it does not raise LookupError (an object not created yet)."""
        while True:
            try:
                return attempt()
            except LookupError as exc:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"its environment cannot be resolved: {exc}") from exc
            self._pause(entry, 0.2)

    def _check_workdir(self) -> None:
        if os.geteuid() != 0:
            return
        for parent in self.workdir.resolve().parents:
            if parent.exists() and not parent.stat().st_mode & 0o001:
                raise ValueError(
                    f"{self.workdir}: {parent} is not traversable by uid 65534, which PostgreSQL "
                    "runs as under root; use a directory under rundir.base_dir(os.environ)"
                )


def close_forward(forward: Any, sock: Any) -> None:
    """End a client port-forward cleanly, as the plugin does (half-close, drain, close)."""
    close_stream(forward, sock, drain_s=5.0)


def rewrite_addresses(
    env: Mapping[str, str],
    services: Mapping[str, tuple[str, set[int]]],
    namespace: str,
    port_of: Callable[[str], int],
) -> tuple[dict[str, str], set[str]]:
    """Rewrite ``<svc>[.<ns>[.svc[.cluster.local]]]:<port>`` of a Service of ``namespace`` (name
    -> (component, ports)) to 127.0.0.1:<port_of(component)>; return the env and the components
    it now points at."""
    accepted = {"", f".{namespace}", f".{namespace}.svc", f".{namespace}.svc.cluster.local"}
    needed: set[str] = set()

    def local(match: re.Match[str]) -> str:
        target = services.get(match["svc"])
        if target is None or match["suffix"] not in accepted or int(match["port"]) not in target[1]:
            return match[0]
        needed.add(target[0])
        return f"{LOOPBACK}:{port_of(target[0])}"

    return {key: HOST_PORT.sub(local, value) for key, value in env.items()}, needed


def _expand(match: re.Match[str], env: Mapping[str, str]) -> str:
    """$(VAR) -> its value if defined before, else unchanged; $$ -> $ (kubelet semantics)."""
    if match[0] == "$$":
        return "$"
    return env.get(match[1], match[0])


def _field(pod: client.V1Pod, path: str) -> str:
    fields = {
        "metadata.name": metadata_of(pod).name,
        "metadata.namespace": metadata_of(pod).namespace,
        "metadata.uid": metadata_of(pod).uid,
        "spec.nodeName": spec_of(pod).node_name,
        "spec.serviceAccountName": spec_of(pod).service_account_name,
        "status.podIP": LOOPBACK,
        "status.hostIP": LOOPBACK,
    }
    if path not in fields:
        raise ValueError(f"fieldRef {path!r} is not supported")
    return str(fields[path] or "")


def _required(env: Mapping[str, str], key: str) -> str:
    value = env.get(key)
    if not value:
        raise ValueError(f"the pod's environment has no {key}")
    return value


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


async def _ensure_role(server: PostgresServer, env: Mapping[str, str]) -> None:
    """Give the pod's POSTGRES_USER a superuser login with POSTGRES_PASSWORD, owning
    POSTGRES_DB, as the postgres image's entrypoint would (the server's own admin is fixed)."""
    user = env.get("POSTGRES_USER") or "postgres"
    if user == ADMIN_USER:
        return
    conn = await asyncpg.connect(
        host=str(server.socket_dir), port=server.port, user=ADMIN_USER,
        password=server.password, database="postgres",
    )  # fmt: skip
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", user)
        verb = "ALTER" if exists else "CREATE"
        password = _literal(_required(env, "POSTGRES_PASSWORD"))
        await conn.execute(f"{verb} ROLE {_ident(user)} LOGIN SUPERUSER PASSWORD {password}")
        await conn.execute(f"ALTER DATABASE {_ident(server.database)} OWNER TO {_ident(user)}")
    finally:
        await conn.close()
