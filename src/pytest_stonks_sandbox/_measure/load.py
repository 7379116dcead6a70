"""Bounded concurrent load against a service (reference 004's stress tests).

``concurrency`` workers share one client and issue requests back to back until
either ``max_requests`` have been started or ``duration_s`` has elapsed;
requests in flight at the deadline are allowed to finish (the client's timeout
bounds them). Latencies go into an HDR histogram of :mod:`.histograms`; the run is
also cut into at most ``MAX_INTERVALS`` equal slices (throughput and latency over time).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import httpx

from pytest_stonks_sandbox._measure.histograms import (
    encode_histogram,
    latency_summary,
    new_histogram,
    record_us,
)

#: A load run is cut into at most this many slices of equal length, each at least this long.
MAX_INTERVALS = 60
MIN_INTERVAL_MS = 100


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
    started_at: float = 0.0
    sum_us: int = 0
    histogram: str = ""
    interval_s: float = 0.0
    intervals: tuple[dict[str, float], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The result as a JSON-safe dict (for the contract's load section)."""
        row = asdict(self)
        row["intervals"] = list(self.intervals)
        return row


def _percentile(ordered: Sequence[int], fraction: float) -> int:
    """The nearest-rank value at `fraction` (0..1] of an ordered sequence."""
    return ordered[max(math.ceil(fraction * len(ordered)) - 1, 0)]


def intervals(
    samples: Sequence[tuple[int, int, bool]], elapsed_ns: int, limit: int = MAX_INTERVALS
) -> tuple[float, list[dict[str, float]]]:
    """Cut a run's `(end offset ns, latency µs, error)` samples into at most `limit` slices.

    Returns the slice length in seconds (whole milliseconds, at least ``MIN_INTERVAL_MS``) and
    one entry per
    slice: `t_s` (its start), requests, errors, throughput_rps, p50_ms, p95_ms, max_ms.
    """
    if not samples or elapsed_ns <= 0:
        return 0.0, []
    width_ms = max(math.ceil(elapsed_ns / 1e6 / limit), MIN_INTERVAL_MS)
    width_ns = width_ms * 1_000_000
    slices: list[list[tuple[int, bool]]] = [[] for _ in range(math.ceil(elapsed_ns / width_ns))]
    for offset_ns, latency_us, error in samples:
        slices[min(offset_ns // width_ns, len(slices) - 1)].append((latency_us, error))
    rows = []
    for index, members in enumerate(slices):
        ordered = sorted(latency for latency, _ in members)
        rows.append(
            {
                "t_s": round(index * width_ms / 1000, 3),
                "requests": len(members),
                "errors": sum(1 for _, error in members if error),
                "throughput_rps": round(len(members) / (width_ms / 1000), 1),
                "p50_ms": _percentile(ordered, 0.5) / 1000 if ordered else 0.0,
                "p95_ms": _percentile(ordered, 0.95) / 1000 if ordered else 0.0,
                "max_ms": ordered[-1] / 1000 if ordered else 0.0,
            }
        )
    return width_ms / 1000, rows


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
        self.samples: list[tuple[int, int, bool]] = []  # (end offset ns, latency µs, error)

    def next_ticket(self) -> int | None:
        """The index of the next request, or None once a bound is reached."""
        if self.issued >= self.max_requests or time.perf_counter_ns() >= self.deadline:
            return None
        self.issued += 1
        return self.issued - 1

    def record(self, elapsed_ns: int, status: int | None) -> None:
        latency_us = record_us(self.histogram, elapsed_ns // 1000)
        self.sum_us += latency_us
        error = status is None or status >= 500
        if error:
            self.errors += 1
        elif status == 429:
            self.throttled += 1
        self.samples.append((time.perf_counter_ns() - self.started, latency_us, error))


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
    started_at = time.time()
    run = _Run(duration_s, max_requests)
    async with asyncio.TaskGroup() as group:
        for _ in range(concurrency):
            group.create_task(_worker(client, make_request, run))
    elapsed_ns = time.perf_counter_ns() - run.started
    elapsed_s = elapsed_ns / 1e9
    requests = run.histogram.get_total_count()
    summary = latency_summary(run.histogram, run.sum_us)
    interval_s, slices = intervals(run.samples, elapsed_ns)
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
        started_at=round(started_at, 3),
        sum_us=run.sum_us,
        histogram=encode_histogram(run.histogram),
        interval_s=interval_s,
        intervals=tuple(slices),
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
