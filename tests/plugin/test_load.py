"""run_load: both bounds honoured, errors/throttling counted, percentiles reported."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine

import httpx
import pytest

from pytest_stonks_sandbox._measure.histograms import decode_histogram
from pytest_stonks_sandbox._measure.load import MAX_INTERVALS, LoadResult, intervals, run_load


async def _ok(request: httpx.Request) -> httpx.Response:
    await asyncio.sleep(0)
    return httpx.Response(200, json={})


Handler = (
    Callable[[httpx.Request], httpx.Response]
    | Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]
)


def _client(handler: Handler) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://sandbox")


async def test_the_request_count_bound_is_exact() -> None:
    seen: list[int] = []

    async def make_request(client: httpx.AsyncClient, i: int) -> httpx.Response:
        seen.append(i)
        return await client.get(f"/api/companies/{i}")

    async with _client(_ok) as client:
        result = await run_load(
            client, make_request, concurrency=8, duration_s=60, max_requests=50, name="burst"
        )

    assert result.requests == 50
    assert sorted(seen) == list(range(50))
    assert (result.name, result.concurrency, result.errors, result.error_rate) == ("burst", 8, 0, 0)
    assert result.throughput_rps > 0


async def test_the_duration_bound_stops_new_requests() -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.01)
        return httpx.Response(200)

    started = time.perf_counter()
    async with _client(slow) as client:
        result = await run_load(
            client,
            lambda c, i: c.get("/slow"),
            concurrency=4,
            duration_s=0.3,
            max_requests=10**9,
        )
    elapsed = time.perf_counter() - started

    # Each request takes at least 10 ms, so 4 workers fit at most 4 * (0.3 / 0.01 + 1) in 0.3 s.
    assert 0 < result.requests <= 4 * 31
    assert 0.3 <= result.duration_s <= elapsed + 0.001
    assert result.p50_ms >= 10.0
    assert result.p95_ms >= result.p50_ms
    assert result.max_ms >= result.p99_ms >= result.p95_ms


async def test_errors_and_throttling_are_counted_apart() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/broken":
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(
            {"/fail": 500, "/throttle": 429, "/missing": 404}.get(request.url.path, 200)
        )

    paths = ["/fail", "/throttle", "/broken", "/missing", "/ok"]

    async def make_request(client: httpx.AsyncClient, i: int) -> httpx.Response:
        return await client.get(paths[i % 5])

    async with _client(handler) as client:
        result = await run_load(
            client, make_request, concurrency=3, duration_s=60, max_requests=100
        )

    assert result.requests == 100
    assert result.errors == 40
    assert result.throttled == 20
    assert result.error_rate == pytest.approx(0.4)


async def test_a_bug_in_make_request_propagates() -> None:
    async def make_request(client: httpx.AsyncClient, i: int) -> httpx.Response:
        raise KeyError("typo")

    async with _client(_ok) as client:
        with pytest.raises(ExceptionGroup) as info:
            await run_load(client, make_request, concurrency=2, duration_s=5, max_requests=10)

    assert info.group_contains(KeyError)


@pytest.mark.parametrize(
    ("concurrency", "duration_s", "max_requests"), [(0, 1.0, 1), (1, 0.0, 1), (1, 1.0, 0)]
)
async def test_bounds_must_be_positive(
    concurrency: int, duration_s: float, max_requests: int
) -> None:
    async with _client(_ok) as client:
        with pytest.raises(ValueError):
            await run_load(
                client,
                lambda c, i: c.get("/"),
                concurrency=concurrency,
                duration_s=duration_s,
                max_requests=max_requests,
            )


def test_result_to_dict_is_flat_and_complete() -> None:
    result = LoadResult("x", 2, 10, 1, 0, 0.1, 1.0, 10.0, 1.0, 2.0, 3.0, 4.0, 1.5)
    data = result.to_dict()
    assert data["error_rate"] == 0.1
    assert set(data) >= {"requests", "errors", "throttled", "throughput_rps", "p95_ms", "p99_ms"}
    assert data["intervals"] == []


def test_intervals_cut_the_run_into_equal_slices() -> None:
    ms = 1_000_000
    samples = [(50 * ms, 2000, False), (150 * ms, 4000, True), (160 * ms, 1000, False)]
    width, rows = intervals(samples, 250 * ms)
    assert width == 0.1  # at least MIN_INTERVAL_MS
    assert [row["t_s"] for row in rows] == [0.0, 0.1, 0.2]
    assert [(r["requests"], r["errors"]) for r in rows] == [(1, 0), (2, 1), (0, 0)]
    assert rows[1]["p50_ms"] == 1.0 and rows[1]["p95_ms"] == rows[1]["max_ms"] == 4.0
    assert rows[1]["throughput_rps"] == 20.0


def test_a_long_run_has_at_most_max_intervals() -> None:
    samples = [(i * 10_000_000, 1000, False) for i in range(1000)]  # 10 s, one every 10 ms
    width, rows = intervals(samples, 10_000_000_000)
    assert len(rows) <= MAX_INTERVALS and width * len(rows) >= 10.0
    assert sum(row["requests"] for row in rows) == 1000


async def test_a_load_result_keeps_its_histogram_and_intervals() -> None:
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(lambda request: httpx.Response(200)),
        base_url="http://load.invalid",
    ) as client:
        result = await run_load(
            client, lambda c, i: c.get("/"), concurrency=2, duration_s=5, max_requests=50
        )
    histogram = decode_histogram(result.histogram)
    assert histogram.get_total_count() == result.requests == 50
    assert sum(int(row["requests"]) for row in result.intervals) == 50
    assert abs(result.started_at - time.time()) < 60


async def test_raise_for_status_errors_are_counted_by_status() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502 if request.url.path == "/bad" else 429)

    async def make_request(client: httpx.AsyncClient, i: int) -> httpx.Response:
        return (await client.get("/bad" if i % 2 else "/busy")).raise_for_status()

    async with _client(handler) as client:
        result = await run_load(client, make_request, concurrency=2, duration_s=60, max_requests=10)

    assert (result.requests, result.errors, result.throttled) == (10, 5, 5)
