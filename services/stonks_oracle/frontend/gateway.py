"""The same-origin gateway: `GET /gateway/{service}/{path}` forwards to an upstream service.

The browser never holds the API key: the gateway adds it server-side in `X-API-Key`. Upstream
base URLs come from one environment variable per service (UPSTREAM_ENV); a service whose
variable is unset is unknown here. One shared `httpx.AsyncClient`, opened by the app's lifespan,
serves every forwarded request and the readiness checks of `/ready` (each upstream's /health).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import quote

import httpx
from fastapi import APIRouter, FastAPI, Request
from starlette.responses import Response

from stonks_oracle.common import NotFound, SettingsError, current_correlation_id
from stonks_oracle.common.errors import error_response
from stonks_oracle.common.health import Check
from stonks_oracle.common.logs import outgoing_traceparent

UPSTREAM_ENV: Final = {
    "query-api": "STONKS_QUERY_API_URL",
    "symbol-registry": "STONKS_SYMBOL_REGISTRY_URL",
    "risk-engine": "STONKS_RISK_ENGINE_URL",
    "trading-engine": "STONKS_TRADING_ENGINE_URL",
}
API_KEY_HEADER: Final = "X-API-Key"
# Upstream response headers the browser gets; everything else is the frontend's own.
PASSED_HEADERS: Final = ("retry-after",)
TIMEOUT: Final = httpx.Timeout(15.0, connect=3.0)
HEALTH_TIMEOUT_S: Final = 2.0
# Characters left as they are when the (decoded) path is quoted again for the upstream URL.
PATH_SAFE: Final = "/:@!$&'()*+,;=-._~"


def load_upstreams(env: Mapping[str, str]) -> dict[str, str]:
    """Service name -> base URL (no trailing slash) for each variable of UPSTREAM_ENV set."""
    upstreams: dict[str, str] = {}
    for service, name in UPSTREAM_ENV.items():
        value = env.get(name, "").strip()
        if not value:
            continue
        if not value.startswith(("http://", "https://")):
            raise SettingsError(f"{name} must start with http:// or https://, got {value!r}")
        upstreams[service] = value.rstrip("/")
    return upstreams


@dataclass
class Gateway:
    """Where the upstreams are, the key to send them, and the one client that reaches them."""

    upstreams: Mapping[str, str]
    api_key: str
    client: httpx.AsyncClient | None = field(default=None, repr=False)

    @asynccontextmanager
    async def open(self, _: FastAPI) -> AsyncIterator[None]:
        """The app's lifespan resource: one AsyncClient for the life of the process."""
        async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False) as client:
            self.client = client
            try:
                yield
            finally:
                self.client = None

    def checks(self) -> dict[str, Check]:
        """One readiness check per configured upstream: its /health answers 200."""
        return {service: self._health_check(base) for service, base in self.upstreams.items()}

    def _health_check(self, base: str) -> Check:
        async def check() -> None:
            if self.client is None:
                raise RuntimeError("gateway client is not open")
            response = await self.client.get(f"{base}/health", timeout=HEALTH_TIMEOUT_S)
            response.raise_for_status()

        return check

    async def forward(self, service: str, path: str, query: str) -> Response:
        """The upstream's status and body, unchanged; 404 unknown service, 502 unreachable."""
        base = self.upstreams.get(service)
        if base is None:
            known = ", ".join(sorted(self.upstreams)) or "none"
            raise NotFound(f"unknown service {service!r} (known: {known})")
        if any(segment in {".", ".."} for segment in path.split("/")):
            raise NotFound(f"no path {path!r} on {service}")
        if self.client is None:
            return error_response(503, "gateway is not started")
        url = httpx.URL(f"{base}/{quote(path, safe=PATH_SAFE)}", query=query.encode("ascii"))
        headers = {API_KEY_HEADER: self.api_key, "Accept": "application/json"}
        correlation_id = current_correlation_id()
        if correlation_id:
            headers["X-Correlation-ID"] = correlation_id
        traceparent = outgoing_traceparent()
        if traceparent:
            headers["traceparent"] = traceparent
        try:
            upstream = await self.client.get(url, headers=headers)
        except httpx.TimeoutException:
            return error_response(502, f"{service} did not answer in time")
        except httpx.TransportError as exc:
            return error_response(502, f"{service} is unreachable ({type(exc).__name__})")
        passed = {k: v for k, v in upstream.headers.items() if k.lower() in PASSED_HEADERS}
        return Response(
            upstream.content,
            upstream.status_code,
            headers=passed,
            media_type=upstream.headers.get("content-type"),
        )


router = APIRouter(tags=["gateway"])


@router.get(
    "/gateway/{service}/{path:path}",
    responses={404: {"description": "unknown service"}, 502: {"description": "unreachable"}},
)
async def gateway(service: str, path: str, request: Request) -> Response:
    """Forward a GET to `service` with the API key added; the query string passes through."""
    gw: Gateway = request.app.state.gateway
    return await gw.forward(service, path, request.url.query)
