"""What the Kubernetes backend applies: templates from k8s/ filled in, plus generated secrets.

Pure functions over plain dicts, so they can be read and tested without a cluster.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_stonks_sandbox._backends.kubernetes.api import INSTALL_HINT
from pytest_stonks_sandbox._core.errors import ConfigError, ProvisionError
from pytest_stonks_sandbox._core.model import Endpoints
from pytest_stonks_sandbox._core.s3 import S3_REGION
from pytest_stonks_sandbox._settings.placeholders import render_table
from pytest_stonks_sandbox._settings.project import ProjectConfig

INFRA_TEMPLATE = "infra.yaml"
SERVICE_TEMPLATE = "service.yaml"
CREDENTIALS_SECRET = "stonks-sandbox-credentials"
SETTINGS_CONFIGMAP = "stonks-sandbox-settings"
SERVICE_ENV_SECRET = "stonks-service-env"
COMPONENT_LABEL = "app.kubernetes.io/name"
MANAGED_BY = {"app.kubernetes.io/managed-by": "pytest-stonks-sandbox"}
RUN_ID_LABEL = "stonks/run-id"
OWNER_ANNOTATION = "stonks/owner"
# Component -> port inside the cluster (Service port = container port).
INFRA_PORTS = {"postgres": 5432, "redis": 6379, "s3": 9000}
SERVICE_PORT = 8000
BUCKET_JOB = "s3-buckets"
# `${NAME}` in a manifest is filled by the backend; `$NAME` and `$(NAME)` are left alone.
MANIFESTS_HINT = 'set k8s_manifests = "k8s/sandbox" in [tool.stonks-sandbox].'
PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Credentials:
    """The per-run secrets of the sandbox's infrastructure."""

    postgres_user: str
    postgres_password: str
    database: str
    redis_password: str
    s3_access_key: str
    s3_secret_key: str
    api_key: str

    @classmethod
    def generate(cls, database: str) -> Credentials:
        return cls(
            postgres_user="stonks",
            postgres_password=secrets.token_hex(16),
            database=database,
            redis_password=secrets.token_hex(16),
            s3_access_key="SB" + secrets.token_hex(8).upper(),
            s3_secret_key=secrets.token_hex(16),
            api_key=secrets.token_hex(16),
        )

    def secrets(self) -> list[str]:
        """The values that must never be written anywhere but the sandbox's Secret."""
        return [self.postgres_password, self.redis_password, self.s3_access_key,
                self.s3_secret_key, self.api_key]  # fmt: skip

    def as_env(self) -> dict[str, str]:
        """The keys of Secret `stonks-sandbox-credentials`, as k8s/sandbox/infra.yaml reads them."""
        return {
            "POSTGRES_USER": self.postgres_user,
            "POSTGRES_PASSWORD": self.postgres_password,
            "POSTGRES_DB": self.database,
            "REDIS_PASSWORD": self.redis_password,
            "S3_ACCESS_KEY": self.s3_access_key,
            "S3_SECRET_KEY": self.s3_secret_key,
            "S3_REGION": S3_REGION,
            "API_KEY": self.api_key,
        }

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Credentials:
        return cls(
            postgres_user=env["POSTGRES_USER"],
            postgres_password=env["POSTGRES_PASSWORD"],
            database=env["POSTGRES_DB"],
            redis_password=env["REDIS_PASSWORD"],
            s3_access_key=env["S3_ACCESS_KEY"],
            s3_secret_key=env["S3_SECRET_KEY"],
            api_key=env["API_KEY"],
        )


def endpoints_for(
    credentials: Credentials, addresses: Mapping[str, str], project: ProjectConfig
) -> Endpoints:
    """Endpoints from the `host:port` of every component (see `components`)."""
    creds = credentials
    return Endpoints(
        postgres_dsn=(
            f"postgresql://{creds.postgres_user}:{creds.postgres_password}"
            f"@{addresses['postgres']}/{creds.database}"
        ),
        redis_url=f"redis://:{creds.redis_password}@{addresses['redis']}/0",
        s3_endpoint=f"http://{addresses['s3']}",
        s3_access_key=creds.s3_access_key,
        s3_secret_key=creds.s3_secret_key,
        s3_region=S3_REGION,
        api_key=creds.api_key,
        services={spec.name: f"http://{addresses[spec.name]}" for spec in project.services},
    )


def cluster_addresses(project: ProjectConfig, namespace: str) -> dict[str, str]:
    """How pods (and a runner Job) reach each component: `<name>.<namespace>.svc:<port>`."""
    return {name: f"{name}.{namespace}.svc:{port}" for name, port in components(project).items()}


def _in_cluster_values(
    credentials: Credentials, project: ProjectConfig, namespace: str
) -> dict[str, str]:
    """The `{placeholder}` values of the services' environment inside the cluster."""
    endpoints = endpoints_for(credentials, cluster_addresses(project, namespace), project)
    return {**endpoints.placeholders(), "port": str(SERVICE_PORT)}


