"""Timed httpx clients for the sandbox's services, and one client fixture per declared service."""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections.abc import Mapping
from typing import Any, Protocol

import httpx
import pytest_asyncio

from pytest_stonks_sandbox._measure.timing import TimingTransport
from pytest_stonks_sandbox._plugin.session import SandboxSession
from pytest_stonks_sandbox._settings.project import ProjectConfig


class ClientFactory(Protocol):
    """What `sandbox_client` gives a test: `sandbox_client("query-api", headers={})`."""

    def __call__(
        self,
        service: str,
        *,
        timed: bool = True,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        **kwargs: Any,
    ) -> httpx.AsyncClient:
        """An AsyncClient for one service: base URL, API key (unless `headers` is given), timed."""


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """httpx's default verification context, made once: loading the CA bundle costs ~20 ms,
    which every test's client paid again."""
    return httpx.create_ssl_context()


def _transport(
    verify: ssl.SSLContext | str | bool | None = None, limits: httpx.Limits | None = None
) -> httpx.AsyncHTTPTransport:
    """A connection pool: httpx's own, with the verification context made once."""
    return httpx.AsyncHTTPTransport(
        verify=_ssl_context() if verify is None else verify, limits=limits or httpx.Limits()
    )


#: How long a pooled connection may sit idle before the pool closes it: below the services'
#: own keep-alive (uvicorn's 5 s), so a connection is never reused just as the server drops it.
POOL_KEEPALIVE_S = 2.0


class SharedPools:
    """One connection pool per service for the requests made on `loop` (the session's).

    A test's clients then reuse the connections earlier tests opened: through a Kubernetes
    port-forward each new connection is a new stream through the API server (about 10 ms on a
    real node, more on a remote cluster). A request made on any other loop goes through a pool
    of its client's own, as before.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._pools: dict[str, httpx.AsyncHTTPTransport] = {}

    def pool(self, service: str) -> httpx.AsyncHTTPTransport:
        pool = self._pools.get(service)
        if pool is None:
            limits = httpx.Limits(keepalive_expiry=POOL_KEEPALIVE_S)
            pool = self._pools[service] = _transport(limits=limits)
        return pool

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.aclose()


class _Borrowed(httpx.AsyncBaseTransport):
    """One client's transport: the service's shared pool for requests on the pools' loop, a
    pool of its own (closed with the client) for requests on any other."""

    def __init__(self, pools: SharedPools, service: str) -> None:
        self._pools = pools
        self._service = service
        self._own: httpx.AsyncHTTPTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if asyncio.get_running_loop() is self._pools.loop:
            return await self._pools.pool(self._service).handle_async_request(request)
        if self._own is None:
            self._own = _transport()
        return await self._own.handle_async_request(request)

    async def aclose(self) -> None:
        """Close the client's own pool; the shared one outlives it (SharedPools.aclose)."""
        if self._own is not None:
            await self._own.aclose()


def make_client(
    session: SandboxSession,
    service: str,
    *,
    timed: bool = True,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30.0,
    pools: SharedPools | None = None,
    **kwargs: Any,
) -> httpx.AsyncClient:
    """An AsyncClient for one service: base URL, API key (unless `headers` is given), timed.

    Its connections come from `pools` when given, unless `verify` or `limits` ask for a pool of
    its own.
    """
    sandbox = session.provision_or_exit()
    if headers is None:
        headers = {session.cfg.project.api_key_header: sandbox.endpoints.api_key}
    transport: httpx.AsyncBaseTransport
    if pools is not None and "verify" not in kwargs and "limits" not in kwargs:
        transport = _Borrowed(pools, service)
    else:
        transport = _transport(kwargs.pop("verify", None), kwargs.pop("limits", None))
    if timed:
        transport = TimingTransport(
            transport, session.record.latency, service, session.routes.get(service)
        )
    return httpx.AsyncClient(
        base_url=sandbox.endpoints.service_url(service),
        headers=headers,
        timeout=timeout,
        transport=transport,
        **kwargs,
    )


def _client_fixture(service: str, name: str) -> Any:
    async def client(_plugin: object, sandbox_client: ClientFactory) -> httpx.AsyncClient:
        return sandbox_client(service)

    client.__doc__ = f"An httpx.AsyncClient for {service} (base URL and API key set; timed)."
    return pytest_asyncio.fixture(client, name=name)


def client_fixtures(project: ProjectConfig) -> object:
    """A plugin with one client fixture per service that declares `client = "<fixture name>"`.

    pytest reads a plugin's fixtures from its type, so they are class attributes.
    """
    fixtures = {
        spec.client: _client_fixture(spec.name, spec.client)
        for spec in project.services
        if spec.client
    }
    return type("StonksClientFixtures", (), fixtures)()
