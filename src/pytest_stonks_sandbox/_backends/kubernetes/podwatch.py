"""The sandbox pods of one namespace, kept current by one watch thread.

Waits (a component's pod Ready, a replaced pod Ready, pods gone) are woken by the watch's
events instead of polling the API, and the port-forwards pick their pod from here without a
request of their own. A pod that starts being deleted is reported to `on_gone` at once, so the
connections forwarded to it can be broken before the cluster notices.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pytest_stonks_sandbox._backends.kubernetes import api
from pytest_stonks_sandbox._backends.kubernetes.cluster import (
    Namespace,
    component_of,
    hopeless,
    is_ready,
    is_running,
)
from pytest_stonks_sandbox._backends.kubernetes.manifests import COMPONENT_LABEL
from pytest_stonks_sandbox._core.errors import ReadinessError

#: Server-side length of one watch request: how long stop() may leave the thread running.
WATCH_SLICE_S = 1
RETRY_S = 0.2  # pause before listing again after a failed list or watch
#: How often a wait looks at its `check` (the backend's stop signal) between events.
CHECK_S = 0.05

Done = Callable[[Mapping[str, list[Any]]], Mapping[str, bool]]


class PodWatch:
    """The namespace's sandbox pods by uid, and waits on them."""

    def __init__(self, ns: Namespace, on_gone: Callable[[str, str], None] | None = None) -> None:
        self._ns = ns
        self._on_gone = on_gone  # (component, pod name) of a pod being deleted or gone
        self._pods: dict[str, Any] = {}
        self._gone: set[str] = set()  # uids already reported to on_gone
        self._served: set[str] = set()  # uids of pods that have been Ready
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.error = ""  # the last list or watch failure (the thread lists again after it)

    def start(self) -> PodWatch:
        """List the pods once (errors are raised here), then follow them in a thread."""
        version = self._relist()
        self._thread = threading.Thread(
            target=self._follow, args=(version,), name=f"stonks-pods-{self._ns.name}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """End the thread (it leaves within WATCH_SLICE_S; nobody needs to wait for it)."""
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()

    # ------------------------------------------------------------------ reading

    def by_component(self, components: Iterable[str] = ()) -> dict[str, list[Any]]:
        with self._cond:
            return self._group(components)

    def ready_pod(self, component: str) -> str:
        """The name of a Ready pod of the component, or "" when there is none."""
        with self._cond:
            return self._ready_pod(component)

    def await_serving_pod(self, component: str, timeout_s: float) -> str:
        """The name of a pod of the component to forward to, waiting at most `timeout_s`.

        A Ready pod first; else one that has been Ready and still runs: its readiness may follow
        a dependency that is down (trading-engine while Redis is stopped), and it answers, as
        the Services (publishing not-ready addresses) route to it. A new pod that has never been
        Ready is waited for.
        """
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while not (pod := self._ready_pod(component) or self._served_pod(component)):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stopping.is_set():
                    return ""
                self._cond.wait(remaining)
            return pod

    def wait(
        self,
        components: Iterable[str],
        timeout_s: float,
        done: Done,
        check: Callable[[], None] = lambda: None,
    ) -> None:
        """Wait until `done(pods by component)` is true for every component.

        Fails fast when a pod can never get there (image pull, crash loop), and names the
        components still waiting, with the namespace's warning events, on timeout. `check` is
        called every CHECK_S (it raises to abandon the wait: the backend's stop signal).
        """
        wanted = list(components)
        deadline = time.monotonic() + timeout_s
        while True:
            check()
            with self._cond:
                pods = self._group(wanted)
                state = done(pods)
                problems = {
                    name: next(filter(None, map(hopeless, pods[name])), "") for name in wanted
                }
                waiting = [name for name in wanted if not state.get(name)]
                if waiting and not any(problems.values()) and time.monotonic() < deadline:
                    self._cond.wait(min(CHECK_S, max(deadline - time.monotonic(), 0)))
                    continue
            # Decided; what follows may call the API, outside the lock.
            for name, problem in problems.items():
                if problem:
                    raise ReadinessError(name, problem + ".", self._hint(name, problem))
            if not waiting:
                return
            raise ReadinessError(
                ", ".join(waiting),
                f"not ready after {timeout_s:.0f} s in namespace {self._ns.name}."
                + self._ns.warnings(),
                "raise --sandbox-timeout, or look at the pods: "
                f"kubectl -n {self._ns.name} describe pods",
            )

    def _hint(self, component: str, problem: str) -> str:
        if "pulled" in problem or "image name" in problem:
            return "check that the image exists for --image-tag and that the cluster may pull it."
        logs = self._ns.logs(component)
        return (
            f"its last log lines: {logs}" if logs else f"kubectl -n {self._ns.name} describe pods"
        )

    def _group(self, components: Iterable[str]) -> dict[str, list[Any]]:
        grouped: dict[str, list[Any]] = {name: [] for name in components}
        for pod in self._pods.values():
            grouped.setdefault(component_of(pod), []).append(pod)
        return grouped

    def _ready_pod(self, component: str) -> str:
        for pod in self._pods.values():
            if component_of(pod) == component and is_ready(pod):
                return str(pod.metadata.name)
        return ""

    def _served_pod(self, component: str) -> str:
        for uid, pod in self._pods.items():
            if uid in self._served and component_of(pod) == component and is_running(pod):
                return str(pod.metadata.name)
        return ""

    def _keep(self, pod: Any) -> None:
        """Hold the pod's latest state (under the lock)."""
        self._pods[pod.metadata.uid] = pod
        if is_ready(pod):
            self._served.add(pod.metadata.uid)

    # ------------------------------------------------------------------ following

    def _follow(self, version: str) -> None:
        while not self._stopping.is_set():
            try:
                version = self._watch_once(version) if version else self._relist()
            except Exception as exc:  # the API server restarted, a network blip: list again
                self.error = api.describe(exc)
                version = ""
                self._stopping.wait(RETRY_S)

    def _relist(self) -> str:
        listing = self._ns.core.list_namespaced_pod(self._ns.name, label_selector=COMPONENT_LABEL)
        pods = {pod.metadata.uid: pod for pod in listing.items}
        with self._cond:
            vanished = [pod for uid, pod in self._pods.items() if uid not in pods]
            self._pods = {}
            for pod in pods.values():
                self._keep(pod)
            self._cond.notify_all()
        for pod in vanished:
            self._report_gone(pod)
        for pod in pods.values():
            if pod.metadata.deletion_timestamp is not None:
                self._report_gone(pod)
        return str(listing.metadata.resource_version)

    def _watch_once(self, version: str) -> str:
        """Apply the events after `version` for one watch request; "" when a list is needed."""
        watch = self._ns.watch_module.Watch()
        try:
            for event in watch.stream(
                self._ns.core.list_namespaced_pod,
                self._ns.name,
                label_selector=COMPONENT_LABEL,
                resource_version=version,
                timeout_seconds=WATCH_SLICE_S,
            ):
                pod = event["object"]
                with self._cond:
                    if event["type"] == "DELETED":
                        self._pods.pop(pod.metadata.uid, None)
                    else:
                        self._keep(pod)
                    self._cond.notify_all()
                if event["type"] == "DELETED" or pod.metadata.deletion_timestamp is not None:
                    self._report_gone(pod)
                version = str(pod.metadata.resource_version)
                if self._stopping.is_set():
                    break
        except api.api_exception() as exc:
            if api.is_status(exc, 410):  # our version is too old: list again
                return ""
            raise
        finally:
            watch.stop()
        return version

    def _report_gone(self, pod: Any) -> None:
        with self._cond:
            if pod.metadata.uid in self._gone:
                return
            self._gone.add(pod.metadata.uid)
        if self._on_gone is not None:
            with contextlib.suppress(Exception):  # a listener's failure must not end the watch
                self._on_gone(component_of(pod), str(pod.metadata.name))
