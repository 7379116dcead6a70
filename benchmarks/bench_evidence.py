"""What failure evidence costs: the traceparent header and the services' JSON request line per
request, and copying the failure bundle of a failed local run.

Run: python benchmarks/bench_evidence.py [--runs 5] [--requests 5000] [--no-bundle]

1. client: paired requests through a TimingTransport (over httpx.MockTransport) between tests
   (no header) and inside a test (the traceparent stamped); the cost is the median of the paired
   differences.
2. service: paired requests through the reference services' middleware stack, with and
   without RequestLogMiddleware writing its JSON line to a file, over httpx.ASGITransport.
3. bundle: the full local sandbox of this repository (PostgreSQL, Redis, S3, four services, the
   frontend) after a few thousand traced requests; the time to read every component's log into
   a bundle beside a contract, redact it, cut 50 failed tests' slices and write its index.

Each figure is the median over --runs runs. Targets: header + JSON line <= 20 µs per request;
bundle <= 0.5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from pytest_stonks_sandbox._measure import requestid
from pytest_stonks_sandbox._measure.histograms import LatencyRecorder
from pytest_stonks_sandbox._measure.timing import TimingTransport

REQUEST_TARGET_US = 20.0
BUNDLE_TARGET_S = 0.5
REPO = Path(__file__).resolve().parents[1]
BASE = "http://bench"


def _ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=b'{"ok":true}')


async def _paired(
    off: Callable[[], Awaitable[object]], on: Callable[[], Awaitable[object]], requests: int
) -> float:
    """Median of (on - off) in µs over `requests` alternating pairs."""
    differences = []
    for _ in range(requests):
        start = time.perf_counter_ns()
        await off()
        middle = time.perf_counter_ns()
        await on()
        differences.append((time.perf_counter_ns() - middle) - (middle - start))
    return statistics.median(differences) / 1000


async def client_cost(requests: int) -> float:
    """µs the traceparent adds to one timed request."""
    transport = TimingTransport(httpx.MockTransport(_ok), LatencyRecorder(), "bench")
    trace = requestid.trace_id("bench", "tests/test_bench.py::test_one")

    async def send(traced: bool) -> None:
        request = httpx.Request("GET", "http://bench/api/companies/1")
        if traced:
            requestid.begin_test(trace)
        try:
            await transport.handle_async_request(request)
        finally:
            requestid.end_test()

    await _paired(lambda: send(False), lambda: send(True), 500)
    return await _paired(lambda: send(False), lambda: send(True), requests)


async def service_cost(requests: int) -> float:
    """µs RequestLogMiddleware (parse, echo, one JSON line to a file) adds to one request."""
    from stonks_oracle.common.app import create_app

    with_log = create_app("bench", needs_db=False)
    without_log = create_app("bench", needs_db=False)
    without_log.user_middleware = [
        m for m in without_log.user_middleware if m.cls.__name__ != "RequestLogMiddleware"
    ]
    header = {"traceparent": requestid.traceparent("a" * 32)}
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=with_log), base_url=BASE) as on,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=without_log), base_url=BASE) as off,
    ):
        await _paired(lambda: off.get("/health"), lambda: on.get("/health", headers=header), 300)
        cost = await _paired(
            lambda: off.get("/health"), lambda: on.get("/health", headers=header), requests
        )
    return cost


def bundle_seconds(runs: int, requests: int) -> list[float]:
    """Seconds to collect the bundle of the full local sandbox, once per run."""
    from pytest_stonks_sandbox._backends.bundle import Bundle
    from pytest_stonks_sandbox._backends.local.backend import LocalBackend
    from pytest_stonks_sandbox._settings.project import load_project

    project = load_project(REPO)
    base = Path(tempfile.mkdtemp(prefix="bench-evidence-"))
    os.chmod(base, 0o755)
    backend = LocalBackend(project, base / "run", timeout_s=120)
    endpoints = backend.start()
    try:
        traces = [requestid.trace_id("bench", f"tests/test_x.py::test_{n}") for n in range(50)]
        headers = {project.api_key_header: endpoints.api_key}
        with httpx.Client(headers=headers, timeout=30) as client:
            for n in range(requests):
                url = list(endpoints.services.values())[n % len(endpoints.services)]
                client.get(
                    f"{url}/health", headers={"traceparent": requestid.traceparent(traces[n % 50])}
                )
        seconds = []
        for _ in range(runs):
            out = base / "artifacts" / "sandbox"
            started = time.perf_counter()
            bundle = Bundle.create(out, backend.secrets())
            bundle.add(backend.evidence())
            bundle.slices({str(n): trace for n, trace in enumerate(traces)})
            bundle.finish({"run_id": "bench"})
            seconds.append(time.perf_counter() - started)
        size = bundle.total_bytes / 1024
        print(f"bundle: {len(bundle.files)} files, {size:.0f} KiB, {len(bundle.logs)} logs")
        return seconds
    finally:
        backend.stop()
        import shutil

        shutil.rmtree(base, ignore_errors=True)


async def main(runs: int, requests: int, bundle: bool) -> int:
    os.environ.setdefault("STONKS_API_KEY", "bench-key-0123456789")
    from stonks_oracle.common.logs import configure_logging

    with tempfile.TemporaryDirectory() as tmp, open(Path(tmp) / "svc.log", "a") as log:
        configure_logging("bench", stream=log)  # the services' lines go to a file, as in a run
        client = [await client_cost(requests) for _ in range(runs)]
        service = [await service_cost(requests) for _ in range(runs)]
    header_us, line_us = statistics.median(client), statistics.median(service)
    print(f"client: traceparent per request, median of {runs} runs: {header_us:.2f} µs "
          f"(runs: {', '.join(f'{v:.2f}' for v in client)})")  # fmt: skip
    print(f"service: request log line per request, median of {runs} runs: {line_us:.2f} µs "
          f"(runs: {', '.join(f'{v:.2f}' for v in service)})")  # fmt: skip
    total = header_us + line_us
    ok = total <= REQUEST_TARGET_US
    print(f"header + JSON line: {total:.2f} µs vs target {REQUEST_TARGET_US:.0f} µs: "
          f"{'OK' if ok else 'OVER TARGET'}")  # fmt: skip
    if bundle:
        seconds = bundle_seconds(runs, 3000)
        median = statistics.median(seconds)
        within = median <= BUNDLE_TARGET_S
        print(f"bundle copy of a failed local run, median of {runs}: {median:.3f} s "
              f"(runs: {', '.join(f'{v:.3f}' for v in seconds)}) vs target "
              f"{BUNDLE_TARGET_S} s: {'OK' if within else 'OVER TARGET'}")  # fmt: skip
        ok = ok and within
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--no-bundle", action="store_true", help="skip the local sandbox part")
    args = parser.parse_args()
    raise SystemExit(asyncio.run(main(args.runs, args.requests, not args.no_bundle)))
