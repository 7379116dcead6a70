"""The services' route templates, read from their /openapi.json when first needed.

A service builds its OpenAPI document on the first request (about 0.1 s of CPU each), so nothing
is fetched before a timed client of that service is made; the page checks and a kept sandbox's
state read them all (fetched at once). A run that never calls a service never pays for it.
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


def fetch_route_templates(services: Mapping[str, str]) -> dict[str, RouteTemplates]:
    """Each service's route templates, by name from its base URL, all at once (services
    without /openapi.json are left out)."""
    with ThreadPoolExecutor(max_workers=max(len(services), 1)) as pool:
        fetched = dict(zip(services, pool.map(fetch_one, services.values()), strict=True))
    return {name: templates for name, templates in fetched.items() if templates is not None}


class RouteFetch(Mapping[str, RouteTemplates]):
    """Route templates by service, each fetched once on first access (thread-safe)."""

    def __init__(self, endpoints: Endpoints) -> None:
        self._urls = dict(endpoints.services)
        self._fetched: dict[str, RouteTemplates | None] = {}
        self._lock = threading.Lock()

    def _all(self) -> dict[str, RouteTemplates]:
        with self._lock:
            missing = {name: url for name, url in self._urls.items() if name not in self._fetched}
            if missing:
                found = fetch_route_templates(missing)
                self._fetched.update({name: found.get(name) for name in missing})
            return {name: t for name, t in self._fetched.items() if t is not None}

    def __getitem__(self, service: str) -> RouteTemplates:
        with self._lock:
            if service not in self._fetched and service in self._urls:
                self._fetched[service] = fetch_one(self._urls[service])
            templates = self._fetched.get(service)
        if templates is None:
            raise KeyError(service)
        return templates

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())
