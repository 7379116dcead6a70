"""Fixtures a test sees, whichever backend serves the sandbox.

The async fixtures a test sees are function-scoped on purpose: each test gets its own clients, so
they work under any pytest-asyncio loop scope; timing still goes into the run's one recorder.
Tests that run on the session's event loop share one connection pool per service (`SharedPools`,
a private session fixture); tests on loops of their own keep connections of their own.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import pytest_asyncio

from pytest_stonks_sandbox._core.model import Sandbox
from pytest_stonks_sandbox._core.s3 import s3_client
from pytest_stonks_sandbox._measure.histograms import LatencyRecorder
from pytest_stonks_sandbox._measure.load import LoadResult, LoadRunner, MakeRequest, run_load
from pytest_stonks_sandbox._plugin.clients import ClientFactory, SharedPools, make_client
from pytest_stonks_sandbox._plugin.faultchannel import sandbox_lock
from pytest_stonks_sandbox._plugin.faults import SandboxFaults
from pytest_stonks_sandbox._plugin.keys import SESSION_KEY
from pytest_stonks_sandbox._plugin.reuse import seed_constants
from pytest_stonks_sandbox._plugin.session import SandboxSession

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from redis.asyncio import Redis

OFF_REASON = (
    "the Stonks sandbox is off: run pytest with --sandbox (or set STONKS_SANDBOX=1) to "
    "provision it, or --sandbox-reuse to attach to a kept one"
)


@pytest.fixture(autouse=True)
def _sandbox_test_lock(request: pytest.FixtureRequest) -> Iterator[None]:
    """Under xdist, keep fault-injecting tests and other sandbox tests from overlapping."""
    session: SandboxSession | None = request.config.stash.get(SESSION_KEY, None)
    if session is None or session.test_lock is None:
        yield
        return
    if not session.uses_sandbox(request.fixturenames):
        yield
        return
    with sandbox_lock(session.test_lock, exclusive="sandbox_faults" in request.fixturenames):
        yield


def _session(request: pytest.FixtureRequest) -> SandboxSession:
    session: SandboxSession | None = request.config.stash.get(SESSION_KEY, None)
    if session is None:
        pytest.skip(OFF_REASON)
    return session


@pytest.fixture(scope="session")
def sandbox(request: pytest.FixtureRequest) -> Sandbox:
    """The running sandbox: run id, backend, namespace and endpoints."""
    return _session(request).provision_or_exit()


@pytest.fixture(scope="session")
def sandbox_recorder(request: pytest.FixtureRequest, sandbox: Sandbox) -> LatencyRecorder:
    """The run's latency recorder, to time a client of your own with `instrument`."""
    return _session(request).record.latency


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def _sandbox_http_pools() -> AsyncIterator[SharedPools]:
    """The connection pools of the clients made on the session's loop, closed at its end."""
    pools = SharedPools(asyncio.get_running_loop())
    yield pools
    await pools.aclose()


@pytest_asyncio.fixture
async def sandbox_client(
    request: pytest.FixtureRequest, sandbox: Sandbox, _sandbox_http_pools: SharedPools
) -> AsyncIterator[ClientFactory]:
    """Factory of timed clients: `sandbox_client("query-api", headers={})` has no API key."""
    session = _session(request)
    created: list[httpx.AsyncClient] = []

    def make(service: str, **kwargs: Any) -> httpx.AsyncClient:  # a ClientFactory
        client = make_client(session, service, pools=_sandbox_http_pools, **kwargs)
        created.append(client)
        return client

    yield make
    for client in created:
        await client.aclose()


@pytest_asyncio.fixture
async def db(sandbox: Sandbox) -> AsyncIterator[Any]:
    """An asyncpg connection to the sandbox database."""
    import asyncpg

    from pytest_stonks_sandbox._seeding.seeder import close_connection

    dsn = sandbox.endpoints.postgres_dsn
    # The sandbox's PostgreSQL speaks no TLS (loopback, or a port-forward inside the API
    # server's TLS): asking for it first costs every test a TLS context and a round trip.
    conn = await asyncpg.connect(dsn, ssl=None if "sslmode=" in dsn else False)
    try:
        yield conn
    finally:
        await close_connection(conn)


@pytest_asyncio.fixture
async def redis(sandbox: Sandbox) -> AsyncIterator[Redis]:
    """A redis.asyncio client (decode_responses=True) to the sandbox Redis."""
    import redis.asyncio

    client = redis.asyncio.from_url(sandbox.endpoints.redis_url, decode_responses=True)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture(scope="session")
def s3(sandbox: Sandbox) -> S3Client:
    """A boto3 S3 client for the sandbox object store."""
    endpoints = sandbox.endpoints
    return s3_client(
        endpoints.s3_endpoint, endpoints.s3_access_key, endpoints.s3_secret_key, endpoints.s3_region
    )


@pytest.fixture(scope="session")
def seed_ids(request: pytest.FixtureRequest, sandbox: Sandbox) -> Mapping[str, Any]:
    """The UPPER_CASE constants of the project's seed_ids module, read-only."""
    path = _session(request).cfg.project.seed_ids
    if path is None:
        pytest.fail("no seed_ids module is declared in [tool.stonks-sandbox] (seed_ids = ...)")
    cfg = _session(request).cfg
    return MappingProxyType(seed_constants(cfg.project, cfg.state_file if cfg.reuse else None))


@pytest.fixture
def sandbox_faults(request: pytest.FixtureRequest, sandbox: Sandbox) -> Iterator[SandboxFaults]:
    """Stop/start/restart components; whatever a test leaves stopped is started after it."""
    session = _session(request)

    def watch(faulted: bool) -> None:
        session.record.latency.faulted = faulted

    faults = SandboxFaults(session.fault, watch)
    yield faults
    faults.restore()


@pytest_asyncio.fixture
async def sandbox_load(request: pytest.FixtureRequest, sandbox: Sandbox) -> LoadRunner:
    """`await sandbox_load("query-api", make, concurrency=8, duration_s=5, max_requests=2000)`.

    Runs N concurrent clients for a bounded time and count; the result goes to the contract's
    `load` section (not into the per-endpoint histograms).
    """
    session = _session(request)

    async def run(
        service: str,
        make_request: MakeRequest,
        *,
        concurrency: int,
        duration_s: float,
        max_requests: int,
        name: str | None = None,
    ) -> LoadResult:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with make_client(session, service, timed=False, limits=limits) as client:
            result = await run_load(
                client,
                make_request,
                concurrency=concurrency,
                duration_s=duration_s,
                max_requests=max_requests,
                name=name or f"{service}:{request.node.name}",
            )
        session.record.load.append(result.to_dict())
        return result

    return run
