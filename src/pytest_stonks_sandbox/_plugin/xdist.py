"""pytest-xdist glue (registered only when xdist is loaded): one sandbox for all workers.

The controller provisions before the workers start, hands them the sandbox, a fault channel and
the run's test lock through `workerinput`, merges their encoded HDR histograms and load results
from `workeroutput`, and alone tears down and writes the contract. A worker's faults go to the
controller, which owns the processes.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_stonks_sandbox._contract.builder import EXIT_INFRA
from pytest_stonks_sandbox._core.errors import ProvisionError
from pytest_stonks_sandbox._core.model import Sandbox
from pytest_stonks_sandbox._measure.histograms import LatencyRecorder
from pytest_stonks_sandbox._plugin.faultchannel import FaultServer, request_fault
from pytest_stonks_sandbox._plugin.session import SandboxSession

WORKER_INPUT_KEY = "stonks_sandbox"
LATENCY_KEY = "stonks_latency"
LOAD_KEY = "stonks_load"
PAGES_KEY = "stonks_pages"


@dataclass(frozen=True)
class ControllerLink:
    """A worker's view of the controller's sandbox (a `session.Controller`)."""

    sandbox: Sandbox
    fault_url: str
    fault_token: str
    test_lock: Path

    @classmethod
    def of(cls, config: pytest.Config) -> ControllerLink | None:
        """The link in this worker's `workerinput`; None where the controller provisioned none."""
        text = getattr(config, "workerinput", {}).get(WORKER_INPUT_KEY)
        if text is None:
            return None
        data = json.loads(text)
        return cls(
            Sandbox.from_dict(data["sandbox"]),
            data["faults"]["url"],
            data["faults"]["token"],
            Path(data["test_lock"]),
        )

    def fault(self, action: str, component: str) -> None:
        if not self.fault_url:
            raise ProvisionError(component, f"cannot {action} it: the controller has no channel.")
        request_fault(self.fault_url, self.fault_token, action, component)


class XdistBridge:
    """Controller side: provision, configure nodes, serve faults, merge; worker side: ship."""

    def __init__(self, session: SandboxSession) -> None:
        self.session = session
        self.fault_server: FaultServer | None = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """The controller provisions before the workers start."""
        config = session.config
        if not config.pluginmanager.has_plugin("dsession"):
            return
        self.session.record.workers = int(getattr(config.option, "numprocesses", 0) or 0)
        try:
            self.session.provision_or_exit()
            self._open_fault_channel()
        except BaseException:
            # pytest skips pytest_sessionfinish when pytest_sessionstart raises: finish here
            # (an infrastructure failure, Ctrl-C or SIGTERM while provisioning).
            failed = self.session.record.infra_error is not None
            self.pytest_sessionfinish(session)
            self.session.pytest_sessionfinish(
                session, EXIT_INFRA if failed else pytest.ExitCode.INTERRUPTED
            )
            raise
        self.session.begin_tests()

    def _open_fault_channel(self) -> None:
        sandbox = self.session.sandbox
        assert sandbox is not None
        self.fault_server = FaultServer(self.session.fault)
        self.fault_server.start()
        lock = Path(tempfile.gettempdir()) / f"stonks-sandbox-{sandbox.run_id}.lock"
        lock.touch()
        self.session.test_lock = lock

    def pytest_configure_node(self, node: Any) -> None:
        sandbox = self.session.sandbox
        if sandbox is None:
            return
        server = self.fault_server
        node.workerinput[WORKER_INPUT_KEY] = json.dumps(
            {
                "sandbox": sandbox.to_dict(),
                "faults": {
                    "url": server.url if server else "",
                    "token": server.token if server else "",
                },
                "test_lock": str(self.session.test_lock or ""),
            }
        )

    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        output = getattr(node, "workeroutput", None) or {}
        record = self.session.record
        if LATENCY_KEY in output:
            record.latency.merge(LatencyRecorder.decode(output[LATENCY_KEY]))
        record.load.extend(json.loads(output.get(LOAD_KEY, "[]")))
        record.pages.extend(json.loads(output.get(PAGES_KEY, "[]")))

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        config = session.config
        record = self.session.record
        if hasattr(config, "workeroutput"):
            config.workeroutput[LATENCY_KEY] = record.latency.encode()
            config.workeroutput[LOAD_KEY] = json.dumps(record.load)
            config.workeroutput[PAGES_KEY] = json.dumps(record.pages)
            return
        if self.fault_server is not None:
            self.fault_server.stop()
            self.fault_server = None
        if self.session.test_lock is not None:
            self.session.test_lock.unlink(missing_ok=True)
            self.session.test_lock = None
