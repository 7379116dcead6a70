"""The JSON error body every service returns, as OpenAPI `responses` entries for routes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorOut(BaseModel):
    """Every error body: ``{"detail": ...}``."""

    detail: Any


ERROR_DESCRIPTIONS = {
    400: "business rule violation",
    401: "missing or wrong X-API-Key",
    404: "unknown id",
    409: "duplicate or conflicting state",
    429: "rate limit exceeded (when STONKS_RATE_LIMIT is set)",
    503: "a dependency is unavailable",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entry declaring the JSON errors a route may answer."""
    return {code: {"model": ErrorOut, "description": ERROR_DESCRIPTIONS[code]} for code in codes}
