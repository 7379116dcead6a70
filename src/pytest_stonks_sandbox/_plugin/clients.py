"""Timed httpx clients for the sandbox's services, and one client fixture per declared service."""

from __future__ import annotations

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


def make_client(
    session: SandboxSession,
    service: str,
    *,
    timed: bool = True,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30.0,
    **kwargs: Any,
) -> httpx.AsyncClient:
    """An AsyncClient for one service: base URL, API key (unless `headers` is given), timed."""
    sandbox = session.provision_or_exit()
    if headers is None:
        headers = {session.cfg.project.api_key_header: sandbox.endpoints.api_key}
    transport: httpx.AsyncBaseTransport = httpx.AsyncHTTPTransport(
        verify=kwargs.pop("verify", _ssl_context()), limits=kwargs.pop("limits", httpx.Limits())
    )
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
