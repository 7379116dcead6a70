"""Frontend pages as pytest items: collected from the page manifest (as pytest collects a
non-Python test file), run after every other test in the `frontend` stage, selectable with -k.

Outside xdist the first page item checks every selected page at once (bounded concurrency in one
browser); each item then reports its own page. Under xdist each worker checks the pages it is
given, on the one shared sandbox.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_stonks_sandbox._contract.builder import EXIT_INFRA
from pytest_stonks_sandbox._core.errors import SandboxError
from pytest_stonks_sandbox._measure.requestid import traceparent
from pytest_stonks_sandbox._pages.browser import find_browser, playwright_api
from pytest_stonks_sandbox._pages.checker import PageChecker
from pytest_stonks_sandbox._pages.manifest import Manifest, PageSpec, load_manifest
from pytest_stonks_sandbox._pages.result import PageResult
from pytest_stonks_sandbox._plugin.faultchannel import sandbox_lock
from pytest_stonks_sandbox._plugin.reuse import seed_constants
from pytest_stonks_sandbox._plugin.session import SandboxSession
from pytest_stonks_sandbox._settings.project import ProjectConfig

OFF_REASON = (
    "the Stonks sandbox is off: run pytest with --sandbox (or --sandbox-reuse) to check the "
    "frontend pages"
)


def read_manifest(project: ProjectConfig, state_file: Path | None = None) -> Manifest | None:
    """The project's page manifest, or None when it declares none (errors are SandboxErrors).
    `state_file`: a kept sandbox's, whose recorded seed ids are used while still current."""
    if project.pages is None:
        return None
    values = {key: str(value) for key, value in seed_constants(project, state_file).items()}
    return load_manifest(project.pages, values, frozenset(s.name for s in project.services))


class PageFailure(Exception):
    """A page check found problems; pytest shows them as the item's failure."""

    def __init__(self, result: PageResult) -> None:
        super().__init__(f"page {result.name} failed: {'; '.join(result.problems)}")
        self.result = result


class PageItem(pytest.Item):
    """One page of the manifest."""

    #: A page needs the sandbox, like a test that asks for the `sandbox` fixture.
    fixturenames = ("sandbox",)
    #: Its time is the frontend stage's, not API validation.
    stage = "frontend"

    def __init__(self, *, spec: PageSpec, pages: PagesPlugin, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.pages = pages

    def runtest(self) -> None:
        result = self.pages.result_for(self)
        if not result.passed:
            raise PageFailure(result)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str:
        if not isinstance(excinfo.value, PageFailure):
            return str(super().repr_failure(excinfo))
        result = excinfo.value.result
        lines = [f"page {result.name} ({result.url}) failed {len(result.problems)} check(s):"]
        lines += [f"  - {problem}" for problem in result.problems]
        for kind, path in result.artifacts.items():
            lines.append(f"  {kind}: {path}")
        return "\n".join(lines)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"page {self.spec.name} {self.spec.path}"


class PageManifestFile(pytest.File):
    """The manifest file: one PageItem per page."""

    def __init__(self, *, manifest: Manifest, pages: PagesPlugin, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.manifest = manifest
        self.pages = pages

    def collect(self) -> Iterator[PageItem]:
        for spec in self.manifest.pages:
            yield PageItem.from_parent(self, name=spec.name, spec=spec, pages=self.pages)


class PagesPlugin:
    """Collects the page items, orders them last, and checks them with one browser."""

    def __init__(self, manifest: Manifest, config: pytest.Config) -> None:
        self.manifest = manifest
        self.config = config
        self.session: SandboxSession | None = None
        self.checker: PageChecker | None = None
        self.results: dict[str, PageResult] = {}
        self.items: list[PageItem] = []
        self.nodeid = _nodeid(manifest.source, config.rootpath)  # the page items' file part

    # --- collection ---------------------------------------------------------------------
    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> Any:
        if file_path.resolve() == self.manifest.source.resolve():
            return PageManifestFile.from_parent(
                parent, path=file_path, manifest=self.manifest, pages=self
            )
        return None

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Pages run after every other test (the frontend stage follows the tests stage)."""
        items.sort(key=lambda item: isinstance(item, PageItem))
        self.items = [item for item in items if isinstance(item, PageItem)]

    # --- running ------------------------------------------------------------------------
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """A new run's page evidence replaces the last one's (the controller or a lone run)."""
        if not hasattr(self.config, "workerinput") and self.session is not None:
            shutil.rmtree(self.session.cfg.artifacts_dir / "pages", ignore_errors=True)

    def preflight(self) -> None:
        """Before anything is provisioned: no Playwright or no Chromium for the selected pages
        is an infra error.

        With pages to check, the browser starts now, in the background, while the tests run.
        """
        if self.session is not None and self.items:
            playwright_api()
            self._checker(self.session).warm()

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        if self.session is not None and nodeid.split("::")[0] == self.nodeid:
            self.session.enter_frontend()

    def result_for(self, item: PageItem) -> PageResult:
        """The item's page result, checking it (and, outside xdist, every selected page)."""
        session = self.session
        if session is None:
            pytest.skip(OFF_REASON)
        if item.spec.name not in self.results:
            sandbox = session.provision_or_exit()
            worker = hasattr(self.config, "workerinput")
            batch = [item] if worker else [i for i in self.items if i.spec.name not in self.results]
            base_url = sandbox.endpoints.service_url(self.manifest.service)
            try:
                checked = self._check(base_url, session, [i.spec for i in batch])
            except SandboxError as exc:
                session.record.infra_error = exc
                pytest.exit(exc.explain(), returncode=EXIT_INFRA)
            for result in checked:
                self.results[result.name] = result
                session.record.pages.append(result.to_dict())
        return self.results[item.spec.name]

    def _check(
        self, base_url: str, session: SandboxSession, specs: list[PageSpec]
    ) -> list[PageResult]:
        """Check under the run's test lock (shared), so no fault test runs meanwhile (xdist)."""
        checker = self._checker(session)
        if session.evidence is not None:
            trace = session.evidence.trace_of
            checker.traces = {i.spec.name: traceparent(trace(i.nodeid)) for i in self.items}
        if session.test_lock is None:
            return checker.check(base_url, session.routes, specs)
        with sandbox_lock(session.test_lock, exclusive=False):
            return checker.check(base_url, session.routes, specs)

    def _checker(self, session: SandboxSession) -> PageChecker:
        if self.checker is None:
            self.checker = PageChecker(
                self.manifest,
                find_browser(session.cfg.browser),
                session.record.latency,
                session.cfg.artifacts_dir,
            )
        return self.checker

    def close(self) -> None:
        """End the browser (at session finish, and on every path out)."""
        if self.checker is not None:
            self.checker.close()
            self.checker = None

    def order(self, entries: list[dict[str, Any]]) -> None:
        """Sort contract page entries in manifest order."""
        rank = {spec.name: index for index, spec in enumerate(self.manifest.pages)}
        entries.sort(key=lambda entry: rank.get(str(entry.get("page")), len(rank)))


def _nodeid(source: Path, rootpath: Path) -> str:
    """The node id pytest gives the manifest file: its path relative to the rootdir."""
    try:
        return source.resolve().relative_to(rootpath).as_posix()
    except ValueError:
        return str(source)
