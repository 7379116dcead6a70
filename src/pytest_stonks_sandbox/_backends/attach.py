"""Attach to a sandbox kept by an earlier run (`--keep`), through its state file."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pytest_stonks_sandbox._backends.evidence import EvidenceFile, log_files
from pytest_stonks_sandbox._backends.probes import tcp_open
from pytest_stonks_sandbox._core.errors import ProvisionError
from pytest_stonks_sandbox._core.jsonfile import write_json
from pytest_stonks_sandbox._core.model import Endpoints
from pytest_stonks_sandbox._measure.memory import PROCESS_PSS, MemoryMeasure, process_tree_pss
from pytest_stonks_sandbox._settings.project import ProjectConfig

if TYPE_CHECKING:
    from pytest_stonks_sandbox._backends.kubernetes.backend import KubernetesBackend
    from pytest_stonks_sandbox._backends.local.backend import LocalBackend


def read_state(path: Path) -> dict[str, Any]:
    """The state file written by a kept run; a clear error when it is missing or broken."""
    hint = "start one with `pytest --sandbox --keep always` (it writes the state file)."
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProvisionError("attach", f"no kept sandbox: {path} does not exist.", hint) from None
    except (OSError, ValueError) as exc:
        raise ProvisionError(
            "attach", f"the state file {path} is unreadable ({exc}).", hint
        ) from exc
    if not isinstance(data, dict) or "endpoints" not in data:
        raise ProvisionError("attach", f"{path} is not a sandbox state file.", hint)
    return data


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80


class AttachBackend:
    """Uses a running sandbox as it is: starts nothing, stops nothing (but for fault injection).

    A kept Kubernetes sandbox is reached through new port-forwards (the kept run's ended with it).
    """

    name = "attach"

    def __init__(self, state_file: Path, project: ProjectConfig, timeout_s: float) -> None:
        self.state_file = state_file
        self.project = project
        self.timeout_s = timeout_s
        self.state: dict[str, Any] = {}
        self._ready: dict[str, float] = {}
        self.cluster: KubernetesBackend | None = None
        self.local: LocalBackend | None = None
        self.swept: list[str] = []

    @property
    def run_id(self) -> str:
        return str(self.state.get("run_id", ""))

    @property
    def run_dir(self) -> str:
        return str(self.state.get("run_dir", ""))

    @property
    def namespace(self) -> str:
        return str(self.state.get("namespace", ""))

    def start(self) -> Endpoints:
        self.state = read_state(self.state_file)
        if self.state.get("backend") == "kubernetes":
            return self._attach_kubernetes()
        endpoints = Endpoints.from_dict(self.state["endpoints"])
        targets = {
            "postgres": endpoints.postgres_dsn,
            "redis": endpoints.redis_url,
            "s3": endpoints.s3_endpoint,
            **endpoints.services,
        }
        for component, url in targets.items():
            started = time.monotonic()
            host, port = _host_port(url)
            if not tcp_open(host, port):
                raise ProvisionError(
                    component,
                    f"the kept sandbox {self.run_id} does not answer on {host}:{port}.",
                    f"it is gone: remove {self.state_file} (or run `pytest --sandbox-gc`) and "
                    "start a new one with `pytest --sandbox --keep always`.",
                )
            self._ready[component] = round(time.monotonic() - started, 4)
        return endpoints

    def _attach_kubernetes(self) -> Endpoints:
        from pytest_stonks_sandbox._backends.kubernetes.backend import KubernetesBackend

        self.cluster = KubernetesBackend(
            self.project,
            self.run_id,
            self.namespace,
            str(self.state.get("image_tag", "")),
            self.timeout_s,
        )
        return self.cluster.attach(self.state)

    def stop(self, wait: bool = True) -> None:
        """The kept sandbox belongs to the run that made it; leave it up (close our forwards)."""
        if self.cluster is not None:
            self.cluster.stop(wait)

    def keep(self) -> dict[str, Any]:
        return self.state

    def readiness(self) -> Mapping[str, float]:
        return self.cluster.readiness() if self.cluster is not None else self._ready

    def forward_counters(self) -> dict[str, dict[str, Any]]:
        """The counters of the port-forwards to a kept namespace (none for local sandboxes)."""
        return self.cluster.forward_counters() if self.cluster is not None else {}

    def memory(self) -> Mapping[str, int]:
        if self.cluster is not None:
            return self.cluster.memory()
        pids = self.state.get("pids", {})
        return {name: process_tree_pss(int(pid)) for name, pid in pids.items()}

    def memory_measures(self) -> Mapping[str, MemoryMeasure]:
        if self.cluster is not None:
            return self.cluster.memory_measures()
        return {name: PROCESS_PSS for name in self.state.get("pids", {})}

    def check_alive(self) -> None:
        """Nothing to watch: the processes are not ours."""

    def secrets(self) -> list[str]:
        if self.cluster is not None:
            return self.cluster.secrets()
        endpoints = self.state.get("endpoints")
        return Endpoints.from_dict(endpoints).secrets() if endpoints else []

    def evidence(self) -> list[EvidenceFile]:
        """The kept sandbox's logs (its run directory's, or its namespace's)."""
        if self.cluster is not None:
            return self.cluster.evidence()
        return log_files(Path(self.run_dir)) if self.run_dir else []

    def fault(self, action: str, component: str) -> None:
        """Act on a kept component as the run that made it would: pods are deleted or scaled
        in the namespace; local processes are stopped by pid and started again in the run dir
        (the state file then records the new pids, for later runs)."""
        if self.cluster is not None:
            self.cluster.fault(action, component)
            return
        local = self._local_backend()
        local.fault(action, component)
        self.state["pids"] = {c.name: c.pid for c in local.components if c.pid is not None}
        write_json(self.state_file, self.state)

    def _local_backend(self) -> LocalBackend:
        if self.local is None:
            from pytest_stonks_sandbox._backends.local.backend import LocalBackend

            if "ports" not in self.state:
                raise ProvisionError(
                    "attach",
                    f"the state file {self.state_file} does not record the sandbox's ports "
                    "(an older plugin kept it), so its components cannot be restarted.",
                    "keep a new one: pytest --sandbox --keep always",
                )
            self.local = LocalBackend.restore(self.project, self.state, self.timeout_s)
        return self.local
