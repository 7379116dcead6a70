"""The class plugin that owns one run: deploy -> seed -> tests -> frontend -> teardown -> report."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

import pytest

from pytest_stonks_sandbox._backends.attach import read_state
from pytest_stonks_sandbox._backends.base import Backend, forward_counters
from pytest_stonks_sandbox._backends.factory import make_backend
from pytest_stonks_sandbox._contract.builder import (
    EXIT_FAILED,
    EXIT_INFRA,
    STAGES,
    write_report,
)
from pytest_stonks_sandbox._contract.summary import summary_lines
from pytest_stonks_sandbox._core.errors import ProvisionError, SandboxError
from pytest_stonks_sandbox._core.jsonfile import write_json
from pytest_stonks_sandbox._core.model import Endpoints, Sandbox
from pytest_stonks_sandbox._measure.budgets import ApiValidation
from pytest_stonks_sandbox._measure.memory import MemorySampler
from pytest_stonks_sandbox._measure.routes import RouteTemplates
from pytest_stonks_sandbox._measure.stages import StageClock
from pytest_stonks_sandbox._plugin.early import EarlyDeploy
from pytest_stonks_sandbox._plugin.record import RunRecord
from pytest_stonks_sandbox._plugin.reuse import kept_state, plan_attach, record_seed
from pytest_stonks_sandbox._plugin.routefetch import RouteFetch
from pytest_stonks_sandbox._plugin.signals import Caught, deferred_interrupts
from pytest_stonks_sandbox._plugin.tally import SANDBOX_PROPERTY, add_report
from pytest_stonks_sandbox._plugin.verdict import judge, read_baseline
from pytest_stonks_sandbox._seeding import seeder
from pytest_stonks_sandbox._settings.config import SandboxConfig

#: A stage a signal (Ctrl-C, SIGTERM) stopped.
INTERRUPTED, BY_SIGNAL = "interrupted", "stopped by Ctrl-C or SIGTERM"
SANDBOX_FIXTURES = frozenset(
    {"sandbox", "db", "redis", "s3", "seed_ids", "sandbox_faults", "sandbox_client",
     "sandbox_load", "sandbox_recorder"}
)  # fmt: skip


class Controller(Protocol):
    """An xdist worker's view of the sandbox its controller provisioned."""

    @property
    def sandbox(self) -> Sandbox:
        """The controller's sandbox."""

    @property
    def test_lock(self) -> Path:
        """The run's test lock (shared by tests, exclusive for fault injection)."""

    def fault(self, action: str, component: str) -> None:
        """Have the controller act on a component."""


class Frontend(Protocol):
    """The page checks of the run (`pages.PagesPlugin`), as the session ends them."""

    def preflight(self) -> None:
        """Raise SandboxError when the selected pages cannot be checked (no browser)."""

    def close(self) -> None:
        """End the browser."""

    def order(self, entries: list[dict[str, Any]]) -> None:
        """Sort the contract's page entries in manifest order."""


class Evidence(Protocol):
    """The failure bundle and log slices (`evidence.EvidencePlugin`), around teardown."""

    def collect(self, code: int) -> None:
        """Before teardown: read every component's evidence, slice the failed tests' lines."""

    def finish(self) -> None:
        """After teardown: add what teardown revealed and complete the bundle."""

    def trace_of(self, nodeid: str) -> str:
        """The trace id that the requests of test `nodeid` carry."""


