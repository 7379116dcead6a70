"""The namespace of one sandbox, through the Kubernetes API: create, apply, read, delete."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from pytest_stonks_sandbox._backends.kubernetes import api
from pytest_stonks_sandbox._backends.kubernetes.evidence import blocking, blocking_summary
from pytest_stonks_sandbox._backends.kubernetes.manifests import COMPONENT_LABEL, RUN_ID_LABEL
from pytest_stonks_sandbox._core.errors import ProvisionError, ReadinessError, TeardownError

# Container states that will not get better by waiting: fail fast, naming the reason.
HOPELESS_REASONS = {
    "ErrImagePull": "the image cannot be pulled",
    "ImagePullBackOff": "the image cannot be pulled",
    "InvalidImageName": "the image name is invalid",
    "CrashLoopBackOff": "the container keeps crashing",
    "CreateContainerConfigError": "the container's configuration is broken",
    "CreateContainerError": "the container cannot be created",
    "RunContainerError": "the container cannot be run",
}
#: A namespace deletion slower than this gets what blocks it recorded (`Namespace.blocking`).
SLOW_DELETE_S = 10.0
#: At teardown a sandbox's pods get this long between SIGTERM and SIGKILL: nothing in a
#: throwaway sandbox needs a graceful stop (the Deployments' own grace serves faults). They are
#: then gone well before the namespace can be: its controller waits 5 s before it starts.
TEARDOWN_GRACE_S = 1
#: How often a teardown looks whether the namespace is gone.
DELETE_POLL_S = 0.1


def is_ready(pod: Any) -> bool:
    """Running, not being deleted, and condition Ready=True."""
    if pod.metadata.deletion_timestamp is not None or pod.status.phase != "Running":
        return False
    return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or [])


def succeeded(pod: Any) -> bool:
    """Every container of the pod has ended with exit code 0."""
    statuses = pod.status.container_statuses or []
    return bool(statuses) and all(
        s.state is not None and s.state.terminated is not None and s.state.terminated.exit_code == 0
        for s in statuses
    )


def has_ended(pod: Any) -> bool:
    """Being deleted with no container running: it serves nothing any more, though its object
    stays until the kubelet has cleaned up after it (about a second on a busy node)."""
    if pod.metadata.deletion_timestamp is None:
        return False
    statuses = pod.status.container_statuses or []
    return not any(s.state is not None and s.state.running for s in statuses)


def is_running(pod: Any) -> bool:
    """Running and not being deleted, every container running (Ready or not)."""
    if pod.metadata.deletion_timestamp is not None or pod.status.phase != "Running":
        return False
    statuses = pod.status.container_statuses or []
    return bool(statuses) and all(s.state is not None and s.state.running for s in statuses)


def component_of(pod: Any) -> str:
    return str((pod.metadata.labels or {}).get(COMPONENT_LABEL, ""))


def hopeless(pod: Any) -> str:
    """Why a pod will never become Ready on its own, or "" if it still may.

    A pod being deleted is not hopeless: a real kubelet reports it Failed when its container was
    stopped with a non-zero exit, which is the deletion itself."""
    if pod.status.phase == "Failed" and pod.metadata.deletion_timestamp is None:
        return f"pod {pod.metadata.name} failed ({pod.status.reason or 'no reason given'})"
    for status in pod.status.container_statuses or []:
        waiting = status.state.waiting if status.state else None
        if waiting is not None and waiting.reason in HOPELESS_REASONS:
            detail = f": {waiting.message}" if waiting.message else ""
            return (
                f"pod {pod.metadata.name}: {waiting.reason}, {HOPELESS_REASONS[waiting.reason]}"
                f"{detail}"
            )
    return ""


def restarts(pod: Any) -> int:
    return sum(s.restart_count or 0 for s in pod.status.container_statuses or [])


class Namespace:
    """One namespace and the objects of the sandbox in it."""

    def __init__(self, api_client: Any, name: str) -> None:
        kubernetes = api.client_module()
        self.api_client = api_client
        self.name = name
        self.core = kubernetes.client.CoreV1Api(api_client)
        self.apps = kubernetes.client.AppsV1Api(api_client)
        self.batch = kubernetes.client.BatchV1Api(api_client)
        self.custom = kubernetes.client.CustomObjectsApi(api_client)
        self._utils = kubernetes.utils
        self.watch_module = kubernetes.watch
        self.created = False
        self.blocking: dict[str, Any] | None = None  # what held up a slow deletion
        self.applied: list[tuple[str, str]] = []  # (kind, name) of what `apply` created

    # ------------------------------------------------------------------ lifecycle

    def create(self, body: Mapping[str, Any]) -> None:
        """Create the namespace; one that exists already is an error (it is not ours)."""
        try:
            self.core.create_namespace(dict(body))
        except api.api_exception() as exc:
            if api.is_status(exc, 409):
                raise ProvisionError(
                    f"namespace {self.name}",
                    "exists already.",
                    "choose another --namespace, or delete it "
                    "(a kept sandbox is reused with --sandbox-reuse).",
                ) from exc
            raise ProvisionError(
                f"namespace {self.name}",
                f"could not be created ({api.describe(exc)}).",
                "check that your kubeconfig's user may create namespaces.",
            ) from exc
        self.created = True

    def adopt(self) -> None:
        """Use a namespace made beforehand (it is not created here, nor deleted)."""
        try:
            self.core.read_namespace(self.name)
        except api.api_exception() as exc:
            missing = api.is_status(exc, 404)
            raise ProvisionError(
                f"namespace {self.name}",
                "does not exist." if missing else f"cannot be read ({api.describe(exc)}).",
                "--sandbox-existing-namespace deploys into a namespace made beforehand: create "
                "it first, or drop the option to let the run make its own."
                if missing
                else "give the service account `get` on namespaces in its Role.",
            ) from exc

    def apply(self, objects: Iterable[Mapping[str, Any]]) -> None:
        """Create each object in the namespace (the namespace is new: nothing to update)."""
        for obj in objects:
            kind = f"{obj['kind']} {obj.get('metadata', {}).get('name', '?')}"
            try:
                self._utils.create_from_dict(self.api_client, dict(obj), namespace=self.name)
                self.applied.append((str(obj["kind"]), str(obj["metadata"]["name"])))
            except self._utils.FailToCreateError as exc:
                reasons = "; ".join(api.describe(e) for e in exc.api_exceptions)
                raise ProvisionError(
                    kind, f"was refused by the API server ({reasons}).", "correct the manifest."
                ) from exc
            except api.api_exception() as exc:
                raise ProvisionError(
                    kind, f"could not be created ({api.describe(exc)}).", "correct the manifest."
                ) from exc

    def delete(self, timeout_s: float, wait: bool = True) -> None:
        """Delete the namespace; `wait`: until it is gone (else once it is terminating).

        Once it takes longer than SLOW_DELETE_S, what still blocks it is kept in `blocking`.
        """
        try:
            self.core.delete_namespace(self.name, propagation_policy="Background")
        except api.api_exception() as exc:
            if api.is_status(exc, 404):
                return
            raise TeardownError(
                f"namespace {self.name}",
                f"could not be deleted ({api.describe(exc)}).",
                f"delete it yourself: kubectl delete namespace {self.name}",
            ) from exc
        self._delete_pods_now()
        if not wait:
            return
        started = time.monotonic()
        deadline = started + timeout_s
        while time.monotonic() < deadline:
            try:
                self.core.read_namespace(self.name)
            except api.api_exception() as exc:
                if api.is_status(exc, 404):
                    return
                raise
            if self.blocking is None and time.monotonic() - started > SLOW_DELETE_S:
                self.blocking = blocking(self)
            time.sleep(DELETE_POLL_S)
        self.blocking = blocking(self)
        raise TeardownError(
            f"namespace {self.name}",
            f"is still terminating after {timeout_s:.0f} s ({blocking_summary(self.blocking)}).",
            "look for finalizers: kubectl get namespace " + self.name + " -o yaml",
        )

    def _delete_pods_now(self) -> None:
        """Delete the namespace's pods at once, with a short grace: the namespace controller
        gets to them only after the rest of its content (seconds later), and a terminating
        namespace takes no new ones. Best effort: the namespace deletion removes them anyway."""
        try:
            self.core.delete_collection_namespaced_pod(
                self.name, grace_period_seconds=TEARDOWN_GRACE_S
            )
        except api.api_exception():
            return

    def delete_applied(self, run_id: str, timeout_s: float, wait: bool = True) -> None:
        """Delete what `apply` created; `wait`: until the run's pods are gone too (the
        namespace stays: it was made beforehand)."""
        deleters = {
            "Deployment": self.apps.delete_namespaced_deployment,
            "Job": self.batch.delete_namespaced_job,
            "Service": self.core.delete_namespaced_service,
            "Secret": self.core.delete_namespaced_secret,
            "ConfigMap": self.core.delete_namespaced_config_map,
        }
        failed = []
        for kind, name in reversed(self.applied):
            delete = deleters.get(kind)
            if delete is None:
                failed.append(f"{kind} {name} (kind not known here)")
                continue
            try:
                delete(name, self.name, propagation_policy="Background")
            except api.api_exception() as exc:
                if not api.is_status(exc, 404):
                    failed.append(f"{kind} {name} ({api.describe(exc)})")
        self.applied = []
        deadline = time.monotonic() + timeout_s
        selector = f"{RUN_ID_LABEL}={run_id}"
        while wait and (
            left := self.core.list_namespaced_pod(self.name, label_selector=selector).items
        ):
            if time.monotonic() > deadline:
                failed.append("pods " + ", ".join(str(p.metadata.name) for p in left))
                break
            time.sleep(DELETE_POLL_S)
        if failed:
            raise TeardownError(
                f"the sandbox in namespace {self.name}",
                f"was not removed: {'; '.join(failed)}.",
                f"delete them yourself: kubectl -n {self.name} delete all -l {selector}",
            )

    # ------------------------------------------------------------------ pods

    def pods(self, component: str = "") -> list[Any]:
        selector = f"{COMPONENT_LABEL}={component}" if component else COMPONENT_LABEL
        return list(self.core.list_namespaced_pod(self.name, label_selector=selector).items)

    def ready_pod(self, component: str) -> str:
        """The name of a Ready pod of the component, or "" when there is none."""
        for pod in self.pods(component):
            if is_ready(pod):
                return str(pod.metadata.name)
        return ""

    def job_complete(self, name: str) -> bool:
        """True when the Job has succeeded; a failed Job is a ReadinessError."""
        job = self.batch.read_namespaced_job(name, self.name)
        for condition in job.status.conditions or []:
            if condition.status != "True":
                continue
            if condition.type == "Complete":
                return True
            if condition.type == "Failed":
                raise ReadinessError(
                    f"job {name}",
                    f"failed ({condition.reason}: {condition.message}).",
                    f"kubectl -n {self.name} logs job/{name}",
                )
        return False

    def logs(self, component: str, previous: bool = False, lines: int = 20) -> str:
        """The last log lines of the component's newest pod, folded into one line."""
        pods = sorted(self.pods(component), key=lambda p: p.metadata.creation_timestamp)
        if not pods:
            return ""
        try:
            text = self.core.read_namespaced_pod_log(
                pods[-1].metadata.name, self.name, tail_lines=lines, previous=previous
            )
        except api.api_exception():
            return ""
        return " | ".join(line for line in str(text).splitlines() if line.strip())

    def warnings(self, limit: int = 5) -> str:
        """The namespace's newest warning events, as one sentence (empty if none)."""
        try:
            events = self.core.list_namespaced_event(self.name, field_selector="type=Warning").items
        except api.api_exception():
            return ""
        events = sorted(events, key=lambda e: e.last_timestamp or e.event_time or 0)[-limit:]
        if not events:
            return ""
        described = "; ".join(
            f"{e.involved_object.kind}/{e.involved_object.name}: {e.reason}: {e.message}"
            for e in events
        )
        return f" Warning events: {described}"

    # ------------------------------------------------------------------ faults

    def scale(self, component: str, replicas: int) -> None:
        self.apps.patch_namespaced_deployment_scale(
            component, self.name, {"spec": {"replicas": replicas}}
        )

    def delete_pods(self, component: str) -> list[str]:
        names = [str(pod.metadata.name) for pod in self.pods(component)]
        for name in names:
            try:
                self.core.delete_namespaced_pod(name, self.name, grace_period_seconds=0)
            except api.api_exception() as exc:
                if not api.is_status(exc, 404):
                    raise
        return names
