"""Pod memory: the metrics API (metrics.k8s.io) first, the container's cgroup as the fallback.

The metrics API needs metrics-server and has no figure for a pod until it has been scraped
(tens of seconds after start). Until then, or on clusters without it, the probe reads the
container's cgroup through `exec` (v2 ``memory.current``, else v1 ``memory.usage_in_bytes``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

from pytest_stonks_sandbox._backends.kubernetes import api
from pytest_stonks_sandbox._backends.kubernetes.cluster import Namespace, component_of, is_ready
from pytest_stonks_sandbox._measure.memory import (
    CGROUP_USAGE,
    METRICS_WORKING_SET,
    MemoryMeasure,
    parse_k8s_quantity,
)

METRICS_GROUP, METRICS_VERSION = "metrics.k8s.io", "v1beta1"
CGROUP_COMMAND = [
    "sh",
    "-c",
    "cat /sys/fs/cgroup/memory.current 2>/dev/null"
    " || cat /sys/fs/cgroup/memory/memory.usage_in_bytes",
]
# How long to trust "this cluster has no metrics API" before asking again.
ABSENT_RECHECK_S = 30.0


def pod_metrics_bytes(item: Mapping[str, Any]) -> int:
    """Memory of one PodMetrics item: the sum over its containers."""
    return sum(
        parse_k8s_quantity(str(container["usage"]["memory"]))
        for container in item.get("containers", [])
    )


def parse_cgroup_bytes(output: str) -> int:
    """The integer a cgroup memory file holds; 0 when the output is not one."""
    text = output.strip().splitlines()
    try:
        return int(text[0]) if text else 0
    except ValueError:
        return 0


class PodMemoryProbe:
    """``{component: bytes}`` for the namespace's Ready pods (summed when there are several).

    :attr:`sources` tells, per component, where the last figure came from: "metrics" or
    "cgroup" (:meth:`measures` says it as the contract does).
    """

    def __init__(self, namespace: Namespace) -> None:
        self.namespace = namespace
        self.sources: dict[str, str] = {}
        self._absent_since: float | None = None
        self._lock = threading.Lock()

    def __call__(self) -> dict[str, int]:
        metrics = self._metrics()
        totals: dict[str, int] = {}
        for pod in self.namespace.pods():
            component = component_of(pod)
            if not component or not is_ready(pod):
                continue
            name = str(pod.metadata.name)
            value = metrics.get(name, 0)
            source = "metrics"
            if value <= 0:
                value = self._cgroup(pod)
                source = "cgroup"
            if value > 0:
                totals[component] = totals.get(component, 0) + value
                with self._lock:
                    self.sources[component] = source
        return totals

    def measures(self) -> dict[str, MemoryMeasure]:
        """Per component, what its last figure measured and where it was read."""
        with self._lock:
            return {
                component: METRICS_WORKING_SET if source == "metrics" else CGROUP_USAGE
                for component, source in self.sources.items()
            }

    def _metrics(self) -> dict[str, int]:
        """PodMetrics of the namespace by pod name; {} when the API is absent or not ready."""
        if self._absent_since is not None:
            if time.monotonic() - self._absent_since < ABSENT_RECHECK_S:
                return {}
            self._absent_since = None
        try:
            listing = self.namespace.custom.list_namespaced_custom_object(
                METRICS_GROUP, METRICS_VERSION, self.namespace.name, "pods"
            )
        except api.api_exception() as exc:
            if api.is_status(exc, 404, 503):  # no metrics API (or its server is not up)
                self._absent_since = time.monotonic()
                return {}
            raise
        return {
            str(item["metadata"]["name"]): pod_metrics_bytes(item)
            for item in listing.get("items", [])
        }

    def _cgroup(self, pod: Any) -> int:
        """The first container's cgroup memory through `exec`; 0 when it cannot be read."""
        containers = pod.spec.containers or []
        if not containers:
            return 0
        try:
            output = api.exec_output(
                self.namespace.api_client.configuration,
                self.namespace.name,
                str(pod.metadata.name),
                str(containers[0].name),
                CGROUP_COMMAND,
            )
        except Exception:  # exec refused, pod gone, no shell in the image: not measurable now
            return 0
        return parse_cgroup_bytes(output)
