"""The frontend as a process: its pages, static files, gateway and readiness.

The frontend runs as the plugin runs it (uvicorn, cwd=services/) in front of real upstreams on
loopback: a small recording HTTP server (it keeps what each request carried, so the tests see the
key the gateway added) and, for the end-to-end case, the real query-api on PostgreSQL 16.
"""

from __future__ import annotations

import json
import socket
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import seed_ids
from stonks_oracle.common import SettingsError
from stonks_oracle.frontend.gateway import load_upstreams

REPO = Path(__file__).resolve().parents[2]
MANIFEST = REPO / "tests" / "integration" / "frontend_pages.toml"
STATIC = REPO / "services" / "stonks_oracle" / "frontend" / "static"
API_KEY = "frontend-test-key-3f9c1d7e5b"  # distinctive, so that a leak is found by search
NAV_PAGES = 17


class Upstream:
    """A real HTTP server on loopback that records every request and answers JSON."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                upstream.requests.append(
                    {"path": url.path, "query": url.query, "headers": dict(self.headers.items())}
                )
                status, body = 200, {"path": url.path, "query": url.query}
                if url.path.startswith("/status/"):
                    status = int(url.path.rsplit("/", 1)[1])
                    body = {"detail": f"upstream answered {status}"}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("X-Upstream-Private", "not for the browser")
                if status == 429:
                    self.send_header("Retry-After", "7")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def last(self, path: str) -> dict[str, Any]:
        """The last request the upstream got for `path`."""
        return [r for r in self.requests if r["path"] == path][-1]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    server = Upstream()
    try:
        yield server
    finally:
        server.stop()


def _closed_url() -> str:
    """A loopback URL nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _frontend(run_service: Any, **upstreams: str) -> Any:
    env = {"STONKS_API_KEY": API_KEY, **upstreams}
    return run_service("frontend", env)


def _manifest_pages() -> dict[str, str]:
    """Page name -> path of every manifest entry, seed-id placeholders filled."""
    values = {k: v for k, v in vars(seed_ids).items() if k.isupper() and isinstance(v, str)}
    pages = tomllib.loads(MANIFEST.read_text(encoding="utf-8"))["pages"]
    return {name: str(entry["path"]).format_map(values) for name, entry in pages.items()}


def test_upstreams_come_from_one_variable_per_service() -> None:
    env = {
        "STONKS_QUERY_API_URL": "http://query-api.ns.svc:8000/",
        "STONKS_TRADING_ENGINE_URL": " https://trading.example:8443 ",
        "STONKS_RISK_ENGINE_URL": "",
    }
    assert load_upstreams(env) == {
        "query-api": "http://query-api.ns.svc:8000",
        "trading-engine": "https://trading.example:8443",
    }
    with pytest.raises(SettingsError, match="STONKS_SYMBOL_REGISTRY_URL must start with http"):
        load_upstreams({"STONKS_SYMBOL_REGISTRY_URL": "registry:8000"})


async def test_gateway_adds_the_key_and_passes_query_status_and_body(
    run_service: Any, upstream: Upstream
) -> None:
    frontend = _frontend(run_service, STONKS_QUERY_API_URL=upstream.url)
    async with httpx.AsyncClient(base_url=frontend.base_url, timeout=10) as http:
        ok = await http.get(
            "/gateway/query-api/api/documents",
            params=[("ticker", "MSFT"), ("tag", "a b"), ("tag", "c")],
            headers={"X-Correlation-ID": "corr-123", "X-API-Key": "browser-sent-this"},
        )
        missing = await http.get("/gateway/query-api/status/404")
        limited = await http.get("/gateway/query-api/status/429")
    assert ok.status_code == 200
    assert ok.json() == {"path": "/api/documents", "query": "ticker=MSFT&tag=a+b&tag=c"}
    assert ok.headers["content-type"] == "application/json"
    assert ok.headers["x-correlation-id"] == "corr-123"
    seen = upstream.last("/api/documents")
    assert seen["headers"]["X-API-Key"] == API_KEY  # the server's key, not the browser's
    assert seen["headers"]["X-Correlation-ID"] == "corr-123"
    assert seen["query"] == "ticker=MSFT&tag=a+b&tag=c"
    assert missing.status_code == 404
    assert missing.json() == {"detail": "upstream answered 404"}
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "7"
    assert "x-upstream-private" not in ok.headers


async def test_unknown_service_is_404_and_unreachable_upstream_is_502(
    run_service: Any, upstream: Upstream
) -> None:
    frontend = _frontend(
        run_service, STONKS_QUERY_API_URL=upstream.url, STONKS_RISK_ENGINE_URL=_closed_url()
    )
    async with httpx.AsyncClient(base_url=frontend.base_url, timeout=10) as http:
        unknown = await http.get("/gateway/billing/api/invoices")
        unconfigured = await http.get("/gateway/symbol-registry/api/companies")
        traversal = await http.get("/gateway/query-api/api/%2E%2E/health")
        unreachable = await http.get("/gateway/risk-engine/api/risk/config")
    assert unknown.status_code == 404
    assert unknown.json()["detail"].startswith("unknown service 'billing'")
    assert unconfigured.status_code == 404
    assert "symbol-registry" in unconfigured.json()["detail"]
    assert traversal.status_code == 404
    assert unreachable.status_code == 502
    assert unreachable.headers["content-type"] == "application/json"
    assert unreachable.json()["detail"].startswith("risk-engine is unreachable")
    assert not [r for r in upstream.requests if r["path"] != "/health"]  # none was forwarded


