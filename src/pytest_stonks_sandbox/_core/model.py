"""Frozen values that flow one way through the plugin: endpoints of a running sandbox."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Endpoints:
    """How to reach every component of a running sandbox, whichever backend runs it."""

    postgres_dsn: str
    redis_url: str
    s3_endpoint: str
    s3_access_key: str
    s3_secret_key: str
    s3_region: str
    api_key: str
    services: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "services", MappingProxyType(dict(self.services)))

    def service_url(self, name: str) -> str:
        """Base URL of one service; KeyError names the services that exist."""
        try:
            return self.services[name]
        except KeyError:
            known = ", ".join(sorted(self.services)) or "none"
            raise KeyError(f"no service {name!r} in this sandbox (services: {known})") from None

    def placeholders(self) -> dict[str, str]:
        """Values that `[tool.stonks-sandbox.service-env]` templates may use."""
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "services"}
        values.update({f"url:{name}": url for name, url in self.services.items()})
        return values

    def secrets(self) -> list[str]:
        """The credentials in these endpoints (database and Redis passwords, S3 keys, API key)."""
        passwords = [urlsplit(url).password for url in (self.postgres_dsn, self.redis_url)]
        found = [*passwords, self.s3_access_key, self.s3_secret_key, self.api_key]
        return [secret for secret in found if secret]

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = self.placeholders()
        data = {key: value for key, value in data.items() if not key.startswith("url:")}
        data["services"] = dict(self.services)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Endpoints:
        return cls(**{**data, "services": dict(data.get("services", {}))})


@dataclass(frozen=True)
class Sandbox:
    """What the `sandbox` fixture gives a test."""

    run_id: str
    backend: str
    namespace: str
    endpoints: Endpoints
    run_dir: str
    seed_rows: Mapping[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "backend": self.backend,
            "namespace": self.namespace,
            "endpoints": self.endpoints.to_dict(),
            "run_dir": self.run_dir,
            "seed_rows": dict(self.seed_rows),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Sandbox:
        return cls(**{**data, "endpoints": Endpoints.from_dict(data["endpoints"])})
