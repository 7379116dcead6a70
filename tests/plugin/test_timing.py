"""TimingTransport / TimingSyncTransport / instrument() against httpx.MockTransport."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from pytest_stonks_sandbox._measure.histograms import LatencyRecorder
from pytest_stonks_sandbox._measure.routes import RouteTemplates
from pytest_stonks_sandbox._measure.timing import (
    TimingSyncTransport,
    TimingTransport,
    instrument,
    instrument_sync,
)

COMPANY = "00000000-0000-4000-a100-000000000001"
ROUTES = RouteTemplates(["/api/companies/{company_id}", "/api/approvals/pending"])


def _handler(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/down":
        raise httpx.ConnectError("refused", request=request)
    status = {"/boom": 503, "/missing": 404}.get(request.url.path, 200)
    return httpx.Response(status, json={"path": request.url.path})


def _rows(recorder: LatencyRecorder) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["method"], r["route"]): r for r in recorder.endpoint_rows()}


def _client(recorder: LatencyRecorder, routes: RouteTemplates | None = ROUTES) -> httpx.AsyncClient:
    transport = TimingTransport(httpx.MockTransport(_handler), recorder, "query-api", routes)
    return httpx.AsyncClient(transport=transport, base_url="http://sandbox")


async def test_requests_are_counted_per_route_template() -> None:
    recorder = LatencyRecorder()
    async with _client(recorder) as client:
        for _ in range(3):
            await client.get(f"/api/companies/{COMPANY}", params={"limit": 1})
        await client.post("/api/companies/other-id")
        await client.get("/api/approvals/pending")

    rows = _rows(recorder)

    assert rows["GET", "/api/companies/{company_id}"]["count"] == 3
    assert rows["POST", "/api/companies/{company_id}"]["count"] == 1
    assert rows["GET", "/api/approvals/pending"]["count"] == 1
    assert {r["service"] for r in rows.values()} == {"query-api"}
    assert recorder.total_requests() == 5


async def test_5xx_is_an_error_4xx_is_not() -> None:
    recorder = LatencyRecorder()
    async with _client(recorder) as client:
        await client.get("/boom")
        await client.get("/missing")

    rows = _rows(recorder)

    assert rows["GET", "/boom"]["errors"] == 1
    assert rows["GET", "/missing"]["errors"] == 0


async def test_transport_errors_are_recorded_and_reraised() -> None:
    recorder = LatencyRecorder()
    async with _client(recorder) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get("/down")

    row = _rows(recorder)["GET", "/down"]
    assert (row["count"], row["errors"]) == (1, 1)


async def test_unknown_paths_are_normalised_without_routes() -> None:
    recorder = LatencyRecorder()
    async with _client(recorder, routes=None) as client:
        await client.get(f"/api/companies/{COMPANY}/aliases")

    assert ("GET", "/api/companies/{id}/aliases") in _rows(recorder)


async def test_routes_set_later_take_effect_for_cached_paths() -> None:
    recorder = LatencyRecorder()
    transport = TimingTransport(httpx.MockTransport(_handler), recorder, "registry", None)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        await client.get("/api/companies/AAPL")
        transport.routes = ROUTES
        await client.get("/api/companies/AAPL")

    assert set(_rows(recorder)) == {
        ("GET", "/api/companies/AAPL"),
        ("GET", "/api/companies/{company_id}"),
    }


async def test_latency_of_the_handler_is_measured() -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.05)
        return httpx.Response(200)

    recorder = LatencyRecorder()
    transport = TimingTransport(httpx.MockTransport(slow), recorder, "svc")
    async with httpx.AsyncClient(transport=transport) as client:
        await client.get("http://sandbox/slow")

    assert _rows(recorder)["GET", "/slow"]["p50_ms"] >= 50.0


def _streaming(delay_s: float, fail: bool = False) -> httpx.MockTransport:
    async def body() -> AsyncIterator[bytes]:
        yield b"first"
        await asyncio.sleep(delay_s)
        if fail:
            raise httpx.ReadError("connection reset")
        yield b"second"

    return httpx.MockTransport(lambda request: httpx.Response(200, content=body()))


async def test_a_streamed_body_is_timed_to_its_end() -> None:
    recorder = LatencyRecorder()
    transport = TimingTransport(_streaming(0.05), recorder, "svc")
    async with httpx.AsyncClient(transport=transport) as client:
        async with client.stream("GET", "http://sandbox/raw") as response:
            assert recorder.total_requests() == 0
            assert await response.aread() == b"firstsecond"
        row = _rows(recorder)["GET", "/raw"]

    assert row["count"] == 1
    assert row["errors"] == 0
    assert row["p50_ms"] >= 50.0


async def test_a_body_that_fails_midway_is_one_error() -> None:
    recorder = LatencyRecorder()
    transport = TimingTransport(_streaming(0.0, fail=True), recorder, "svc")
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(httpx.ReadError):
            await client.get("http://sandbox/raw")

    row = _rows(recorder)["GET", "/raw"]
    assert (row["count"], row["errors"]) == (1, 1)


async def test_a_stream_closed_unread_is_still_recorded_once() -> None:
    recorder = LatencyRecorder()
    transport = TimingTransport(_streaming(0.0), recorder, "svc")
    async with httpx.AsyncClient(transport=transport) as client:
        async with client.stream("GET", "http://sandbox/raw"):
            pass
        await client.get("http://sandbox/raw")

    assert _rows(recorder)["GET", "/raw"]["count"] == 2


def test_a_sync_streamed_body_is_recorded_when_read() -> None:
    def body() -> Iterator[bytes]:
        yield b"a"
        yield b"b"

    recorder = LatencyRecorder()
    mock = httpx.MockTransport(lambda request: httpx.Response(500, content=body()))
    client = httpx.Client(transport=TimingSyncTransport(mock, recorder, "svc"))
    with client, client.stream("GET", "http://sandbox/raw") as response:
        assert recorder.total_requests() == 0
        assert response.read() == b"ab"

    row = _rows(recorder)["GET", "/raw"]
    assert (row["count"], row["errors"]) == (1, 1)


async def test_instrument_wraps_an_existing_client_and_its_mounts() -> None:
    recorder = LatencyRecorder()
    client = httpx.AsyncClient(
        transport=httpx.MockTransport(_handler),
        mounts={"http://other": httpx.MockTransport(_handler)},
    )
    assert instrument(client, recorder, "trading-engine", ROUTES) is client
    async with client:
        await client.get(f"http://sandbox/api/companies/{COMPANY}")
        await client.get("http://other/api/approvals/pending")

    assert set(_rows(recorder)) == {
        ("GET", "/api/companies/{company_id}"),
        ("GET", "/api/approvals/pending"),
    }


async def test_instrumenting_twice_is_refused() -> None:
    client = instrument(
        httpx.AsyncClient(transport=httpx.MockTransport(_handler)), LatencyRecorder(), "svc"
    )
    with pytest.raises(ValueError, match="already instrumented"):
        instrument(client, LatencyRecorder(), "svc")
    await client.aclose()


def test_sync_transport_and_instrument_sync() -> None:
    recorder = LatencyRecorder()
    transport = TimingSyncTransport(httpx.MockTransport(_handler), recorder, "risk-engine")
    with httpx.Client(transport=transport, base_url="http://sandbox") as client:
        client.get("/boom")
        with pytest.raises(httpx.ConnectError):
            client.get("/down")
    other = instrument_sync(httpx.Client(transport=httpx.MockTransport(_handler)), recorder, "x")
    with other:
        other.get("http://sandbox/api/orders/7")

    rows = _rows(recorder)
    assert rows["GET", "/boom"]["errors"] == 1
    assert rows["GET", "/down"]["errors"] == 1
    assert rows["GET", "/api/orders/{id}"]["count"] == 1
