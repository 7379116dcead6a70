"""The shared service layer (stonks_oracle.common): conventions in-process, resilience for real.

Middleware and error mapping run in-process through httpx.ASGITransport; database, Redis and
restart behaviour run against real PostgreSQL 16 / Valkey servers and uvicorn subprocesses
(fixtures in conftest.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import logging
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any, cast

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel
from redis.asyncio import Redis
from stonks_oracle.common import (
    DB,
    STREAM,
    BusinessRuleViolation,
    Conflict,
    NotFound,
    Page,
    RedisClient,
    Settings,
    SettingsError,
    Store,
    create_app,
    load_settings,
    logs,
    publish_event,
)
from stonks_oracle.common.db import Database, row_to_dict
from stonks_oracle.common.settings import RateLimit

API_KEY = "test-key"
AUTH = {"X-API-Key": API_KEY}
FRONTEND = "http://frontend.test"
# Stream entries as a decode_responses=True client returns them (redis-py types them for every
# client: ids and fields as bytes | str, entries that may be nil).
StreamEntries = list[tuple[str, dict[str, str]]]
BASE = Settings(api_key=API_KEY, cors_origins=(FRONTEND,))


class Item(BaseModel):
    name: str
    quantity: int


def _demo_router() -> APIRouter:
    router = APIRouter(prefix="/api/items")

    @router.get("")
    async def list_items(page: Page) -> list[dict[str, int]]:
        return [{"limit": page.limit, "offset": page.offset}]

    @router.post("", status_code=201)
    async def create_item(item: Item) -> Item:
        if item.name == "dup":
            raise Conflict("item dup already exists")
        if item.quantity < 0:
            raise BusinessRuleViolation("quantity must not be negative")
        return item

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    @router.get("/{item_id}")
    async def get_item(item_id: uuid.UUID) -> None:
        raise NotFound(f"item {item_id} not found")

    return router


def demo_app(settings: Settings = BASE) -> FastAPI:
    return create_app("demo", routers=[_demo_router()], needs_db=False, settings=settings)


def client_for(app: FastAPI, host: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app, client=(host, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://demo.test")


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(demo_app()) as c:
        yield c


# --- settings ---------------------------------------------------------------------------------


def test_settings_parse_the_documented_environment() -> None:
    settings = load_settings(
        {
            "PORT": "8123",
            "STONKS_DATABASE_URL": "postgresql://u:p@127.0.0.1:5432/stonks",
            "STONKS_REDIS_URL": "redis://:pw@127.0.0.1:6379/0",
            "STONKS_API_KEY": "k",
            "STONKS_RATE_LIMIT": "10/2",
            "STONKS_CORS_ORIGINS": "http://a.test, http://b.test/",
        }
    )
    assert settings.port == 8123
    assert settings.rate_limit == RateLimit(10, 2)
    assert settings.cors_origins == ("http://a.test", "http://b.test")
    assert load_settings({"STONKS_RATE_LIMIT": ""}).rate_limit is None


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"STONKS_RATE_LIMIT": "ten per second"}, "STONKS_RATE_LIMIT"),
        ({"STONKS_RATE_LIMIT": "0/1"}, "STONKS_RATE_LIMIT"),
        ({"PORT": "http"}, "PORT"),
        ({"STONKS_DATABASE_URL": "mysql://x"}, "STONKS_DATABASE_URL"),
        ({"STONKS_REDIS_URL": "127.0.0.1:6379"}, "STONKS_REDIS_URL"),
    ],
)
def test_malformed_variable_is_named(env: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings(env)


def test_missing_required_variables_are_named() -> None:
    with pytest.raises(SettingsError, match="STONKS_API_KEY"):
        create_app("x", needs_db=False, settings=Settings())
    with pytest.raises(SettingsError, match="STONKS_DATABASE_URL"):
        create_app("x", settings=Settings(api_key="k"))
    with pytest.raises(SettingsError, match="STONKS_REDIS_URL"):
        create_app("x", needs_db=False, needs_redis=True, settings=Settings(api_key="k"))
    with pytest.raises(SettingsError, match="STONKS_S3_ENDPOINT"):
        create_app("x", needs_db=False, needs_s3=True, settings=Settings(api_key="k"))


# --- auth, public endpoints, correlation id ----------------------------------------------------


async def test_public_endpoints_need_no_key(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).json() == {"status": "ok", "service": "demo"}
    ready = await client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {}
    spec = await client.get("/openapi.json")
    assert spec.status_code == 200
    assert "/api/items" in spec.json()["paths"]


async def test_api_key_is_required(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/items")
    wrong = await client.get("/api/items", headers={"X-API-Key": "nope"})
    assert (missing.status_code, wrong.status_code) == (401, 401)
    assert missing.json() == {"detail": "missing API key"}
    assert wrong.json() == {"detail": "invalid API key"}
    ok = await client.get("/api/items", headers=AUTH)
    assert ok.status_code == 200
    assert ok.json() == [{"limit": 50, "offset": 0}]


async def test_correlation_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    echoed = await client.get("/api/items", headers={**AUTH, "X-Correlation-ID": "abc-123"})
    assert echoed.headers["X-Correlation-ID"] == "abc-123"
    for response in (await client.get("/api/items", headers=AUTH), await client.get("/nope")):
        assert uuid.UUID(response.headers["X-Correlation-ID"]).version == 4
    rejected = await client.get("/health", headers={"X-Correlation-ID": "bad id\twith spaces"})
    assert uuid.UUID(rejected.headers["X-Correlation-ID"])


@pytest.fixture
def log_lines(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """What the service logs while a test runs: request lines and every other line, as JSON."""
    stream = io.StringIO()
    monkeypatch.setattr(logs, "request_line", logs.RequestLine("demo", stream))
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter("demo"))
    logger = logging.getLogger(logs.LOGGER)
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


async def test_traceparent_is_echoed_and_names_every_line_of_its_request(
    client: httpx.AsyncClient, log_lines: io.StringIO
) -> None:
    trace, span = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    header = {"traceparent": f"00-{trace}-{span}-01"}
    item = "00000000-0000-4000-a100-000000000001"
    found = await client.get(f"/api/items/{item}", headers={**AUTH, **header})
    assert found.status_code == 404 and found.headers["traceparent"] == header["traceparent"]
    boom = await client.get("/api/items/boom", headers={**AUTH, **header})
    assert boom.status_code == 500
    untraced = await client.get("/health", headers={"traceparent": "00-nothex-01"})
    assert "traceparent" not in untraced.headers
    lines = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    requests = [line for line in lines if line["msg"] == "request"]
    assert [(r["method"], r["route"], r["path"], r["status"]) for r in requests] == [
        ("GET", "/api/items/{item_id}", f"/api/items/{item}", 404),
        ("GET", "/api/items/boom", "/api/items/boom", 500),
        ("GET", "/health", "/health", 200),
    ]
    assert all(r["duration_ms"] >= 0 and r["correlation_id"] for r in requests)
    assert [r.get("trace_id") for r in requests] == [trace, trace, None]
    errors = [line for line in lines if line["level"] == "error"]
    assert errors and all(e["trace_id"] == trace and e["span_id"] == span for e in errors)


# --- rate limit and CORS -----------------------------------------------------------------------


async def test_rate_limit_answers_429_with_retry_after() -> None:
    app = demo_app(replace(BASE, rate_limit=RateLimit(3, 60)))
    async with client_for(app) as c, client_for(app, host="10.0.0.9") as other:
        statuses = [(await c.get("/api/items", headers=AUTH)).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = await c.get("/api/items", headers=AUTH)
        assert limited.json() == {"detail": "rate limit exceeded"}
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        assert "X-Correlation-ID" in limited.headers
        assert (await c.get("/health")).status_code == 200  # probes are never limited
        assert (await other.get("/api/items", headers=AUTH)).status_code == 200


async def test_rate_limit_window_resets() -> None:
    app = demo_app(replace(BASE, rate_limit=RateLimit(1, 1)))
    async with client_for(app) as c:
        assert (await c.get("/api/items", headers=AUTH)).status_code == 200
        assert (await c.get("/api/items", headers=AUTH)).status_code == 429
        await asyncio.sleep(1.05)
        assert (await c.get("/api/items", headers=AUTH)).status_code == 200


async def test_cors_preflight_only_for_the_allowed_origin(client: httpx.AsyncClient) -> None:
    preflight = {
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "x-api-key",
    }
    allowed = await client.options("/api/items", headers={"Origin": FRONTEND, **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == FRONTEND
    other = await client.options("/api/items", headers={"Origin": "http://evil.test", **preflight})
    assert "Access-Control-Allow-Origin" not in other.headers
    assert other.status_code == 400
    assert "origin" in other.json()["detail"]
    simple = await client.get("/api/items", headers={"Origin": FRONTEND, **AUTH})
    assert simple.headers["Access-Control-Allow-Origin"] == FRONTEND
    unauthorized = await client.get("/api/items", headers={"Origin": FRONTEND})
    assert unauthorized.status_code == 401
    assert unauthorized.headers["Access-Control-Allow-Origin"] == FRONTEND


# --- every error is JSON ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/no/such/route", None, 404),
        ("GET", f"/api/items/{uuid.UUID(int=7)}", None, 404),
        ("DELETE", "/api/items", None, 405),
        ("GET", "/api/items/not-a-uuid", None, 422),
        ("GET", "/api/items?limit=501", None, 422),
        ("GET", "/api/items?limit=0", None, 422),
        ("GET", "/api/items?offset=-1", None, 422),
        ("POST", "/api/items", {"name": "x"}, 422),
        ("POST", "/api/items", {"name": "dup", "quantity": 1}, 409),
        ("POST", "/api/items", {"name": "x", "quantity": -1}, 400),
        ("GET", "/api/items/boom", None, 500),
    ],
)
async def test_errors_are_json(
    client: httpx.AsyncClient, method: str, path: str, body: Any, status: int
) -> None:
    response = await client.request(method, path, json=body, headers=AUTH)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert set(response.json()) == {"detail"}
    assert "X-Correlation-ID" in response.headers
    if status == 422:
        assert isinstance(response.json()["detail"], list)
        assert {"loc", "msg", "type"} <= set(response.json()["detail"][0])
    if status == 500:
        assert response.json() == {"detail": "internal server error"}
        assert "secret" not in response.text


async def test_pagination_bounds_are_accepted(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/items?limit=500&offset=7", headers=AUTH)
    assert response.json() == [{"limit": 500, "offset": 7}]


# --- database ----------------------------------------------------------------------------------


def test_rows_become_json_ready() -> None:
    row = {
        "id": uuid.UUID(int=1),
        "price": Decimal("182.50"),
        "at": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        "day": dt.date(2024, 1, 2),
        "tags": ["a"],
        "meta": {"k": Decimal("1.5")},
        "n": 3,
        "none": None,
    }
    assert row_to_dict(row) == {
        "id": "00000000-0000-0000-0000-000000000001",
        "price": 182.5,
        "at": "2024-01-02T03:04:05+00:00",
        "day": "2024-01-02",
        "tags": ["a"],
        "meta": {"k": 1.5},
        "n": 3,
        "none": None,
    }


async def test_database_helpers_and_constraint_mapping(postgres: Any) -> None:
    db = Database(postgres.dsn)
    try:
        company_id = uuid.uuid4()
        await db.execute(
            "INSERT INTO companies (id, ticker, name, market_cap)"
            " VALUES ($1, 'TSTA', 'Test A', 12.5)",
            company_id,
        )
        row = await db.fetch_one("SELECT * FROM companies WHERE id = $1", company_id)
        assert row is not None
        assert row["id"] == str(company_id)
        assert row["market_cap"] == 12.5
        assert dt.datetime.fromisoformat(row["created_at"]).tzinfo is not None
        assert await db.fetch_value("SELECT count(*) FROM companies WHERE ticker = 'TSTA'") == 1
        assert await db.fetch_all("SELECT * FROM companies WHERE ticker = 'NONE'") == []
        async with db.transaction() as conn:
            await conn.execute("UPDATE companies SET name = 'Renamed' WHERE id = $1", company_id)
        assert (
            await db.fetch_value("SELECT name FROM companies WHERE id = $1", company_id)
            == "Renamed"
        )
    finally:
        await db.execute("DELETE FROM companies WHERE ticker = 'TSTA'")
        await db.close()


async def test_unique_violation_is_409_and_check_violation_400(postgres: Any) -> None:
    settings = replace(BASE, database_url=postgres.dsn)
    router = APIRouter()

    @router.post("/api/companies/{ticker}")
    async def create(ticker: str, db: DB) -> dict[str, str]:
        status = await db.execute("INSERT INTO companies (ticker, name) VALUES ($1, 'x')", ticker)
        return {"status": status}

    app = create_app("demo-db", routers=[router], settings=settings)
    try:
        async with client_for(app) as c:
            assert (await c.post("/api/companies/TSTB", headers=AUTH)).status_code == 200
            duplicate = await c.post("/api/companies/TSTB", headers=AUTH)
            assert duplicate.status_code == 409
            assert "TSTB" in duplicate.json()["detail"]
            invalid = await c.post("/api/companies/lowercase", headers=AUTH)
            assert invalid.status_code == 400
            assert (await c.get("/ready")).json()["checks"] == {"database": "ok"}
    finally:
        await app.state.db.execute("DELETE FROM companies WHERE ticker = 'TSTB'")
        await app.state.db.close()


# --- events ------------------------------------------------------------------------------------


async def test_publish_event_reaches_pubsub_and_stream(valkey: Any) -> None:
    client = Redis.from_url(valkey.url, decode_responses=True)
    pubsub = client.pubsub()
    try:
        await pubsub.subscribe("stonks.trading.order_filled")
        await pubsub.get_message(timeout=1)  # the subscribe confirmation
        sent = await publish_event(client, "trading", "order_filled", {"order_id": "o-1"})
        message = None
        deadline = time.monotonic() + 5
        while message is None and time.monotonic() < deadline:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
        assert message is not None
        received = json.loads(message["data"])
        assert received == sent
        assert received["channel"] == "stonks.trading.order_filled"
        assert received["payload"] == {"order_id": "o-1"}
        assert {"event_id", "occurred_at", "correlation_id", "domain", "event"} <= set(received)
        [(_, fields)] = cast(StreamEntries, await client.xrevrange(STREAM, count=1))
        assert fields["channel"] == "stonks.trading.order_filled"
        assert json.loads(fields["data"]) == sent
        with pytest.raises(ValueError, match="a-z_"):
            await publish_event(client, "Trading", "x", {})
    finally:
        await pubsub.aclose()
        await client.aclose()


async def test_event_route_is_503_while_redis_is_down_and_recovers(valkey: Any) -> None:
    router = APIRouter()

    @router.post("/api/override")
    async def override(redis: RedisClient) -> dict[str, Any]:
        return await publish_event(redis, "trading", "override", {"halt": True})

    app = create_app(
        "demo-redis",
        routers=[router],
        needs_db=False,
        needs_redis=True,
        settings=replace(BASE, redis_url=valkey.url),
    )
    async with client_for(app) as c:
        sent = await c.post("/api/override", headers={**AUTH, "X-Correlation-ID": "corr-1"})
        assert sent.status_code == 200
        assert sent.json()["correlation_id"] == "corr-1"
        valkey.stop()
        try:
            down = await c.post("/api/override", headers=AUTH)
            assert down.status_code == 503
            assert down.json() == {"detail": "redis unavailable"}
        finally:
            valkey.start()
        assert (await c.post("/api/override", headers=AUTH)).status_code == 200
    await app.state.redis.aclose()


async def test_object_store_down_is_503() -> None:
    with socket.socket() as sock:  # a port nobody listens on once the socket is closed
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    router = APIRouter()

    @router.get("/api/raw/{key}")
    async def raw(key: str, store: Store) -> dict[str, str]:
        return {"body": await store.get_object_text(key)}

    settings = replace(
        BASE, s3_endpoint=f"http://127.0.0.1:{closed_port}", s3_access_key="a", s3_secret_key="b"
    )
    app = create_app("demo-s3", routers=[router], needs_db=False, needs_s3=True, settings=settings)
    async with client_for(app) as c:
        response = await c.get("/api/raw/doc.txt", headers=AUTH)
        assert response.status_code == 503
        assert response.json() == {"detail": "object store unavailable"}
        ready = await c.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["detail"] == "object_store unavailable"


# --- resilience against real restarts -----------------------------------------------------------


async def poll(fetch: Callable[[], Any], expected: int, timeout: float) -> httpx.Response:
    """Call ``fetch`` until it answers ``expected`` (bounded); returns the last response."""
    deadline = time.monotonic() + timeout
    while True:
        response: httpx.Response = await fetch()
        if response.status_code == expected or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.1)


def service_env(postgres: Any, valkey: Any) -> dict[str, str]:
    return {
        "STONKS_DATABASE_URL": postgres.dsn,
        "STONKS_REDIS_URL": valkey.url,
        "STONKS_API_KEY": API_KEY,
        "STONKS_CORS_ORIGINS": FRONTEND,
    }


async def test_ready_follows_a_redis_restart(postgres: Any, valkey: Any, run_service: Any) -> None:
    service = run_service("trading_engine", service_env(postgres, valkey))
    async with httpx.AsyncClient(base_url=service.base_url, timeout=10) as http:
        assert (await http.get("/ready")).status_code == 200
        assert (await http.get("/api/notifications")).status_code == 401
        valkey.stop()
        try:
            down = await http.get("/ready")
            assert down.status_code == 503
            assert down.json()["detail"] == "redis unavailable"
            assert down.json()["checks"] == {"database": "ok", "redis": "unavailable"}
        finally:
            valkey.start()
        up = await poll(lambda: http.get("/ready"), 200, timeout=10)
        assert up.status_code == 200, up.text


async def test_database_outage_is_503_then_recovers(
    postgres: Any, valkey: Any, run_service: Any
) -> None:
    service = run_service("symbol_registry", service_env(postgres, valkey))
    async with httpx.AsyncClient(base_url=service.base_url, headers=AUTH, timeout=10) as http:
        assert (await http.get("/api/companies")).status_code == 200
        postgres.stop()
        try:
            down = await http.get("/api/companies")
            assert down.status_code == 503
            assert down.json() == {"detail": "database unavailable"}
            assert (await http.get("/ready")).status_code == 503
        finally:
            postgres.start()
        up = await poll(lambda: http.get("/api/companies"), 200, timeout=15)
        assert up.status_code == 200, up.text
        assert isinstance(up.json(), list)
        assert (await http.get(f"/api/companies/{uuid.uuid4()}")).status_code == 404
