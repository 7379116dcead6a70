"""Per-request overhead of TimingTransport over a bare httpx.MockTransport.

Run: python benchmarks/bench_timing.py [--requests 20000]

Bare and timed requests alternate so that both see the same machine state;
the overhead is the median (and p95) of the paired differences, measured at
the transport (handle_async_request) and through an httpx.AsyncClient.
Target (tracker issue 4): median overhead <= 10 µs.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import statistics
import time
from collections.abc import Awaitable, Callable

import httpx

from pytest_stonks_sandbox._measure.histograms import LatencyRecorder
from pytest_stonks_sandbox._measure.routes import RouteTemplates
from pytest_stonks_sandbox._measure.timing import TimingTransport

TARGET_US = 10.0
ROUTES = RouteTemplates([f"/api/r{n}/{{item_id}}" for n in range(100)])
PATHS = [f"/api/r{n % 100}/00000000-0000-4000-a100-{n:012d}" for n in range(1000)]


def _handler(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=b'{"ok":true}')


async def _paired(
    bare: Callable[[str], Awaitable[object]],
    timed: Callable[[str], Awaitable[object]],
    requests: int,
) -> tuple[list[int], list[int]]:
    bare_ns: list[int] = []
    timed_ns: list[int] = []
    for i in range(requests):
        path = PATHS[i % len(PATHS)]
        for call, out in ((bare, bare_ns), (timed, timed_ns)):
            start = time.perf_counter_ns()
            await call(path)
            out.append(time.perf_counter_ns() - start)
    return bare_ns, timed_ns


async def _send(
    transport: httpx.AsyncBaseTransport, requests: dict[str, httpx.Request], path: str
) -> httpx.Response:
    return await transport.handle_async_request(requests[path])


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def _report(label: str, bare_ns: list[int], timed_ns: list[int]) -> float:
    overhead = [(t - b) / 1000 for b, t in zip(bare_ns, timed_ns, strict=True)]
    median = statistics.median(overhead)
    print(
        f"{label:<10} bare median {statistics.median(bare_ns) / 1000:7.2f} µs | "
        f"timed median {statistics.median(timed_ns) / 1000:7.2f} µs | "
        f"overhead median {median:6.2f} µs, p95 {_p95(overhead):6.2f} µs"
    )
    return median


async def main(requests: int) -> int:
    mock = httpx.MockTransport(_handler)
    recorder = LatencyRecorder()
    timing = TimingTransport(httpx.MockTransport(_handler), recorder, "bench", ROUTES)

    requests_by_path = {p: httpx.Request("GET", f"http://bench{p}") for p in PATHS}
    bare_transport = functools.partial(_send, mock, requests_by_path)
    timed_transport = functools.partial(_send, timing, requests_by_path)
    await _paired(bare_transport, timed_transport, 1000)  # warm-up
    transport = _report(
        "transport",
        *await _paired(bare_transport, timed_transport, requests),
    )
    async with (
        httpx.AsyncClient(transport=mock, base_url="http://bench") as bare_client,
        httpx.AsyncClient(transport=timing, base_url="http://bench") as timed_client,
    ):
        client = _report("client", *await _paired(bare_client.get, timed_client.get, requests))
    print(
        f"recorded {recorder.total_requests()} requests on {len(recorder.endpoint_rows())} routes"
    )
    worst = max(transport, client)
    verdict = "OK" if worst <= TARGET_US else "OVER TARGET"
    print(f"median overhead {worst:.2f} µs vs target {TARGET_US:.0f} µs: {verdict}")
    return 0 if worst <= TARGET_US else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    raise SystemExit(asyncio.run(main(parser.parse_args().requests)))
