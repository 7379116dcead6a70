"""The class plugin that owns one run: deploy -> seed -> tests -> frontend -> teardown -> report."""

from __future__ import annotations

import json
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_stonks_sandbox import seeding
from pytest_stonks_sandbox.backends.attach import AttachBackend
from pytest_stonks_sandbox.backends.base import Backend
from pytest_stonks_sandbox.backends.probes import http_json
from pytest_stonks_sandbox.budgets import breaches, evaluate_budgets
from pytest_stonks_sandbox.config import SandboxConfig
from pytest_stonks_sandbox.errors import ProvisionError, SandboxError
from pytest_stonks_sandbox.faultcontrol import FaultServer, request_fault
from pytest_stonks_sandbox.histograms import LatencyRecorder
from pytest_stonks_sandbox.jsonfile import write_json
from pytest_stonks_sandbox.memory import MemorySampler
from pytest_stonks_sandbox.model import Endpoints, Sandbox
from pytest_stonks_sandbox.report import (
    EXIT_FAILED,
    EXIT_INFRA,
    EXIT_PASSED,
    RunFacts,
    build_report,
    environment,
    write_report,
)
from pytest_stonks_sandbox.routes import RouteTemplates
from pytest_stonks_sandbox.stages import StageClock
from pytest_stonks_sandbox.summary import summary_lines
from pytest_stonks_sandbox.timing import TimingTransport

SANDBOX_FIXTURES = frozenset(
    {"sandbox", "db", "redis", "s3", "seed_ids", "sandbox_faults", "sandbox_client",
     "sandbox_load", "sandbox_recorder"}
)  # fmt: skip
WORKER_INPUT_KEY = "stonks_sandbox"


def make_backend(cfg: SandboxConfig) -> Backend:
    """The backend the configuration asks for."""
    if cfg.backend == "attach":
        return AttachBackend(cfg.state_file, cfg.project, cfg.timeout_s)
    if cfg.backend == "local":
        from pytest_stonks_sandbox.backends.local import LocalBackend

        return LocalBackend(cfg.project, cfg.run_dir, cfg.timeout_s)
    from pytest_stonks_sandbox.backends.kubernetes import KubernetesBackend

    return KubernetesBackend(cfg.project, cfg.run_id, cfg.namespace, cfg.image_tag, cfg.timeout_s)


