"""Bounded concurrent load against a service (reference 004's stress tests).

``concurrency`` workers share one client and issue requests back to back until
either ``max_requests`` have been started or ``duration_s`` has elapsed;
requests in flight at the deadline are allowed to finish (the client's timeout
bounds them). Latencies go into an HDR histogram of :mod:`.histograms`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import httpx

from pytest_stonks_sandbox._measure.histograms import latency_summary, new_histogram, record_us


class MakeRequest(Protocol):
    """Makes request number `i` (from 0) with the load's client, e.g. `lambda c, i: c.get("/")`."""

    def __call__(self, client: httpx.AsyncClient, i: int, /) -> Awaitable[httpx.Response]:
        """Send one request; its response (or an httpx error) is counted."""


@dataclass(frozen=True)
class LoadResult:
    """Outcome of one :func:`run_load`; errors are transport errors and 5xx, 429 is apart."""

    name: str
    concurrency: int
    requests: int
    errors: int
    throttled: int
    error_rate: float
    duration_s: float
    throughput_rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float

    def to_dict(self) -> dict[str, Any]:
        """The result as a JSON-safe dict (for the contract's load section)."""
        return asdict(self)


class _Run:
    """Shared state of one load run: tickets, deadline, histogram, counters."""

    def __init__(self, duration_s: float, max_requests: int) -> None:
        self.started = time.perf_counter_ns()
        self.deadline = self.started + int(duration_s * 1e9)
        self.max_requests = max_requests
        self.issued = 0
        self.errors = 0
        self.throttled = 0
        self.histogram = new_histogram()
        self.sum_us = 0

    def next_ticket(self) -> int | None:
        """The index of the next request, or None once a bound is reached."""
        if self.issued >= self.max_requests or time.perf_counter_ns() >= self.deadline:
            return None
        self.issued += 1
        return self.issued - 1

    def record(self, elapsed_ns: int, status: int | None) -> None:
        self.sum_us += record_us(self.histogram, elapsed_ns // 1000)
        if status is None or status >= 500:
            self.errors += 1
        elif status == 429:
            self.throttled += 1


async def _worker(client: httpx.AsyncClient, make_request: MakeRequest, run: _Run) -> None:
    while (ticket := run.next_ticket()) is not None:
        start = time.perf_counter_ns()
        status: int | None
        try:
            status = (await make_request(client, ticket)).status_code
        except httpx.HTTPStatusError as exc:
            status = exc.response.status_code
        except httpx.TransportError:
            status = None
        run.record(time.perf_counter_ns() - start, status)


async def run_load(
    client: httpx.AsyncClient,
    make_request: MakeRequest,
    *,
    concurrency: int,
    duration_s: float,
    max_requests: int,
    name: str = "load",
) -> LoadResult:
    """Run ``make_request(client, i)`` from ``concurrency`` workers within both bounds.

    ``i`` counts requests from 0. ``httpx.TransportError`` counts as an error and
    ``httpx.HTTPStatusError`` (from ``raise_for_status``) by its status; any other
    exception from ``make_request`` aborts the run and propagates (in an ExceptionGroup).
    """
    if concurrency < 1 or max_requests < 1 or duration_s <= 0:
        raise ValueError("concurrency, max_requests and duration_s must be positive")
    run = _Run(duration_s, max_requests)
    async with asyncio.TaskGroup() as group:
        for _ in range(concurrency):
            group.create_task(_worker(client, make_request, run))
    elapsed_s = (time.perf_counter_ns() - run.started) / 1e9
    requests = run.histogram.get_total_count()
    summary = latency_summary(run.histogram, run.sum_us)
    return LoadResult(
        name=name,
        concurrency=concurrency,
        requests=requests,
        errors=run.errors,
        throttled=run.throttled,
        error_rate=run.errors / requests if requests else 0.0,
        duration_s=round(elapsed_s, 3),
        throughput_rps=round(requests / elapsed_s, 1) if elapsed_s > 0 else 0.0,
        p50_ms=summary["p50_ms"],
        p95_ms=summary["p95_ms"],
        p99_ms=summary["p99_ms"],
        max_ms=summary["max_ms"],
        mean_ms=summary["mean_ms"],
    )


class LoadRunner(Protocol):
    """What `sandbox_load` gives a test: `await sandbox_load("query-api", make, ...)`."""

    async def __call__(
        self,
        service: str,
        make_request: MakeRequest,
        *,
        concurrency: int,
        duration_s: float,
        max_requests: int,
        name: str | None = None,
    ) -> LoadResult:
        """Run `make_request` from `concurrency` clients within both bounds; the result."""