class SandboxSession:
    """Provisions on demand, watches the run, tears down on every path, writes the contract."""

    def __init__(
        self, cfg: SandboxConfig, config: pytest.Config, controller: Controller | None = None
    ) -> None:
        self.cfg = cfg
        self.config = config
        self.is_worker = hasattr(config, "workerinput")
        self.controller = controller
        self.clock = StageClock(STAGES)
        self.record = RunRecord()
        self.backend: Backend | None = None
        self.early: EarlyDeploy | None = None  # the local deploy begun at configure time
        self.sandbox: Sandbox | None = None
        self.routes: Mapping[str, RouteTemplates] = {}
        self.test_lock: Path | None = controller.test_lock if controller else None
        self.document: dict[str, Any] | None = None
        self.html_note: str | None = None  # the terminal's line about the HTML report
        self.frontend: Frontend | None = None
        self.evidence: Evidence | None = None
        self.baseline = None if self.is_worker else read_baseline(cfg)
        self.late_signals = Caught()

    # --- provisioning -------------------------------------------------------------------
    def progress(self, text: str) -> None:
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None and not self.is_worker:
            reporter.write_line(f"[stonks-sandbox] {text}")

    def provision(self) -> Sandbox:
        """Deploy and seed (each a timed stage); raises SandboxError on infrastructure trouble."""
        if self.sandbox is not None:
            return self.sandbox
        if self.controller is not None:
            self.sandbox = self.controller.sandbox
            self.routes = RouteFetch(self.sandbox.endpoints)
            return self.sandbox
        early = self.early
        if early is not None and self.backend is not None:
            backend, start = self.backend, early.result
        else:
            self.backend = backend = make_backend(self.cfg)
            self.clock.begin("deploy")
            start = backend.start
        self.progress(f"deploy: {backend.name} backend, run {self.cfg.run_id} ...")
        try:
            endpoints = start()
        except SandboxError as exc:
            ended = early.ended_at if early else None
            self.clock.end("deploy", "failed", exc.explain(), backend.readiness(), at=ended)
            raise
        except KeyboardInterrupt:
            self.clock.end("deploy", INTERRUPTED, BY_SIGNAL, backend.readiness())
            raise
        ended = early.ended_at if early else None
        seconds = self.clock.end("deploy", components=backend.readiness(), at=ended)
        if backend.swept:
            self.progress(
                f"deploy: removed what killed runs left behind: {', '.join(backend.swept)}"
            )
        ready = ", ".join(f"{name} {sec:.2f}s" for name, sec in backend.readiness().items())
        self.progress(f"deploy: ready in {seconds:.2f} s ({ready})")
        state = read_state(self.cfg.state_file) if backend.name == "attach" else None
        plan = plan_attach(state, self.cfg.project, self.cfg.reseed) if state else None
        if plan is not None and not plan.seed:
            self.clock.skip("seed", plan.reason)
            self.progress(f"seed: skipped: {plan.reason}")
            seed_rows = dict(plan.seed_rows)
        else:
            if plan is not None:
                self.progress(f"seed: {plan.reason}")
            seed_rows = self._seed(endpoints).row_counts()
            if state is not None and self.record.seed is not None:
                record_seed(self.cfg.state_file, state, self.cfg.project, self.record.seed)
        self.sandbox = Sandbox(
            run_id=backend.run_id or self.cfg.run_id,
            backend=backend.name,
            namespace=backend.namespace,
            endpoints=endpoints,
            run_dir=backend.run_dir,
            seed_rows=seed_rows,
        )
        cached = plan.routes if plan is not None else {}
        self.routes = dict(cached) if cached else RouteFetch(endpoints)
        self.record.memory = MemorySampler(
            backend.memory, self.cfg.memory_interval_s, backend.memory_measures
        )
        self.record.memory.start()
        return self.sandbox

    def _seed(self, endpoints: Endpoints) -> seeder.SeedSummary:
        """The seed stage: migrations, rows and objects."""
        self.clock.begin("seed")
        try:
            summary = self.record.seed = seeder.seed(endpoints, self.cfg.project)
        except SandboxError as exc:
            self.clock.end("seed", "failed", exc.explain())
            raise
        except KeyboardInterrupt:
            self.clock.end("seed", INTERRUPTED, BY_SIGNAL)
            raise
        seconds = self.clock.end("seed")
        rows = sum(summary.row_counts().values())
        self.progress(
            f"seed: {rows} rows in {len(summary.tables)} tables, "
            f"{summary.objects} objects in {seconds:.2f} s"
        )
        return summary

    def adopt_early(self, early: EarlyDeploy) -> None:
        """Take over the deploy begun at configure time (`early.begin_early_deploy`):
        `provision` joins it, `pytest_collection_finish` calls it off when no selected test
        needs the sandbox."""
        self.early, self.backend = early, early.backend
        self.clock.begin("deploy", at=early.started_at)

    def _call_off_early(self) -> None:
        """No test needs the sandbox the deploy began for: stop it, as if it had never begun."""
        early, backend = self.early, self.backend
        if early is None or early.joined or backend is None:
            return
        early.halt()
        try:
            backend.stop()
        except SandboxError as exc:
            self.record.infra_error = self.record.infra_error or exc
        early.settled = True
        self.clock.discard("deploy")
        self.early = self.backend = None

    def provision_or_exit(self) -> Sandbox:
        """Provision; an infrastructure failure ends the session with exit code 2."""
        try:
            return self.provision()
        except SandboxError as exc:
            self.record.infra_error = exc
            pytest.exit(exc.explain(), returncode=EXIT_INFRA)

    def uses_sandbox(self, fixturenames: Iterable[str]) -> bool:
        """True when a test asks for any sandbox fixture (including the service clients)."""
        clients = {spec.client for spec in self.cfg.project.services if spec.client}
        return not (SANDBOX_FIXTURES | clients).isdisjoint(fixturenames)

    def fault(self, action: str, component: str) -> None:
        """Act on a component: directly when this process owns the sandbox, else through xdist."""
        if self.backend is not None:
            self.backend.fault(action, component)
        elif self.controller is not None:
            self.controller.fault(action, component)
        else:
            raise ProvisionError(component, f"cannot {action} it: this process owns no sandbox.")

    def begin_tests(self) -> None:
        if not self.is_worker:
            self.clock.begin("tests")

    def enter_frontend(self) -> None:
        """The first page check starts: the tests stage ends, the frontend stage begins."""
        if self.is_worker or self.clock.is_open("frontend"):
            return
        self._end_tests()
        self.clock.begin("frontend")

    def _end_tests(self, interrupted: bool = False) -> None:
        if self.clock.is_open("tests"):
            failed = self.record.tally.failed
            if interrupted:
                self.clock.end("tests", INTERRUPTED, BY_SIGNAL)
                self.progress(f"tests: interrupted after {self.record.tally.counts['total']}")
                return
            seconds = self.clock.end("tests", "failed" if failed else "passed")
            total = self.record.tally.counts["total"]
            self.progress(f"tests: {total} run, {failed} failed in {seconds:.2f} s")

    def _end_frontend(self, interrupted: bool = False) -> None:
        pages = self.record.pages
        if self.frontend is not None:
            self.frontend.close()
            self.frontend.order(pages)
        if not self.clock.is_open("frontend"):
            reason = "no page was run" if self.frontend else "no frontend pages are declared"
            self.clock.skip("frontend", reason)
            return
        failed = sum(1 for page in pages if page["status"] != "passed")
        detail = f"{len(pages)} page{'s' * (len(pages) != 1)}, {failed} failed"
        if interrupted:
            status, detail = INTERRUPTED, f"{BY_SIGNAL} after {detail}"
        else:
            status = "failed" if failed else "passed"
        seconds = self.clock.end("frontend", status, detail)
        self.progress(f"frontend: {detail} in {seconds:.2f} s")

    # --- hooks --------------------------------------------------------------------------
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Mark the tests whose time is API validation: they use the sandbox (pages do not count:
        their time is the frontend stage's)."""
        for item in items:
            uses = self.uses_sandbox(getattr(item, "fixturenames", ()))
            if uses and getattr(item, "stage", "tests") == "tests":
                item.user_properties.append(SANDBOX_PROPERTY)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """A deploy begun at start-up is called off when no selected test will use it. When
        collection ends with an exception (pytest calls this hook then too: Ctrl-C, SIGTERM, a
        usage error), the session's finish decides."""
        if self.early is None or sys.exc_info()[1] is not None:
            return
        broken = session.testsfailed and not session.config.option.continue_on_collection_errors
        if broken or not self.needs_sandbox(session.items):
            self._call_off_early()

    def needs_sandbox(self, items: Iterable[pytest.Item]) -> bool:
        return any(self.uses_sandbox(getattr(item, "fixturenames", ())) for item in items)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        if session.config.option.collectonly or self.config.pluginmanager.has_plugin("dsession"):
            return
        if session.testsfailed and not session.config.option.continue_on_collection_errors:
            return
        if self.frontend is not None:
            try:
                self.frontend.preflight()
            except SandboxError as exc:
                self.record.infra_error = exc
                pytest.exit(exc.explain(), returncode=EXIT_INFRA)
        if self.needs_sandbox(session.items):
            self.provision_or_exit()
        self.begin_tests()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not self.is_worker:
            add_report(self.record.tally, report)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if not self.is_worker:
            add_report(self.record.tally, report)

    def pytest_runtest_logfinish(self) -> None:
        """A component that died during the run ends it as an infrastructure failure."""
        if self.backend is None or self.record.infra_error is not None:
            return
        try:
            self.backend.check_alive()
        except SandboxError as exc:
            self.record.infra_error = exc
            pytest.exit(exc.explain(), returncode=EXIT_INFRA)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Teardown and the contract always finish: a signal meanwhile is only noted."""
        if self.is_worker:
            return
        with deferred_interrupts() as self.late_signals:
            self._finish(session, exitstatus)

    def _finish(self, session: pytest.Session, exitstatus: int) -> None:
        record = self.record
        stopped = exitstatus == pytest.ExitCode.INTERRUPTED and record.infra_error is None
        # pytest reports broken test modules as "interrupted"; they are test failures here.
        collect_errors = record.tally.collect_errors
        interrupted = stopped and not collect_errors
        self._end_early(interrupted)
        self._end_tests(interrupted)
        self._end_frontend(interrupted)
        if record.memory is not None:
            record.memory.stop()
        code = EXIT_FAILED if stopped and collect_errors else int(exitstatus)
        if self.evidence is not None and not interrupted:  # a signal ends the run at once
            self.evidence.collect(code)
        if self.backend is not None:
            record.forwards = forward_counters(self.backend) or None
        self._teardown(code, interrupted)
        if self.early is not None:
            self.early.settled = True
        if self.evidence is not None:
            self.evidence.finish()
        if self.late_signals.count and not interrupted:
            interrupted, code = True, int(pytest.ExitCode.INTERRUPTED)
        if record.infra_error is not None:
            code = EXIT_INFRA
        validation = ApiValidation(record.tally.sandbox_seconds, record.tally.sandbox_tests)
        sandbox = self.sandbox
        identity = (
            sandbox.run_id if sandbox else self.cfg.run_id,
            self.cfg.backend,
            sandbox.namespace if sandbox else self.cfg.namespace,
            self.cfg.image_tag,
        )
        facts = record.facts(identity, self.clock, code, interrupted)
        self.document = judge(self.cfg, facts, self.clock.seconds(), validation, self.baseline)
        write_report(self.cfg.results_path, self.document)
        session.exitstatus = self.document["exit_code"]
        self._write_html(self.document)

    def _end_early(self, interrupted: bool) -> None:
        """A deploy begun at start-up that no test joined: a signal stopped it (torn down as a
        deploy that was interrupted), or the run ended before any test (called off)."""
        early, backend = self.early, self.backend
        if early is None or early.joined or backend is None:
            return
        if not interrupted:
            self._call_off_early()
            return
        early.halt()
        status, detail = ("passed", "") if early.succeeded else (INTERRUPTED, BY_SIGNAL)
        self.clock.end("deploy", status, detail, backend.readiness(), at=early.ended_at)

    def _write_html(self, document: dict[str, Any]) -> None:
        """The HTML report beside the contract; a report that cannot be written is said on the
        terminal and never changes the run's exit code."""
        path = self.cfg.html_path
        if path is None:
            return
        from pytest_stonks_sandbox._report.files import write_html  # Jinja2 only when asked for

        try:
            write_html(document, path, self.cfg.results_path.parent)
        except Exception as exc:  # the report is a view of the contract: never fail the run
            self.html_note = f"report: not written to {path}: {type(exc).__name__}: {exc}"
        else:
            self.html_note = f"report: {path}"

    def _teardown(self, code: int, interrupted: bool = False) -> None:
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
        signals_before = self.late_signals.count
        try:
            self.backend.stop(wait=not interrupted)
        except SandboxError as exc:
            self.record.infra_error = self.record.infra_error or exc
            self.clock.end("teardown", "failed", exc.explain())
            self.progress(f"teardown: failed: {exc.explain()}")
            return
        detail = "left the kept sandbox running" if self.backend.name == "attach" else "removed"
        # A signal during teardown (noted, see pytest_sessionfinish) marks the stage.
        status = "passed"
        if self.late_signals.count > signals_before:
            status, detail = INTERRUPTED, f"{detail}; a signal arrived, teardown finished first"
        seconds = self.clock.end("teardown", status, detail)
        self.progress(f"teardown: {detail} in {seconds:.2f} s")

    def _keep(self) -> None:
        assert self.backend is not None and self.sandbox is not None
        state = {
            **self.backend.keep(),
            **kept_state(self.cfg.project, self.record.seed, self.routes),
            "run_id": self.sandbox.run_id,
            "namespace": self.sandbox.namespace,
            "created_at": self.record.started_at,
        }
        write_json(self.cfg.state_file, state, private=True)
        self.record.kept = {
            "state_file": str(self.cfg.state_file),
            "run_dir": str(self.cfg.run_dir),
        }

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.document is None:
            return
        terminalreporter.section("stonks sandbox")
        notes = [self.html_note] if self.html_note else []
        for line in summary_lines(self.document, str(self.cfg.results_path), notes):
            terminalreporter.write_line(line)