async def test_every_manifest_page_is_the_shell_with_its_module(
    run_service: Any, upstream: Upstream
) -> None:
    frontend = _frontend(run_service, STONKS_QUERY_API_URL=upstream.url)
    pages = _manifest_pages()
    assert len(pages) > NAV_PAGES  # the 17 pages and their detail views
    async with httpx.AsyncClient(base_url=frontend.base_url, timeout=10) as http:
        for name, path in pages.items():
            resp = await http.get(path)
            assert resp.status_code == 200, path
            assert resp.headers["content-type"] == "text/html; charset=utf-8", path
            html = resp.text
            assert html.startswith('<!doctype html>\n<html lang="en"'), path
            assert f'data-page="{name}"' in html, path
            assert 'data-state="loading"' in html
            assert '<nav aria-label="Main">' in html and "<main" in html and "<title>" in html
            assert html.count("data-nav=") == NAV_PAGES, path
            assert 'rel="icon"' in html
            module = f"/static/pages/{name}.js"
            assert f'<script type="module" src="{module}"></script>' in html, path
            script = await http.get(module)
            assert script.status_code == 200, module
            assert script.headers["content-type"] == "text/javascript; charset=utf-8"
            assert 'from "/static/js/common.js"' in script.text
            assert "/gateway/" not in html  # pages call the gateway from their modules only
        unknown = await http.get("/no-such-page")
    assert unknown.status_code == 404


async def test_static_files_have_their_content_types(run_service: Any, upstream: Upstream) -> None:
    frontend = _frontend(run_service, STONKS_QUERY_API_URL=upstream.url)
    expected = {
        "/static/js/common.js": "text/javascript; charset=utf-8",
        "/static/js/details.js": "text/javascript; charset=utf-8",
        "/static/css/app.css": "text/css; charset=utf-8",
        "/static/favicon.svg": "image/svg+xml",
        "/favicon.ico": "image/svg+xml",
    }
    async with httpx.AsyncClient(base_url=frontend.base_url, timeout=10) as http:
        for path, content_type in expected.items():
            resp = await http.get(path)
            assert resp.status_code == 200, path
            assert resp.headers["content-type"] == content_type, path
            assert resp.content, path
        missing = await http.get("/static/js/missing.js")
    assert missing.status_code == 404


async def test_the_key_never_reaches_the_browser(run_service: Any, upstream: Upstream) -> None:
    frontend = _frontend(
        run_service, STONKS_QUERY_API_URL=upstream.url, STONKS_RISK_ENGINE_URL=_closed_url()
    )
    urls = [*_manifest_pages().values(), "/company-detail", "/health", "/ready", "/openapi.json"]
    urls += [
        "/static/" + p.relative_to(STATIC).as_posix() for p in STATIC.rglob("*") if p.is_file()
    ]
    urls += ["/gateway/query-api/api/companies", "/gateway/query-api/status/401"]
    urls += ["/gateway/risk-engine/api/risk/config", "/gateway/nope/x"]
    async with httpx.AsyncClient(base_url=frontend.base_url, timeout=10) as http:
        for url in urls:
            resp = await http.get(url)
            assert resp.status_code < 600, url
            assert API_KEY not in resp.text, url
            assert all(API_KEY not in value for value in resp.headers.values()), url
    assert upstream.last("/api/companies")["headers"]["X-API-Key"] == API_KEY
    assert len(urls) > 40


async def test_ready_follows_the_upstreams_health(run_service: Any, upstream: Upstream) -> None:
    second = Upstream()
    try:
        frontend = _frontend(
            run_service, STONKS_QUERY_API_URL=upstream.url, STONKS_TRADING_ENGINE_URL=second.url
        )
        async with httpx.AsyncClient(base_url=frontend.base_url, timeout=10) as http:
            ready = await http.get("/ready")
            second.stop()
            degraded = await http.get("/ready")
            health = await http.get("/health")
    finally:
        if second.thread.is_alive():
            second.stop()
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"query-api": "ok", "trading-engine": "ok"}
    assert [r["path"] for r in second.requests] == ["/health"]  # asked once, while it was up
    assert degraded.status_code == 503
    assert degraded.json()["checks"] == {"query-api": "ok", "trading-engine": "unavailable"}
    assert degraded.json()["detail"] == "trading-engine unavailable"
    assert health.status_code == 200


async def test_gateway_to_the_real_query_api(postgres: Any, run_service: Any) -> None:
    env = {
        "STONKS_DATABASE_URL": postgres.dsn,
        "STONKS_API_KEY": API_KEY,
        "STONKS_S3_ENDPOINT": _closed_url(),
        "STONKS_S3_ACCESS_KEY": "key",
        "STONKS_S3_SECRET_KEY": "secret",
    }
    query_api = run_service("query_api", env)
    frontend = _frontend(run_service, STONKS_QUERY_API_URL=query_api.base_url)
    wrong_key = run_service(
        "frontend", {"STONKS_API_KEY": "not-the-key", "STONKS_QUERY_API_URL": query_api.base_url}
    )
    async with httpx.AsyncClient(base_url=frontend.base_url, timeout=10) as http:
        companies = await http.get("/gateway/query-api/api/companies", params={"limit": 5})
        bad = await http.get("/gateway/query-api/api/companies", params={"limit": 0})
        entry = await http.get("/company-detail")
        ready = await http.get("/ready")
    async with httpx.AsyncClient(base_url=wrong_key.base_url, timeout=10) as http:
        refused = await http.get("/gateway/query-api/api/companies")
    assert companies.status_code == 200
    assert companies.json() == []  # migrated, not seeded
    assert bad.status_code == 422
    assert entry.status_code == 307
    assert entry.headers["location"] == "/companies"  # no company yet: the list
    assert ready.status_code == 200
    assert refused.status_code == 401
    assert refused.json() == {"detail": "invalid API key"}
