"""The Backend protocol: local, Kubernetes and attach implement one small interface."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Protocol, get_args

from pytest_stonks_sandbox._backends.evidence import EvidenceFile
from pytest_stonks_sandbox._core.model import Endpoints
from pytest_stonks_sandbox._measure.memory import MemoryMeasure

FaultAction = Literal["stop", "start", "restart"]
FAULT_ACTIONS: tuple[FaultAction, ...] = get_args(FaultAction)


class Backend(Protocol):
    """Start a sandbox, describe it, inject faults into it, and stop it.

    The properties describe the sandbox once `start` has returned.
    """

    @property
    def name(self) -> str:
        """local, kubernetes or attach."""

    @property
    def run_id(self) -> str:
        """The sandbox's run id (an attached sandbox keeps the id of the run that made it)."""

    @property
    def namespace(self) -> str:
        """Its Kubernetes namespace; "" where there is none."""

    @property
    def run_dir(self) -> str:
        """Its run directory on this machine; "" where there is none."""

    @property
    def swept(self) -> list[str]:
        """What `start` removed of runs killed earlier on this host (run dirs, namespaces)."""

    def start(self) -> Endpoints:
        """Provision every component in parallel and return how to reach them."""

    def stop(self, wait: bool = True) -> None:
        """Remove everything `start` created; safe to call twice or after a failed start.

        `wait=False` (after an interrupt) returns once removal is under way and can no longer
        be undone, without waiting for the cluster to finish it.
        """

    def keep(self) -> dict[str, Any]:
        """Leave the sandbox running; return the state an attaching run needs."""

    def readiness(self) -> Mapping[str, float]:
        """Seconds from the start of deployment until each component was ready."""

    def memory(self) -> Mapping[str, int]:
        """Current memory in bytes of each component (PSS locally, pod memory on Kubernetes)."""

    def memory_measures(self) -> Mapping[str, MemoryMeasure]:
        """What each component's figure of `memory` is and where it was read."""

    def check_alive(self) -> None:
        """Raise ComponentCrashed if a component died without being stopped on purpose."""

    def fault(self, action: str, component: str) -> None:
        """Stop, start or restart one component for a resilience test."""

    def secrets(self) -> list[str]:
        """The run's credentials (known from the start of `start`): never put in evidence."""

    def evidence(self) -> list[EvidenceFile]:
        """What can be read now of every component's logs and state, for a failure bundle.

        Called before teardown and again after it (a slow namespace deletion is known only
        then); a failed `start` keeps what it could read before it cleaned up.
        """


def forward_counters(backend: object) -> dict[str, dict[str, Any]]:
    """Per component, what its port-forward counted (connections, reconnects, failures,
    last_error); empty for a backend that reaches its components without forwards."""
    counters = getattr(backend, "forward_counters", None)
    return dict(counters()) if callable(counters) else {}
