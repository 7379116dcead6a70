"""Shared service foundation: settings, app factory, middleware, db, redis, events, storage."""

from .app import create_app
from .deps import DB, RedisClient, Store, get_db, get_redis, get_store
from .errors import BusinessRuleViolation, Conflict, DependencyUnavailable, NotFound, ServiceError
from .events import STREAM, publish_event
from .middleware.correlation import current_correlation_id
from .pagination import Page, Pagination
from .settings import Settings, SettingsError, get_settings, load_settings

__all__ = [
    "DB",
    "STREAM",
    "BusinessRuleViolation",
    "Conflict",
    "DependencyUnavailable",
    "NotFound",
    "Page",
    "Pagination",
    "RedisClient",
    "ServiceError",
    "Settings",
    "SettingsError",
    "Store",
    "create_app",
    "current_correlation_id",
    "get_db",
    "get_redis",
    "get_settings",
    "get_store",
    "load_settings",
    "publish_event",
]