class SandboxSession:
    """Provisions on demand, watches the run, tears down on every path, writes the contract."""

    def __init__(self, cfg: SandboxConfig, config: pytest.Config) -> None:
        self.cfg = cfg
        self.config = config
        self.clock = StageClock()
        self.recorder = LatencyRecorder()
        self.started_at = time.time()
        self.backend: Backend | None = None
        self.sandbox: Sandbox | None = None
        self.seed_summary: seeding.SeedSummary | None = None
        self.infra_error: SandboxError | None = None
        self.routes: dict[str, RouteTemplates] = {}
        self.memory: MemorySampler | None = None
        self.tally: Counter[str] = Counter()
        self.failures: list[dict[str, str]] = []
        self.load_results: list[dict[str, Any]] = []
        self.pages: list[dict[str, Any]] = []
        self.kept: dict[str, str] | None = None
        self.document: dict[str, Any] | None = None
        self.is_worker = hasattr(config, "workerinput")
        self.fault_server: FaultServer | None = None
        self.fault_channel: tuple[str, str] | None = None
        self.test_lock: Path | None = None
        self.workers = 0

    # --- provisioning -------------------------------------------------------------------
    def progress(self, text: str) -> None:
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None and not self.is_worker:
            reporter.write_line(f"[stonks-sandbox] {text}")

    def provision(self) -> Sandbox:
        """Deploy and seed (each a timed stage); raises SandboxError on infrastructure trouble."""
        if self.sandbox is not None:
            return self.sandbox
        if self.is_worker:
            return self._attach_from_controller()
        self.backend = backend = make_backend(self.cfg)
        self.progress(f"deploy: {backend.name} backend, run {self.cfg.run_id} ...")
        self.clock.begin("deploy")
        try:
            endpoints = backend.start()
        except SandboxError as exc:
            self.clock.end("deploy", "failed", exc.explain(), backend.readiness())
            raise
        seconds = self.clock.end("deploy", components=backend.readiness())
        swept = getattr(backend, "swept", [])
        if swept:
            self.progress(f"deploy: removed what killed runs left behind: {', '.join(swept)}")
        ready = ", ".join(f"{name} {sec:.2f}s" for name, sec in backend.readiness().items())
        self.progress(f"deploy: ready in {seconds:.2f} s ({ready})")
        self.clock.begin("seed")
        try:
            self.seed_summary = seeding.seed(endpoints, self.cfg.project)
        except SandboxError as exc:
            self.clock.end("seed", "failed", exc.explain())
            raise
        seconds = self.clock.end("seed")
        rows = sum(self.seed_summary.row_counts().values())
        self.progress(
            f"seed: {rows} rows in {len(self.seed_summary.tables)} tables, "
            f"{self.seed_summary.objects} objects in {seconds:.2f} s"
        )
        run_id = getattr(backend, "run_id", "") or self.cfg.run_id
        namespace = getattr(backend, "namespace", "") or self.cfg.namespace
        self.sandbox = Sandbox(
            run_id=run_id,
            backend=backend.name,
            namespace=namespace,
            endpoints=endpoints,
            run_dir=getattr(backend, "run_dir", "") or str(self.cfg.run_dir),
            seed_rows=self.seed_summary.row_counts(),
        )
        self.routes = fetch_route_templates(endpoints)
        self.memory = MemorySampler(backend.memory, self.cfg.memory_interval_s)
        self.memory.start()
        return self.sandbox

    def provision_or_exit(self) -> Sandbox:
        """Provision; an infrastructure failure ends the session with exit code 2."""
        try:
            return self.provision()
        except SandboxError as exc:
            self.infra_error = exc
            pytest.exit(exc.explain(), returncode=EXIT_INFRA)

    def _attach_from_controller(self) -> Sandbox:
        data = json.loads(self.config.workerinput[WORKER_INPUT_KEY])  # type: ignore[attr-defined]
        self.sandbox = Sandbox.from_dict(data["sandbox"])
        self.routes = fetch_route_templates(self.sandbox.endpoints)
        self.fault_channel = (data["faults"]["url"], data["faults"]["token"])
        self.test_lock = Path(data["test_lock"])
        return self.sandbox

    def open_fault_channel(self) -> None:
        """Controller under xdist: serve workers' fault requests; create the run's test lock."""
        assert self.sandbox is not None
        self.fault_server = FaultServer(self.fault)
        self.fault_server.start()
        self.test_lock = Path(tempfile.gettempdir()) / f"stonks-sandbox-{self.sandbox.run_id}.lock"
        self.test_lock.touch()

    def close_fault_channel(self) -> None:
        if self.fault_server is not None:
            self.fault_server.stop()
            self.fault_server = None
        if self.test_lock is not None and not self.is_worker:
            self.test_lock.unlink(missing_ok=True)

    def uses_sandbox(self, fixturenames: Iterable[str]) -> bool:
        """True when a test asks for any sandbox fixture (including the service clients)."""
        clients = {spec.client for spec in self.cfg.project.services if spec.client}
        return not (SANDBOX_FIXTURES | clients).isdisjoint(fixturenames)

    def worker_input(self) -> str:
        """What an xdist worker needs to use the controller's sandbox."""
        assert self.sandbox is not None
        return json.dumps(
            {
                "sandbox": self.sandbox.to_dict(),
                "faults": {
                    "url": self.fault_server.url if self.fault_server else "",
                    "token": self.fault_server.token if self.fault_server else "",
                },
                "test_lock": str(self.test_lock or ""),
            }
        )

    def client(
        self,
        service: str,
        *,
        timed: bool = True,
        headers: dict[str, str] | None = None,
        timeout: float = 30.0,
        **kwargs: Any,
    ) -> httpx.AsyncClient:
        """An AsyncClient for one service: base URL, API key (unless `headers` is given), timed."""
        sandbox = self.provision_or_exit()
        if headers is None:
            headers = {self.cfg.project.api_key_header: sandbox.endpoints.api_key}
        transport: httpx.AsyncBaseTransport = httpx.AsyncHTTPTransport(
            limits=kwargs.pop("limits", httpx.Limits())
        )
        if timed:
            transport = TimingTransport(transport, self.recorder, service, self.routes.get(service))
        return httpx.AsyncClient(
            base_url=sandbox.endpoints.service_url(service),
            headers=headers,
            timeout=timeout,
            transport=transport,
            **kwargs,
        )

    def fault(self, action: str, component: str) -> None:
        """Act on a component: directly in the controller, through it from an xdist worker."""
        if self.backend is not None:
            self.backend.fault(action, component)
        elif self.fault_channel is not None and self.fault_channel[0]:
            request_fault(*self.fault_channel, action, component)
        else:
            raise ProvisionError(component, f"cannot {action} it: this process owns no sandbox.")

    # --- hooks --------------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Under xdist the controller provisions before the workers start."""
        if not self.config.pluginmanager.has_plugin("dsession"):
            return
        self.workers = int(getattr(self.config.option, "numprocesses", 0) or 0)
        try:
            self.provision_or_exit()
            self.open_fault_channel()
        except BaseException:
            # pytest skips pytest_sessionfinish when pytest_sessionstart raises: finish here
            # (an infrastructure failure, Ctrl-C or SIGTERM while provisioning).
            code = EXIT_INFRA if self.infra_error is not None else pytest.ExitCode.INTERRUPTED
            self.pytest_sessionfinish(session, code)
            raise
        self.clock.begin("tests")

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        if session.config.option.collectonly or self.config.pluginmanager.has_plugin("dsession"):
            return
        if session.testsfailed and not session.config.option.continue_on_collection_errors:
            return
        if any(self.uses_sandbox(getattr(item, "fixturenames", ())) for item in session.items):
            self.provision_or_exit()
        if not self.is_worker:
            self.clock.begin("tests")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not self.is_worker:
            self._count(report)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed and not self.is_worker:
            self.tally["errors"] += 1
            self.failures.append(
                {"nodeid": report.nodeid, "when": "collect", "message": _message(report)}
            )

    def _count(self, report: pytest.TestReport) -> None:
        """One outcome per test (plus an error for a failing teardown), as pytest counts them."""
        xfail = hasattr(report, "wasxfail")
        if report.when == "call":
            if xfail:
                outcome = "xpassed" if report.passed else "xfailed"
            else:
                outcome = report.outcome if report.outcome != "skipped" else "skipped"
        elif report.failed:
            outcome = "errors"
        elif report.skipped:
            outcome = "xfailed" if xfail else "skipped"
        else:
            return
        self.tally[outcome] += 1
        if report.when != "teardown":
            self.tally["total"] += 1
        if report.failed:
            self.failures.append(
                {"nodeid": report.nodeid, "when": report.when, "message": _message(report)}
            )

    def pytest_runtest_logfinish(self) -> None:
        """A component that died during the run ends it as an infrastructure failure."""
        if self.backend is None or self.infra_error is not None:
            return
        try:
            self.backend.check_alive()
        except SandboxError as exc:
            self.infra_error = exc
            pytest.exit(exc.explain(), returncode=EXIT_INFRA)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.is_worker:
            return
        stopped = exitstatus == pytest.ExitCode.INTERRUPTED and self.infra_error is None
        # pytest reports broken test modules as "interrupted"; they are test failures here.
        collect_errors = any(failure["when"] == "collect" for failure in self.failures)
        interrupted = stopped and not collect_errors
        if self.clock.is_open("tests"):
            failed = self.tally["failed"] + self.tally["errors"]
            seconds = self.clock.end("tests", "failed" if failed else "passed")
            self.progress(f"tests: {self.tally['total']} run, {failed} failed in {seconds:.2f} s")
        self.clock.skip("frontend", "no frontend pages are declared")
        if self.memory is not None:
            self.memory.stop()
        self.close_fault_channel()
        code = EXIT_FAILED if stopped and collect_errors else int(exitstatus)
        self._teardown(code)
        if self.infra_error is not None:
            code = EXIT_INFRA
        budgets = evaluate_budgets(self.clock.seconds(), self.load_results)
        if self.cfg.enforce_budgets and breaches(budgets) and code == EXIT_PASSED:
            code = EXIT_FAILED
        self.document = build_report(self._facts(code, interrupted, budgets))
        write_report(self.cfg.results_path, self.document)
        session.exitstatus = code

    def _teardown(self, code: int) -> None:
        if self.backend is None:
            self.clock.skip("teardown", "nothing was provisioned")
            return
        self.clock.begin("teardown")
        keep = self.cfg.keep == "always" or (self.cfg.keep == "on-failure" and code != 0)
        if keep and self.sandbox is not None and self.backend.name != "attach":
            self._keep()
            detail = f"kept: attach with --sandbox-reuse {self.cfg.state_file}"
            self.clock.end("teardown", "kept", detail)
            self.progress(f"teardown: {detail}")
            return
        try:
            self.backend.stop()
        except SandboxError as exc:
            self.infra_error = self.infra_error or exc
            self.clock.end("teardown", "failed", exc.explain())
            self.progress(f"teardown: failed: {exc.explain()}")
            return
        detail = "left the kept sandbox running" if self.backend.name == "attach" else "removed"
        seconds = self.clock.end("teardown", detail=detail)
        self.progress(f"teardown: {detail} in {seconds:.2f} s")

    def _keep(self) -> None:
        assert self.backend is not None and self.sandbox is not None
        state = {
            **self.backend.keep(),
            "run_id": self.sandbox.run_id,
            "namespace": self.sandbox.namespace,
            "created_at": self.started_at,
        }
        write_json(self.cfg.state_file, state)
        self.kept = {"state_file": str(self.cfg.state_file), "run_dir": str(self.cfg.run_dir)}

    def _facts(self, code: int, interrupted: bool, budgets: list[dict[str, Any]]) -> RunFacts:
        error = self.infra_error
        return RunFacts(
            run_id=self.sandbox.run_id if self.sandbox else self.cfg.run_id,
            backend=self.cfg.backend,
            namespace=self.sandbox.namespace if self.sandbox else self.cfg.namespace,
            image_tag=self.cfg.image_tag,
            started_at=self.started_at,
            finished_at=time.time(),
            exit_code=code,
            interrupted=interrupted,
            infra_error=(
                {
                    "phase": error.phase,
                    "component": error.component,
                    "message": error.message,
                    "hint": error.hint,
                }
                if error
                else None
            ),
            kept=self.kept,
            tests=dict(self.tally),
            failures=self.failures,
            stages=self.clock.snapshot(),
            endpoints=self.recorder.endpoint_rows(),
            requests_total=self.recorder.total_requests(),
            memory=self.memory.summary() if self.memory else {},
            seed=self.seed_summary.to_dict() if self.seed_summary else None,
            load=self.load_results,
            pages=self.pages,
            budgets=budgets,
            environment=environment(self.workers),
        )

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.document is None:
            return
        terminalreporter.section("stonks sandbox")
        for line in summary_lines(self.document, str(self.cfg.results_path)):
            terminalreporter.write_line(line)


def _message(report: pytest.TestReport | pytest.CollectReport) -> str:
    """The short failure message: the crash line of the traceback, else the first lines."""
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message)[:2000]
    return str(report.longrepr)[:2000]


def fetch_route_templates(endpoints: Endpoints) -> dict[str, RouteTemplates]:
    """Each service's route templates from its /openapi.json (skipped when it has none)."""
    templates = {}
    for name, url in endpoints.services.items():
        try:
            document = http_json(f"{url}/openapi.json")
        except (OSError, ValueError):
            continue
        templates[name] = RouteTemplates.from_openapi(document)
    return templates
