"""Route templates fetched on first use from real HTTP servers' /openapi.json."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pytest_stonks_sandbox._core.model import Endpoints
from pytest_stonks_sandbox._plugin.routefetch import RouteFetch

OPENAPI = {"openapi": "3.1.0", "paths": {"/api/items": {}, "/api/items/{item_id}": {}}}


HITS: list[str] = []


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        HITS.append(self.path)
        found = self.path == "/openapi.json"
        body = json.dumps(OPENAPI if found else {"detail": "no"}).encode()
        self.send_response(200 if found else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_fetches_each_service_once_when_first_needed(server_url: str) -> None:
    endpoints = Endpoints(
        postgres_dsn="", redis_url="", s3_endpoint="", s3_access_key="", s3_secret_key="",
        s3_region="", api_key="", services={"items": server_url, "more": server_url},
    )  # fmt: skip
    HITS.clear()
    routes = RouteFetch(endpoints)
    assert HITS == []  # a run that never calls a service never asks it
    assert routes["items"].match("/api/items") == "/api/items"
    assert routes.get("items") is routes["items"]
    assert HITS == ["/openapi.json"]
    assert set(routes) == {"items", "more"}  # the rest, at once
    assert len(HITS) == 2


def test_fetches_every_service_and_leaves_out_those_without_openapi(server_url: str) -> None:
    endpoints = Endpoints(
        postgres_dsn="", redis_url="", s3_endpoint="", s3_access_key="", s3_secret_key="",
        s3_region="", api_key="",
        services={"items": server_url, "gone": "http://127.0.0.1:9"},
    )  # fmt: skip
    routes = RouteFetch(endpoints)
    assert set(routes) == {"items"}
    assert routes["items"].match("/api/items/42") == "/api/items/{item_id}"
    assert routes.get("gone") is None
