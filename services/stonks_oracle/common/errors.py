"""Domain exceptions and their mapping to JSON error responses ``{"detail": ...}``."""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
import botocore.exceptions
import redis.exceptions
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response

log = logging.getLogger("stonks_oracle.errors")


class ServiceError(Exception):
    """Base of the domain errors; carries an HTTP status and a JSON-ready detail."""

    status_code = 500
    default_detail = "internal server error"

    def __init__(self, detail: Any = None) -> None:
        self.detail = self.default_detail if detail is None else detail
        super().__init__(str(self.detail))


class NotFound(ServiceError):
    """The addressed entity does not exist (404)."""

    status_code = 404
    default_detail = "not found"


class Conflict(ServiceError):
    """The write would duplicate an existing entity (409)."""

    status_code = 409
    default_detail = "conflict"


class BusinessRuleViolation(ServiceError):
    """The request is well-formed but breaks a domain rule (400)."""

    status_code = 400
    default_detail = "business rule violation"


class DependencyUnavailable(ServiceError):
    """A backing service (database, redis, object store) cannot be reached (503)."""

    status_code = 503
    default_detail = "dependency unavailable"


DB_DOWN = (
    ConnectionError,  # refused / reset connections
    TimeoutError,
    asyncpg.InterfaceError,  # "connection is closed", pool closing
    asyncpg.PostgresConnectionError,  # connection does not exist / failure
    asyncpg.CannotConnectNowError,  # server starting up or shutting down
    asyncpg.OperatorInterventionError,  # admin shutdown, crash shutdown
    asyncpg.InvalidCatalogNameError,  # database not created yet (sandbox still provisioning)
    asyncpg.InvalidAuthorizationSpecificationError,  # credentials not set yet, or rotated
)
S3_DOWN = (
    botocore.exceptions.EndpointConnectionError,
    botocore.exceptions.ConnectionClosedError,
    botocore.exceptions.ReadTimeoutError,
    botocore.exceptions.ConnectTimeoutError,
)


def as_service_error(exc: BaseException) -> ServiceError:
    """Translate any exception into the ServiceError the client should see."""
    if isinstance(exc, ServiceError):
        return exc
    if isinstance(exc, asyncpg.UniqueViolationError):
        return Conflict(exc.detail or "duplicate")
    if isinstance(exc, asyncpg.IntegrityConstraintViolationError):
        return BusinessRuleViolation(exc.detail or exc.message)
    if isinstance(exc, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
        return DependencyUnavailable("redis unavailable")
    if isinstance(exc, S3_DOWN):
        return DependencyUnavailable("object store unavailable")
    if isinstance(exc, DB_DOWN):
        return DependencyUnavailable("database unavailable")
    return ServiceError()


def error_response(
    status_code: int, detail: Any, headers: dict[str, str] | None = None
) -> Response:
    """The one shape of every error this project returns."""
    return JSONResponse({"detail": jsonable_encoder(detail)}, status_code, headers=headers)


def service_error_response(exc: BaseException) -> Response:
    """Response for an exception that escaped a route; logs the unexpected ones."""
    error = as_service_error(exc)
    if type(error) is ServiceError:
        log.error("unhandled error", exc_info=exc)
    elif error is not exc:
        log.warning("%s: %r", error.detail, exc)
    return error_response(error.status_code, error.detail)


async def _http_exception(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, exc.detail, dict(exc.headers or {}))


async def _validation_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_response(422, exc.errors())


async def _service_error(_: Request, exc: Exception) -> Response:
    return service_error_response(exc)


def install_exception_handlers(app: FastAPI) -> None:
    """Make every handled error JSON; the rest is caught by CatchAllMiddleware."""
    app.add_exception_handler(HTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _validation_error)
    for exc_type in (
        ServiceError,
        asyncpg.PostgresError,
        redis.exceptions.RedisError,
        botocore.exceptions.BotoCoreError,
        *DB_DOWN,
    ):
        app.add_exception_handler(exc_type, _service_error)