def render_template(path: Path, values: Mapping[str, str]) -> list[dict[str, Any]]:
    """The YAML documents of `path` with `${NAME}` filled from `values`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), f"cannot be read ({exc}).", MANIFESTS_HINT) from exc
    unknown = sorted({name for name in PLACEHOLDER.findall(text) if name not in values})
    if unknown:
        known = ", ".join("${" + key + "}" for key in sorted(values))
        raise ConfigError(
            str(path),
            f"uses unknown placeholders {', '.join(unknown)}.",
            f"use {known} (shell variables in commands: write $NAME, without braces).",
        )
    filled = PLACEHOLDER.sub(lambda match: values[match.group(1)], text)
    try:
        import yaml  # comes with the kubernetes client (the k8s extra)
    except ImportError as exc:
        raise ProvisionError("kubernetes", "PyYAML is not installed.", INSTALL_HINT) from exc
    try:
        documents = [doc for doc in yaml.safe_load_all(filled) if doc]
    except yaml.YAMLError as exc:
        raise ConfigError(str(path), f"is not valid YAML ({exc}).", "correct the file.") from exc
    for doc in documents:
        if not isinstance(doc, dict) or "kind" not in doc or "apiVersion" not in doc:
            raise ConfigError(
                str(path), "holds a document that is not a Kubernetes object.", "correct it."
            )
    return documents


def manifests_dir(project: ProjectConfig) -> Path:
    """The directory with infra.yaml and service.yaml; a clear error when it is missing."""
    directory = project.k8s_manifests
    if directory is None:
        raise ConfigError(
            "[tool.stonks-sandbox]", "declares no Kubernetes manifests.", MANIFESTS_HINT
        )
    for name in (INFRA_TEMPLATE, SERVICE_TEMPLATE):
        if not (directory / name).is_file():
            raise ConfigError(str(directory), f"has no {name}.", MANIFESTS_HINT)
    return directory


def image_for(project: ProjectConfig, service: str, tag: str, registry: str = "") -> str:
    """`[<registry>/]<image>:<tag>` of a service; its `image` key is required on Kubernetes."""
    spec = project.service(service)
    if not spec.image:
        raise ConfigError(
            f"[tool.stonks-sandbox.services.{service}]",
            "has no 'image', which the kubernetes backend needs.",
            f'add image = "registry/{service}" (the tag comes from --image-tag).',
        )
    prefix = f"{registry}/" if registry else ""
    return f"{prefix}{spec.image}:{tag}"


def workload(
    project: ProjectConfig,
    namespace: str,
    run_id: str,
    tag: str,
    credentials: Credentials,
    registry: str = "",
) -> list[dict[str, Any]]:
    """Every object of the sandbox's workload: infrastructure, then one set per service.

    `registry` goes in front of the service images (`--sandbox-image-registry`)."""
    directory = manifests_dir(project)
    base = {"NAMESPACE": namespace, "RUN_ID": run_id, "IMAGE_TAG": tag}
    objects = render_template(directory / INFRA_TEMPLATE, base)
    values = _in_cluster_values(credentials, project, namespace)
    for spec in project.services:
        rendered = render_template(
            directory / SERVICE_TEMPLATE,
            {**base, "SERVICE": spec.name, "IMAGE": image_for(project, spec.name, tag, registry)},
        )
        where = f"[tool.stonks-sandbox.services.{spec.name}.env]"
        own_env = render_table(spec.env, values, where)
        objects += [_with_env(obj, own_env) for obj in rendered]
    return objects


def _with_env(obj: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """A Deployment with `env` added to each of its containers; other objects unchanged."""
    if not env or obj.get("kind") != "Deployment":
        return obj
    for container in obj["spec"]["template"]["spec"]["containers"]:
        container.setdefault("env", []).extend(
            {"name": key, "value": value} for key, value in env.items()
        )
    return obj


def namespace_object(namespace: str, run_id: str, owner: str) -> dict[str, Any]:
    """The run's namespace, labelled so that a later run or --sandbox-gc can find it."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": namespace,
            "labels": {**MANAGED_BY, RUN_ID_LABEL: run_id},
            "annotations": {OWNER_ANNOTATION: owner},
        },
    }


def secret(name: str, data: Mapping[str, str]) -> dict[str, Any]:
    encoded = {key: base64.b64encode(value.encode()).decode() for key, value in data.items()}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "labels": dict(MANAGED_BY)},
        "type": "Opaque",
        "data": encoded,
    }


def config_map(name: str, data: Mapping[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "labels": dict(MANAGED_BY)},
        "data": dict(data),
    }


def settings(
    project: ProjectConfig, credentials: Credentials, namespace: str
) -> list[dict[str, Any]]:
    """The Secrets and ConfigMap the workload reads, created before it."""
    values = _in_cluster_values(credentials, project, namespace)
    where = "[tool.stonks-sandbox.service-env]"
    return [
        secret(CREDENTIALS_SECRET, credentials.as_env()),
        config_map(SETTINGS_CONFIGMAP, {"BUCKETS": " ".join(project.buckets)}),
        secret(SERVICE_ENV_SECRET, render_table(project.service_env, values, where)),
    ]


def components(project: ProjectConfig) -> dict[str, int]:
    """Component name -> the port its pods listen on."""
    return {**INFRA_PORTS, **{spec.name: SERVICE_PORT for spec in project.services}}
