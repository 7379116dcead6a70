"""pytest-xdist glue (registered only when xdist is loaded): one sandbox for all workers.

The controller provisions before the workers start, hands them the endpoints through
`workerinput`, merges their encoded HDR histograms and load results from `workeroutput`,
and alone tears down and writes the contract.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_stonks_sandbox.histograms import LatencyRecorder
from pytest_stonks_sandbox.session import WORKER_INPUT_KEY, SandboxSession

LATENCY_KEY = "stonks_latency"
LOAD_KEY = "stonks_load"


class XdistBridge:
    """Controller side: configure nodes and merge their output; worker side: ship it."""

    def __init__(self, session: SandboxSession) -> None:
        self.session = session

    def pytest_configure_node(self, node: Any) -> None:
        if self.session.sandbox is not None:
            node.workerinput[WORKER_INPUT_KEY] = self.session.worker_input()

    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        output = getattr(node, "workeroutput", None) or {}
        if LATENCY_KEY in output:
            self.session.recorder.merge(LatencyRecorder.decode(output[LATENCY_KEY]))
        self.session.load_results.extend(json.loads(output.get(LOAD_KEY, "[]")))

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        config = session.config
        if hasattr(config, "workeroutput"):
            config.workeroutput[LATENCY_KEY] = self.session.recorder.encode()
            config.workeroutput[LOAD_KEY] = json.dumps(self.session.load_results)
