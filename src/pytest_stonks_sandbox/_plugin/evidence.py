"""Evidence of failures: each test's request id, its server-side lines under its failure, and at
the end of the run the failure bundle and each failed test's log slice in the contract.

Around every test the running test's trace id is set for the plugin's clients (`requestid`); it
is derived from the run id and the node id, so every process of a run (xdist workers get the
controller's run id) and the controller agree on it. A failed test's report gets a section with
the first lines of the local components' logs that carry its trace id. Before teardown the
controller reads every component's logs and state from the backend into the bundle (kept per
`--sandbox-artifacts`), cuts each failed test's slice out of it and adds it to the failure entry.
"""

from __future__ import annotations

import shutil
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import pytest

from pytest_stonks_sandbox._backends.bundle import Bundle, Redactor, limits
from pytest_stonks_sandbox._backends.evidence import lines_since, log_offsets
from pytest_stonks_sandbox._core.model import Sandbox
from pytest_stonks_sandbox._measure.requestid import begin_test, end_test, trace_id

if TYPE_CHECKING:
    from pytest_stonks_sandbox._plugin.session import SandboxSession

TRACE_RUN_KEY = "stonks_trace_run"
SECTION = "stonks-sandbox: server log lines of this test"
TERMINAL_LINES = 5


class EvidencePlugin:
    """Request ids per test, log lines under failures, the bundle and the contract's slices."""

    def __init__(self, session: SandboxSession) -> None:
        self.session = session
        self.offsets: dict[str, int] = {}
        self.bundle: Bundle | None = None
        self.shown: set[str] = set()  # node ids whose lines were shown under their failure

    # --- every process: the running test's id -------------------------------------------
    @property
    def run_id(self) -> str:
        """The run id traces derive from (the controller's, in an xdist worker)."""
        workerinput = getattr(self.session.config, "workerinput", {})
        return str(workerinput.get(TRACE_RUN_KEY) or self.session.cfg.run_id)

    def trace_of(self, nodeid: str) -> str:
        """The trace id that the requests of test `nodeid` carry."""
        return trace_id(self.run_id, nodeid)

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """xdist: workers derive traces from the controller's run id."""
        node.workerinput[TRACE_RUN_KEY] = self.session.cfg.run_id

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        begin_test(self.trace_of(item.nodeid))
        self.offsets = log_offsets(self._run_dir())
        try:
            return (yield)
        finally:
            end_test()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        sandbox = self._sandbox()
        if report.failed and sandbox is not None and sandbox.run_dir:
            trace = self.trace_of(item.nodeid)
            lines = lines_since(sandbox.run_dir, self.offsets, trace)
            if lines:
                redact = Redactor(sandbox.endpoints.secrets()).text
                shown = [f"{component} | {redact(line)}" for component, line in lines]
                more = len(shown) - TERMINAL_LINES
                text = "\n".join(shown[:TERMINAL_LINES])
                if more > 0:
                    text += f"\n... {more} more: the contract's failure entry and the bundle"
                report.sections.append((f"{SECTION} (trace {trace})", text))
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if any(name.startswith(SECTION) for name, _ in report.sections):
            self.shown.add(report.nodeid)

    def _sandbox(self) -> Sandbox | None:
        controller = self.session.controller
        return controller.sandbox if controller is not None else self.session.sandbox

    def _run_dir(self) -> str:
        sandbox = self._sandbox()
        return sandbox.run_dir if sandbox is not None else ""

    # --- the controller: bundle and slices ----------------------------------------------
    def collect(self, code: int) -> None:
        """Before teardown: read the evidence, keep the bundle if asked, slice failed tests.

        Evidence never stands in teardown's way: an error reading or writing it is reported in
        the contract's `artifacts.error` and on the terminal.
        """
        try:
            self._collect(code)
        except Exception as exc:
            self._failed(exc)

    def finish(self) -> None:
        """After teardown: add what it revealed (a slow namespace deletion), write the index."""
        try:
            self._finish()
        except Exception as exc:
            self._failed(exc)

    def _failed(self, exc: Exception) -> None:
        record = self.session.record
        record.artifacts = {**(record.artifacts or {"bundle": None}), "error": str(exc)}
        self.session.progress(f"evidence: could not be collected: {exc}")

    def _collect(self, code: int) -> None:
        session, record = self.session, self.session.record
        cfg = session.cfg
        reason = self._reason(code)
        keep = cfg.artifacts == "always" or (cfg.artifacts == "on-failure" and bool(reason))
        record.artifacts = {"bundle": None, "policy": cfg.artifacts, "reason": reason or None}
        failures = record.tally.failures
        backend = session.backend
        if not keep:
            shutil.rmtree(cfg.bundle_dir, ignore_errors=True)  # an earlier run's
        if backend is None or not (keep or failures):
            return
        self.bundle = bundle = Bundle.create(cfg.bundle_dir if keep else None, backend.secrets())
        bundle.add(backend.evidence())
        traces = {failure["nodeid"]: self.trace_of(failure["nodeid"]) for failure in failures}
        slices = bundle.slices(traces)
        for failure in failures:
            failure["message"] = bundle.redactor.text(failure["message"])
            failure["logs"] = slices[traces[failure["nodeid"]]]

    def _finish(self) -> None:
        bundle, backend, record = self.bundle, self.session.backend, self.session.record
        if bundle is None or bundle.root is None or backend is None or record.artifacts is None:
            return
        bundle.add(backend.evidence())
        about = {"run_id": self.run_id, "backend": backend.name, **record.artifacts}
        bundle.finish(about)
        record.artifacts.update(bundle=str(bundle.root), **bundle.summary(), limits=limits())

    def _reason(self, code: int) -> str:
        """Why this run keeps a bundle on failure ("" when it passed)."""
        record = self.session.record
        if record.infra_error is not None:  # exit code 2 alone may be pytest's "interrupted"
            return "infrastructure error"
        failed = record.tally.failed
        return f"{failed} failed test{'s' * (failed != 1)}" if failed else ""

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        artifacts = self.session.record.artifacts
        if self.session.is_worker or not artifacts:
            return
        if artifacts.get("bundle"):
            size = artifacts.get("bytes", 0) / 1024
            terminalreporter.write_line(
                f"[stonks-sandbox] failure bundle ({artifacts['reason'] or 'always'}): "
                f"{artifacts['bundle']} ({len(artifacts.get('files', []))} files, {size:.0f} KiB)"
            )
        for failure in self.session.record.tally.failures:
            logs = failure.get("logs")
            if not logs or not logs["lines"] or failure["nodeid"] in self.shown:
                continue
            terminalreporter.write_line(
                f"[stonks-sandbox] server log lines of {failure['nodeid']}:"
            )
            for entry in logs["lines"][:TERMINAL_LINES]:
                terminalreporter.write_line(f"    {entry['component']} | {entry['line']}")
