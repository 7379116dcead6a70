"""The services' route templates, read from their /openapi.json in the background.

A service builds its OpenAPI document on the first request (about 0.1 s of CPU each), so the
fetch starts once the sandbox is up, all services at once, and is awaited only where templates
are used (the first timed client, the page checks, a kept sandbox's state), not before seeding.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor

from pytest_stonks_sandbox._backends.probes import http_json
from pytest_stonks_sandbox._core.model import Endpoints
from pytest_stonks_sandbox._measure.routes import RouteTemplates


def fetch_one(url: str) -> RouteTemplates | None:
    """The route templates of the service at `url`, or None when it serves no OpenAPI."""
    try:
        return RouteTemplates.from_openapi(http_json(f"{url}/openapi.json"))
    except (OSError, ValueError):
        return None


def fetch_route_templates(endpoints: Endpoints) -> dict[str, RouteTemplates]:
    """Each service's route templates (services without /openapi.json are left out)."""
    services = endpoints.services
    with ThreadPoolExecutor(max_workers=max(len(services), 1)) as pool:
        fetched = dict(zip(services, pool.map(fetch_one, services.values()), strict=True))
    return {name: templates for name, templates in fetched.items() if templates is not None}


class RouteFetch(Mapping[str, RouteTemplates]):
    """`fetch_route_templates` on a thread of its own; reading it waits for the result."""

    def __init__(self, endpoints: Endpoints) -> None:
        self._templates: dict[str, RouteTemplates] = {}
        self._thread = threading.Thread(
            target=self._fetch, args=(endpoints,), name="stonks-routes", daemon=True
        )
        self._thread.start()

    def _fetch(self, endpoints: Endpoints) -> None:
        self._templates = fetch_route_templates(endpoints)

    def _result(self) -> dict[str, RouteTemplates]:
        self._thread.join()
        return self._templates

    def __getitem__(self, service: str) -> RouteTemplates:
        return self._result()[service]

    def __iter__(self) -> Iterator[str]:
        return iter(self._result())

    def __len__(self) -> int:
        return len(self._result())
