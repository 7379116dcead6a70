"""A namespace's evidence for a failure bundle: pod logs (previous containers too), each pod's
status, the namespace's events and, once a deletion is slow, what is still blocking it."""

from __future__ import annotations

from typing import Any, Protocol

from pytest_stonks_sandbox._backends.evidence import MAX_FILE_BYTES, EvidenceFile, cut, json_file
from pytest_stonks_sandbox._backends.kubernetes import api
from pytest_stonks_sandbox._backends.kubernetes.manifests import COMPONENT_LABEL


class Namespace(Protocol):
    """What is read here of `cluster.Namespace` (which records `blocking` as it deletes)."""

    name: str
    core: Any  # CoreV1Api
    api_client: Any


# A log read from the API is capped there already (about the bundle's per-file limit).
LOG_LIMIT_BYTES = MAX_FILE_BYTES


def namespace_evidence(ns: Namespace) -> list[EvidenceFile]:
    """Every pod's logs and status, and the namespace's events (API errors leave a note)."""
    files: list[EvidenceFile] = []
    try:
        pods = list(ns.core.list_namespaced_pod(ns.name).items)
    except api.api_exception() as exc:
        return [_note("kubernetes/pods.error.txt", "namespace", f"pods: {api.describe(exc)}")]
    for pod in sorted(pods, key=lambda p: str(p.metadata.name)):
        name = str(pod.metadata.name)
        status = ns.api_client.sanitize_for_serialization(pod.status)
        files.append(json_file(f"kubernetes/pods/{name}/status.json", name, status))
        files += _pod_logs(ns, pod)
    files.append(json_file("kubernetes/events.json", "namespace", events(ns)))
    return files


def _pod_logs(ns: Namespace, pod: Any) -> list[EvidenceFile]:
    name = str(pod.metadata.name)
    statuses = {s.name: s for s in [*(pod.status.init_container_statuses or []),
                                    *(pod.status.container_statuses or [])]}  # fmt: skip
    containers = [*(pod.spec.init_containers or []), *(pod.spec.containers or [])]
    files = []
    for container in containers:
        status = statuses.get(container.name)
        previous = status is not None and (
            (status.restart_count or 0) > 0
            or bool(status.last_state and status.last_state.terminated)
        )
        for was_before in (False, True) if previous else (False,):
            suffix = ".previous.log" if was_before else ".log"
            path = f"kubernetes/pods/{name}/{container.name}{suffix}"
            try:
                text = ns.core.read_namespaced_pod_log(
                    name, ns.name, container=container.name, previous=was_before,
                    limit_bytes=LOG_LIMIT_BYTES,
                )  # fmt: skip
            except api.api_exception() as exc:
                files.append(_note(path.removesuffix(".log") + ".error.txt", name,
                                   f"logs of {container.name}: {api.describe(exc)}"))  # fmt: skip
                continue
            data, cut_bytes = cut(str(text).encode())
            component = (pod.metadata.labels or {}).get(COMPONENT_LABEL) or name
            files.append(EvidenceFile(path, str(component), data, cut_bytes))
    return files


def events(ns: Namespace) -> list[dict[str, Any]]:
    """The namespace's events, oldest first, as plain data."""
    try:
        items = ns.core.list_namespaced_event(ns.name).items
    except api.api_exception() as exc:
        return [{"error": api.describe(exc)}]
    items = sorted(items, key=lambda e: str(e.last_timestamp or e.event_time or ""))
    return [
        {
            "time": str(e.last_timestamp or e.event_time or ""),
            "type": e.type,
            "reason": e.reason,
            "object": f"{e.involved_object.kind}/{e.involved_object.name}",
            "message": e.message,
            "count": e.count,
        }
        for e in items
    ]


def blocking(ns: Namespace) -> dict[str, Any]:
    """What a terminating namespace still holds: its conditions, and objects with finalizers."""
    found: dict[str, Any] = {"namespace": ns.name}
    try:
        status = ns.core.read_namespace(ns.name).status
        found["phase"] = status.phase
        found["conditions"] = [
            {"type": c.type, "status": c.status, "reason": c.reason, "message": c.message}
            for c in status.conditions or []
        ]
    except api.api_exception() as exc:
        found["error"] = api.describe(exc)
        return found
    remaining = []
    try:
        for pod in ns.core.list_namespaced_pod(ns.name).items:
            remaining.append({
                "kind": "Pod", "name": pod.metadata.name, "phase": pod.status.phase,
                "finalizers": list(pod.metadata.finalizers or []),
                "deletion_timestamp": str(pod.metadata.deletion_timestamp or ""),
            })  # fmt: skip
    except api.api_exception() as exc:
        remaining.append({"error": api.describe(exc)})
    found["remaining_pods"] = remaining
    found["events"] = events(ns)[-20:]
    return found


def blocking_summary(found: dict[str, Any]) -> str:
    """One sentence of what blocks a deletion (for the teardown error)."""
    parts = [f"{c['type']}: {c['message']}" for c in found.get("conditions", []) if c["message"]]
    pods = [p["name"] for p in found.get("remaining_pods", []) if "name" in p]
    if pods:
        parts.append(f"pods still there: {', '.join(pods)}")
    return "; ".join(parts) or "nothing reported"


def _note(path: str, component: str, text: str) -> EvidenceFile:
    return EvidenceFile(path, component, (text + "\n").encode())
