"""Every frontend page of the manifest checked in Chromium, browser start included.

    python benchmarks/bench_pages.py [--runs N] [--concurrency C]

Starts one local sandbox (seeded), then times N checks of the 17 pages (with --with-details the
detail views too), each with a new browser (launch, tabs, every page, close), and prints each run
and the median. Target on a 2-core machine: the 17 pages in at most 3 s (median of 5).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from pytest_stonks_sandbox._backends.local.backend import LocalBackend
from pytest_stonks_sandbox._measure.histograms import LatencyRecorder
from pytest_stonks_sandbox._pages.browser import find_browser
from pytest_stonks_sandbox._pages.checker import DEFAULT_CONCURRENCY, PageChecker
from pytest_stonks_sandbox._plugin.pages import read_manifest
from pytest_stonks_sandbox._plugin.routefetch import fetch_route_templates
from pytest_stonks_sandbox._seeding.seeder import seed
from pytest_stonks_sandbox._settings.config import new_run_id
from pytest_stonks_sandbox._settings.project import load_project

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    parser.add_argument(
        "--browser", default="", help="the Chromium binary (default: as the plugin)"
    )
    parser.add_argument(
        "--with-details", action="store_true", help="the detail views too, not only the 17 pages"
    )
    args = parser.parse_args()
    project = load_project(ROOT)
    manifest = read_manifest(project)
    assert manifest is not None, "the project declares no page manifest"
    base_dir = Path(tempfile.gettempdir()) / "stonks-sandbox-bench"
    backend = LocalBackend(project, base_dir / new_run_id(), timeout_s=60)
    endpoints = backend.start()
    try:
        seed(endpoints, project)
        routes = fetch_route_templates(endpoints.services)
        base_url = endpoints.service_url(manifest.service)
        browser = find_browser(args.browser)
        pages = [p for p in manifest.pages if args.with_details or p.detail_of is None]
        seconds, starts = [], []
        for index in range(args.runs):
            started = time.perf_counter()
            checker = PageChecker(
                manifest, browser, LatencyRecorder(), Path(tempfile.mkdtemp()), args.concurrency
            )
            try:
                checker.warm()
                checker.wait_started()
                starts.append(time.perf_counter() - started)
                results = checker.check(base_url, routes, pages)
            finally:
                checker.close()
            seconds.append(time.perf_counter() - started)
            failed = [r.name for r in results if not r.passed]
            slowest = max(results, key=lambda r: r.seconds)
            print(
                f"run {index + 1}: {len(results)} pages in {seconds[-1]:.2f} s, "
                f"of which browser start {starts[-1]:.2f} s "
                f"(slowest {slowest.name} {slowest.seconds:.2f} s; failed: {failed or 'none'})"
            )
        print(
            f"all {len(pages)} pages, browser start included: "
            f"median {statistics.median(seconds):.2f} s  "
            f"min {min(seconds):.2f} s  max {max(seconds):.2f} s; "
            f"started beforehand (as in the pipeline, during the tests): median "
            f"{statistics.median(s - b for s, b in zip(seconds, starts, strict=True)):.2f} s"
        )
    finally:
        backend.stop()


if __name__ == "__main__":
    main()
