"""Checking pages in a real headless Chromium, the way a user sees them.

One browser per process, on a thread of its own with its own event loop (Playwright's async
API; pytest and pytest-asyncio keep the main thread). Pages are checked concurrently, a bounded
number at a time, each in one of a few reused tabs (a browser context with one page each).

For every page: it loads and settles (`<html data-state="ready">`); makes no console error,
uncaught error or failed request; makes every declared API call with a 2xx answer and non-empty
JSON; shows every key field; and has no serious or critical accessibility violation (axe-core)
that the manifest does not allow. Every request is timed into the run's latency recorder. A
failed page leaves a screenshot, its console log and the Playwright trace of a second, traced
check of it (tracing every page would cost a quarter of the stage's time).
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from pytest_stonks_sandbox._core.errors import ProvisionError
from pytest_stonks_sandbox._measure.histograms import LatencyRecorder
from pytest_stonks_sandbox._measure.requestid import HEADER
from pytest_stonks_sandbox._measure.routes import RouteTemplates
from pytest_stonks_sandbox._pages.browser import LAUNCH_ARGS, playwright_api
from pytest_stonks_sandbox._pages.manifest import Manifest, PageSpec
from pytest_stonks_sandbox._pages.result import BLOCKING_IMPACTS, PageResult
from pytest_stonks_sandbox._pages.watch import PageWatch, RequestKeys

# Tabs at once: one per core (benchmarks/bench_pages.py on two cores, headless shell: 2.4 s with
# two tabs, 2.7 s with one, 2.5 s with three).
DEFAULT_CONCURRENCY = max(1, os.cpu_count() or 1)
# In the page, in one round trip: wait until it says it is settled (<html data-state="ready">,
# or "error"; any other state, such as a first "loading", is still on its way) and has loaded,
# then read what the checks need and run axe-core (an init script of the tab).
INSPECT = """async ([selectors, timeoutMs]) => {
  const root = document.documentElement;
  const settled = () => ["ready", "error"].includes(root.dataset.state);
  if (!settled() && !await new Promise(resolve => {
    const watch = new MutationObserver(() => {
      if (settled()) { watch.disconnect(); clearTimeout(timer); resolve(true); }
    });
    watch.observe(root, {attributes: true, attributeFilter: ["data-state"]});
    const timer = setTimeout(() => { watch.disconnect(); resolve(false); }, timeoutMs);
  })) return {settled: false};
  if (document.readyState !== "complete") {
    await new Promise(resolve => addEventListener("load", resolve, {once: true}));
  }
  const n = performance.getEntriesByType("navigation")[0];
  const found = await axe.run(document, {resultTypes: ["violations"]});
  return {
    settled: true, state: root.dataset.state, error: root.dataset.error || "",
    navigation: n ? {ttfb_ms: n.responseStart, dom_content_loaded_ms: n.domContentLoadedEventEnd,
                     load_ms: n.loadEventEnd} : {},
    fields: selectors.map(s => Array.from(document.querySelectorAll(s), e => e.innerText.trim())),
    violations: found.violations.map(
      v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length})),
  };
}"""
CLOSE_TIMEOUT_S = 10.0
T = TypeVar("T")


@cache
def axe_source() -> str:
    """The axe-core build shipped with the plugin (see _pages/vendor/axe-core.VERSION)."""
    vendor = resources.files("pytest_stonks_sandbox").joinpath("_pages/vendor/axe.min.js")
    return vendor.read_text(encoding="utf-8")


class PageChecker:
    """Checks manifest pages in one browser: `warm` starts it, `check` blocks, `close` ends it."""

    def __init__(
        self,
        manifest: Manifest,
        browser: str,
        recorder: LatencyRecorder,
        artifacts_dir: Path,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self.manifest = manifest
        self.base_url = ""
        self.routes: Mapping[str, RouteTemplates] = {}
        self.browser_path = browser
        self.recorder = recorder
        self.artifacts_dir = artifacts_dir
        self.concurrency = concurrency
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="stonks-pages", daemon=True
        )
        self._thread.start()
        self._playwright: Any = None
        self._browser: Any = None
        self._started: Future[asyncio.Queue[_Tab]] | None = None
        #: page name -> its `traceparent`: every request of the page names its test.
        self.traces: Mapping[str, str] = {}

    # --- the caller's side ----------------------------------------------------------------
    def warm(self) -> None:
        """Start the browser in the background (e.g. while the tests run); errors come at check."""
        if self._started is None:
            self._started = asyncio.run_coroutine_threadsafe(self._start(), self._loop)

    def wait_started(self) -> None:
        """Block until the browser and its tabs are up (start errors are raised here)."""
        self.warm()
        assert self._started is not None
        _result(self._started)

    def check(
        self, base_url: str, routes: Mapping[str, RouteTemplates], specs: Sequence[PageSpec]
    ) -> list[PageResult]:
        """Check `specs` at `base_url` concurrently; one result each, in the same order.

        `routes` are the services' route templates, to key each request's latency.
        """
        self.base_url, self.routes = base_url.rstrip("/"), routes
        self.warm()
        future = asyncio.run_coroutine_threadsafe(self._check_all(list(specs)), self._loop)
        try:
            return _result(future)
        except BaseException:
            future.cancel()
            raise

    def close(self) -> None:
        """Close the browser and stop the thread (bounded: a hung browser is left to exit)."""
        if self._loop.is_closed():
            return
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
        try:
            future.result(CLOSE_TIMEOUT_S)
        except Exception:
            future.cancel()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(CLOSE_TIMEOUT_S)
        if not self._thread.is_alive():
            self._loop.close()

    # --- the browser's side ---------------------------------------------------------------
    async def _start(self) -> asyncio.Queue[_Tab]:
        api = playwright_api()
        self._playwright = await api.async_playwright().start()
        try:
            self._browser = await self._playwright.chromium.launch(
                executable_path=self.browser_path, headless=True, args=list(LAUNCH_ARGS)
            )
        except api.Error as exc:
            raise ProvisionError(
                "browser",
                f"Chromium at {self.browser_path} did not start ({str(exc).splitlines()[0]}).",
                f"check that it runs: `{self.browser_path} --headless --no-sandbox --dump-dom "
                "about:blank`.",
            ) from exc
        tabs: asyncio.Queue[_Tab] = asyncio.Queue()
        for tab in await asyncio.gather(*(self._new_tab() for _ in range(self.concurrency))):
            tabs.put_nowait(tab)
        return tabs

    async def _new_tab(self) -> _Tab:
        context = await self._browser.new_context(viewport={"width": 1280, "height": 900})
        # axe-core in every document of the tab, compiled once per context, not sent per page.
        await context.add_init_script(script=axe_source())
        return _Tab(context, await context.new_page())

    async def _check_all(self, specs: list[PageSpec]) -> list[PageResult]:
        assert self._started is not None
        tabs = await asyncio.wrap_future(self._started)

        async def one(spec: PageSpec) -> PageResult:
            tab = await tabs.get()
            try:
                if tab.page.is_closed():  # it crashed: a new tab for the next pages
                    await tab.context.close()
                    tab = await self._new_tab()
                result = await self._check(tab, spec)
                if not result.passed:
                    await self._evidence(tab, spec, result)
                return result
            finally:
                tabs.put_nowait(tab)

        return list(await asyncio.gather(*(one(spec) for spec in specs)))

    async def _shutdown(self) -> None:
        if self._browser is not None:
            await self._browser.close()
        if self._playwright is not None:
            await self._playwright.stop()

    async def _check(self, tab: _Tab, spec: PageSpec, timed: bool = True) -> PageResult:
        api = playwright_api()
        page = tab.page
        result = PageResult(spec.name, spec.path, self.base_url + spec.path)
        started = time.perf_counter()
        deadline = started + self.manifest.timeout_s
        keys = RequestKeys(self.manifest.gateway, self.manifest.service, self.routes)
        watch = PageWatch(result, keys, self.recorder if timed else None)
        watch.attach(page)
        trace = self.traces.get(spec.name)
        await page.set_extra_http_headers({HEADER: trace} if trace else {})
        try:
            await page.goto(result.url, wait_until="domcontentloaded", timeout=_ms_left(deadline))
            await self._inspect(page, spec, result, deadline)
            await watch.quiet(deadline)
        except api.TimeoutError:
            result.problems.append(f"did not load within {self.manifest.timeout_s:g} s")
        except api.Error as exc:
            result.problems.append(f"could not be loaded: {str(exc).splitlines()[0]}")
        await watch.finish()
        watch.detach(page)
        watch.judge(spec)
        result.seconds = time.perf_counter() - started
        result.log = watch.log
        return result

    async def _inspect(
        self, page: Any, spec: PageSpec, result: PageResult, deadline: float
    ) -> None:
        selectors = [key_field.selector for key_field in spec.fields]
        seen = await page.evaluate(INSPECT, [selectors, _ms_left(deadline)])
        if not seen["settled"]:
            result.problems.append(
                f"did not settle within {self.manifest.timeout_s:g} s "
                '(<html data-state="ready"> never set)'
            )
            return
        if seen["state"] != "ready":
            result.problems.append(
                f"reported state {seen['state']!r}: {seen['error']}".rstrip(": ")
            )
        result.navigation = {
            key: round(float(value), 3) for key, value in seen["navigation"].items()
        }
        for key_field, texts in zip(spec.fields, seen["fields"], strict=True):
            found = bool(texts) and (key_field.text is None or key_field.text in texts)
            result.fields.append(
                {"selector": key_field.selector, "text": key_field.text, "found": found}
            )
            if not texts:
                result.problems.append(f"key field {key_field.selector} is not on the page")
            elif not found:
                shown = ", ".join(repr(t) for t in texts[:5])
                result.problems.append(
                    f"key field {key_field} is missing: no element has that text (found {shown})"
                )
        for violation in seen["violations"]:
            allowed = violation["id"] in spec.allow
            result.violations.append({**violation, "allowed": allowed})
            if violation.get("impact") in BLOCKING_IMPACTS and not allowed:
                result.problems.append(
                    f"accessibility: {violation['impact']} violation {violation['id']} "
                    f"({violation['help']}) on {violation['nodes']} element(s)"
                )

    async def _evidence(self, tab: _Tab, spec: PageSpec, result: PageResult) -> None:
        """A failed page: its screenshot and console log, and a trace of a traced re-check."""
        directory = self.artifacts_dir / "pages" / result.name
        directory.mkdir(parents=True, exist_ok=True)
        files = {
            "screenshot": directory / "screenshot.png",
            "console": directory / "console.log",
            "trace": directory / "trace.zip",
        }
        try:
            await tab.page.screenshot(path=str(files["screenshot"]), full_page=True, timeout=5000)
        except playwright_api().Error:
            del files["screenshot"]
        await tab.context.tracing.start(screenshots=True, snapshots=True, title=spec.name)
        again = await self._check(tab, spec, timed=False)
        await tab.context.tracing.stop(path=str(files["trace"]))
        verdict = "failed again" if again.problems else "passed: the failure may be intermittent"
        log = [*result.log, f"[stonks-sandbox] the traced re-check of the page {verdict}"]
        files["console"].write_text("\n".join(log) + "\n", encoding="utf-8")
        result.artifacts = {kind: str(path) for kind, path in files.items()}


@dataclass
class _Tab:
    """A browser context with its one page, reused from page to page."""

    context: Any
    page: Any


def _ms_left(deadline: float) -> float:
    return max((deadline - time.perf_counter()) * 1000.0, 1.0)


def _result(future: Future[T]) -> T:
    """Wait in short slices so that Ctrl-C in the main thread is seen at once."""
    while True:
        try:
            return future.result(0.1)
        except TimeoutError:
            continue
