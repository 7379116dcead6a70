"""RouteTemplates matching and the normalise_path fallback."""

from __future__ import annotations

import pytest

from pytest_stonks_sandbox._measure.routes import RouteTemplates, normalise_path

OPENAPI = {
    "openapi": "3.1.0",
    "paths": {
        "/health": {},
        "/api/companies": {},
        "/api/companies/{company_id}": {},
        "/api/companies/{company_id}/aliases": {},
        "/api/approvals/pending": {},
        "/api/approvals/{approval_id}": {},
        "/api/approvals/{approval_id}/review": {},
        "/x/a/c/literal": {},
        "/x/{p}/c/other": {},
    },
}


@pytest.fixture(scope="module")
def routes() -> RouteTemplates:
    return RouteTemplates.from_openapi(OPENAPI)


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/api/companies/00000000-0000-4000-a100-000000000001", "/api/companies/{company_id}"),
        ("/api/companies/AAPL/aliases", "/api/companies/{company_id}/aliases"),
        ("/api/companies?limit=5&offset=10", "/api/companies"),
        ("/api/approvals/pending", "/api/approvals/pending"),
        ("/api/approvals/pending?limit=1", "/api/approvals/pending"),
        ("/api/approvals/abc", "/api/approvals/{approval_id}"),
        ("/api/approvals/pending/review", "/api/approvals/{approval_id}/review"),
        ("/x/a/c/other", "/x/{p}/c/other"),
        ("/x/a/c/literal", "/x/a/c/literal"),
        ("/health", "/health"),
    ],
)
def test_concrete_paths_map_to_their_template(
    routes: RouteTemplates, path: str, template: str
) -> None:
    assert routes.match(path) == template


def test_unknown_paths_fall_back_to_normalisation(routes: RouteTemplates) -> None:
    assert routes.match("/api/orders/42/events?x=1") == "/api/orders/{id}/events"


def test_a_parameter_never_matches_an_empty_segment(routes: RouteTemplates) -> None:
    assert routes.match("/api/companies/") == "/api/companies/"


def test_from_openapi_collects_every_path(routes: RouteTemplates) -> None:
    assert len(routes) == len(OPENAPI["paths"])
    assert "/api/approvals/{approval_id}" in routes.templates


def test_a_document_without_paths_only_normalises() -> None:
    routes = RouteTemplates.from_openapi({"openapi": "3.1.0"})
    assert len(routes) == 0
    assert routes.match("/api/trends/17") == "/api/trends/{id}"


def test_a_non_mapping_paths_is_an_error() -> None:
    with pytest.raises(ValueError):
        RouteTemplates.from_openapi({"paths": ["/a"]})


@pytest.mark.parametrize(
    ("path", "normalised"),
    [
        ("/api/companies/00000000-0000-4000-a100-000000000001", "/api/companies/{id}"),
        ("/api/companies/0000000000004000a100000000000001", "/api/companies/{id}"),
        ("/api/orders/42/events", "/api/orders/{id}/events"),
        ("/api/objects/5f2b9c0e1a7d4e3b", "/api/objects/{id}"),
        ("/api/runs/run_2024abcdefghijklmnopqrstu", "/api/runs/{id}"),
        ("/api/companies/AAPL", "/api/companies/AAPL"),
        ("/api/approvals/pending", "/api/approvals/pending"),
        ("/api/decisions?limit=3#top", "/api/decisions"),
        ("/", "/"),
    ],
)
def test_normalise_path_replaces_only_id_like_segments(path: str, normalised: str) -> None:
    assert normalise_path(path) == normalised
