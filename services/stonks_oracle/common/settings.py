"""Service configuration, read once from the environment (docs/architecture.md)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache


class SettingsError(RuntimeError):
    """A required environment variable is missing or malformed."""


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``requests`` requests per ``seconds`` seconds per client."""

    requests: int
    seconds: int


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a service reads from its environment, and nothing else."""

    port: int = 8000
    database_url: str | None = None
    redis_url: str | None = None
    s3_endpoint: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_region: str = "us-east-1"
    s3_bucket: str = "stonks-normalized"
    api_key: str | None = None
    rate_limit: RateLimit | None = None
    cors_origins: tuple[str, ...] = ()

    def require(self, *fields: str) -> None:
        """Raise SettingsError naming the variable of the first field that is unset."""
        for field in fields:
            if not getattr(self, field):
                raise SettingsError(f"{ENV_NAMES[field]} is required but not set")


ENV_NAMES = {
    "port": "PORT",
    "database_url": "STONKS_DATABASE_URL",
    "redis_url": "STONKS_REDIS_URL",
    "s3_endpoint": "STONKS_S3_ENDPOINT",
    "s3_access_key": "STONKS_S3_ACCESS_KEY",
    "s3_secret_key": "STONKS_S3_SECRET_KEY",
    "s3_region": "STONKS_S3_REGION",
    "s3_bucket": "STONKS_S3_BUCKET",
    "api_key": "STONKS_API_KEY",
    "rate_limit": "STONKS_RATE_LIMIT",
    "cors_origins": "STONKS_CORS_ORIGINS",
}


def _url(env: Mapping[str, str], name: str, schemes: tuple[str, ...]) -> str | None:
    value = env.get(name, "").strip()
    if not value:
        return None
    if not value.startswith(tuple(f"{scheme}://" for scheme in schemes)):
        expected = " or ".join(f"{scheme}://" for scheme in schemes)
        raise SettingsError(f"{name} must start with {expected}, got {value.split(':', 1)[0]!r}")
    return value


def _port(env: Mapping[str, str]) -> int:
    raw = env.get("PORT", "").strip() or "8000"
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SettingsError(f"PORT must be an integer in 1..65535, got {raw!r}")
    return int(raw)


def _rate_limit(env: Mapping[str, str]) -> RateLimit | None:
    raw = env.get("STONKS_RATE_LIMIT", "").strip()
    if not raw:
        return None
    requests, _, seconds = raw.partition("/")
    if not (requests.strip().isdigit() and seconds.strip().isdigit()):
        raise SettingsError(f"STONKS_RATE_LIMIT must look like N/S (e.g. 100/60), got {raw!r}")
    limit = RateLimit(int(requests), int(seconds))
    if limit.requests < 1 or limit.seconds < 1:
        raise SettingsError(f"STONKS_RATE_LIMIT needs N >= 1 and S >= 1, got {raw!r}")
    return limit


def _optional(env: Mapping[str, str], name: str) -> str | None:
    return env.get(name, "").strip() or None


def load_settings(env: Mapping[str, str]) -> Settings:
    """Parse and validate a Settings from an environment mapping."""
    origins = tuple(o.strip().rstrip("/") for o in env.get("STONKS_CORS_ORIGINS", "").split(","))
    return Settings(
        port=_port(env),
        database_url=_url(env, "STONKS_DATABASE_URL", ("postgresql", "postgres")),
        redis_url=_url(env, "STONKS_REDIS_URL", ("redis", "rediss", "unix")),
        s3_endpoint=_url(env, "STONKS_S3_ENDPOINT", ("http", "https")),
        s3_access_key=_optional(env, "STONKS_S3_ACCESS_KEY"),
        s3_secret_key=_optional(env, "STONKS_S3_SECRET_KEY"),
        s3_region=_optional(env, "STONKS_S3_REGION") or "us-east-1",
        s3_bucket=_optional(env, "STONKS_S3_BUCKET") or "stonks-normalized",
        api_key=_optional(env, "STONKS_API_KEY"),
        rate_limit=_rate_limit(env),
        cors_origins=tuple(o for o in origins if o),
    )


@cache
def get_settings() -> Settings:
    """The process-wide Settings, read from os.environ on first use."""
    return load_settings(os.environ)
