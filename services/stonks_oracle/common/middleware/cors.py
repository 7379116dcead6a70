"""CORS via Starlette's CORSMiddleware, with JSON bodies on rejected preflights."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from ..errors import error_response


class JsonCORSMiddleware(CORSMiddleware):
    """CORSMiddleware whose failed preflight answers ``{"detail": ...}`` instead of text."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        headers = {k: v for k, v in response.headers.items() if k.lower().startswith("access-")}
        return error_response(response.status_code, bytes(response.body).decode(), headers)
