"""What the sandbox holds, read from the project's `[tool.stonks-sandbox]` table."""

from __future__ import annotations

import re
import runpy
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_stonks_sandbox._core.errors import ConfigError
from pytest_stonks_sandbox._settings.budgetspec import BudgetSpec, parse_budgets
from pytest_stonks_sandbox._settings.options import TABLE_KEYS

TABLE = "tool.stonks-sandbox"
INFRA_COMPONENTS = ("postgres", "redis", "s3")
_DOTTED = r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*"
APP_SPEC = re.compile(rf"{_DOTTED}:{_DOTTED}")
MODULE_NAME = re.compile(_DOTTED)
#: What the launcher imports before forking `app` services, unless `preload` says otherwise.
DEFAULT_PRELOAD = ("uvicorn",)


@dataclass(frozen=True)
class ServiceSpec:
    """One application service: how to run it locally and how to check it.

    Exactly one of `command` (a process of its own) and `app` ("module:attr", an ASGI app
    forked from the preloading launcher and served by uvicorn) is set.
    """

    name: str
    command: tuple[str, ...]
    cwd: Path
    app: str = ""
    port_env: str = "PORT"
    health: str = "/health"
    ready: str = "/ready"
    client: str = ""
    image: str = ""
    env: Mapping[str, str] = field(default_factory=dict)


#: Reference 004's category weights, the defaults of `[tool.stonks-sandbox.categories]`.
DEFAULT_WEIGHTS: Mapping[str, float] = {
    "performance": 25, "reliability": 25, "security": 20, "scalability": 15,
    "monitoring": 10, "data_integrity": 20, "configuration": 5,
}  # fmt: skip
DEFAULT_GATE_THRESHOLD = 70.0


@dataclass(frozen=True)
class Category:
    """Test modules scored together by the promotion gate (globs relative to the rootdir)."""

    name: str
    weight: float
    modules: tuple[str, ...]


@dataclass(frozen=True)
class ProjectConfig:
    """The sandbox declaration of a project; paths are absolute."""

    root: Path
    database: str = "stonks"
    api_key_header: str = "X-API-Key"
    buckets: tuple[str, ...] = ()
    migrations: Path | None = None
    seeds: Path | None = None
    objects: Path | None = None
    seed_ids: Path | None = None
    k8s_manifests: Path | None = None
    pages: Path | None = None
    services: tuple[ServiceSpec, ...] = ()
    preload: tuple[str, ...] = DEFAULT_PRELOAD
    service_env: Mapping[str, str] = field(default_factory=dict)
    binaries: Mapping[str, str] = field(default_factory=dict)
    ports: Mapping[str, int] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    budgets: tuple[BudgetSpec, ...] = ()
    categories: tuple[Category, ...] = ()
    gate_threshold: float = DEFAULT_GATE_THRESHOLD

    def seed_constants(self) -> dict[str, Any]:
        """The UPPER_CASE constants of the seed_ids module (empty when none is declared)."""
        if self.seed_ids is None:
            return {}
        values = runpy.run_path(str(self.seed_ids))
        return {key: value for key, value in values.items() if key.isupper()}

    def service(self, name: str) -> ServiceSpec:
        for spec in self.services:
            if spec.name == name:
                return spec
        raise KeyError(name)


def load_project(root: Path, pyproject: Path | None = None) -> ProjectConfig:
    """Read `[tool.stonks-sandbox]` from `pyproject` (default: root/pyproject.toml)."""
    path = pyproject or root / "pyproject.toml"
    if not path.is_file():
        return ProjectConfig(root=root)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"is not valid TOML ({exc}).", "correct the file.") from exc
    table = document.get("tool", {}).get("stonks-sandbox", {})
    if not isinstance(table, dict):
        raise ConfigError(TABLE, f"in {path} must be a table.", "write [tool.stonks-sandbox].")
    return parse_project(table, root=path.parent, source=str(path))


def parse_project(table: Mapping[str, Any], root: Path, source: str = TABLE) -> ProjectConfig:
    """Validate the table and build a ProjectConfig; errors name the key and the file."""
    where = f"[{TABLE}] in {source}"

    def path_of(key: str) -> Path | None:
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise ConfigError(where, f"'{key}' must be a path string.", f'set {key} = "dir".')
        return (root / value).resolve()

    services_table = table.get("services", {})
    if not isinstance(services_table, dict):
        raise ConfigError(
            where, "'services' must be a table of tables.", "see docs/architecture.md."
        )
    services = tuple(
        _parse_service(name, spec, root, where) for name, spec in services_table.items()
    )
    buckets = table.get("buckets", [])
    if not isinstance(buckets, list) or not all(isinstance(b, str) for b in buckets):
        raise ConfigError(where, "'buckets' must be a list of bucket names.", 'buckets = ["a"].')
    ports = table.get("ports", {})
    if not isinstance(ports, dict) or not all(
        isinstance(p, int) and 0 < p < 65536 for p in ports.values()
    ):
        raise ConfigError(where, "'ports' must map components to port numbers.", "postgres = 15432")
    return ProjectConfig(
        root=root,
        database=str(table.get("database", "stonks")),
        api_key_header=str(table.get("api_key_header", "X-API-Key")),
        buckets=tuple(buckets),
        migrations=path_of("migrations"),
        seeds=path_of("seeds"),
        objects=path_of("objects"),
        seed_ids=path_of("seed_ids"),
        k8s_manifests=path_of("k8s_manifests"),
        pages=path_of("pages"),
        services=services,
        preload=_parse_preload(table.get("preload", list(DEFAULT_PRELOAD)), where),
        service_env=_string_table(table.get("service-env", {}), "service-env", where),
        binaries=_string_table(table.get("binaries", {}), "binaries", where),
        ports=dict(ports),
        options={k: table[k] for k in sorted(TABLE_KEYS) if k in table},
        budgets=parse_budgets(table.get("budgets", {}), where),
        categories=_parse_categories(table.get("categories", {}), where),
        gate_threshold=_gate_threshold(table.get("gate", {}), where),
    )


def _parse_categories(table: Any, where: str) -> tuple[Category, ...]:
    """`name = ["glob", ...]` (reference 004's weight) or `name = {modules = [...], weight = N}`."""
    if not isinstance(table, dict):
        raise ConfigError(
            where, "'categories' must be a table.", "[tool.stonks-sandbox.categories]"
        )
    categories = []
    for name, value in table.items():
        spec = value if isinstance(value, dict) else {"modules": value}
        modules, weight = spec.get("modules"), spec.get("weight", DEFAULT_WEIGHTS.get(name))
        if not isinstance(modules, list) or not all(isinstance(m, str) for m in modules):
            raise ConfigError(
                where, f"category {name!r} needs a list of test module globs.",
                f'{name} = ["tests/integration/test_x.py"]',
            )  # fmt: skip
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            raise ConfigError(
                where, f"category {name!r} needs a weight (a number, 0 or more).",
                f"{name} = {{ modules = [...], weight = 10 }}; reference 004's categories "
                f"({', '.join(DEFAULT_WEIGHTS)}) have one by default.",
            )  # fmt: skip
        categories.append(Category(str(name), float(weight), tuple(modules)))
    return tuple(categories)


def _gate_threshold(table: Any, where: str) -> float:
    threshold = table.get("threshold", DEFAULT_GATE_THRESHOLD) if isinstance(table, dict) else None
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise ConfigError(where, "'gate.threshold' must be a score 0..100.", "threshold = 70")
    if not 0 <= threshold <= 100:
        raise ConfigError(where, "'gate.threshold' must be a score 0..100.", "threshold = 70")
    return float(threshold)


def _parse_preload(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(
        isinstance(m, str) and MODULE_NAME.fullmatch(m) for m in value
    ):
        raise ConfigError(
            where, "'preload' must be a list of module names.",
            'preload = ["uvicorn", "fastapi", "pkg.common"]',
        )  # fmt: skip
    return tuple(value)


def _parse_command(name: str, spec: Mapping[str, Any], where: str) -> tuple[tuple[str, ...], str]:
    """The service's `command` or its `app`: exactly one of them, well formed."""
    command, app = spec.get("command"), spec.get("app")
    example_command = '["{python}", "-m", "uvicorn", "pkg.app:app", "--port", "{port}"]'
    if (command is None) == (app is None):
        raise ConfigError(
            where,
            f"service '{name}' needs exactly one of 'command' and 'app' "
            f"({'both are' if command is not None else 'neither is'} set).",
            f'app = "pkg.app:app" (forked from the preloading launcher) or '
            f"command = {example_command}",
        )
    if app is not None:
        if not isinstance(app, str) or not APP_SPEC.fullmatch(app):
            raise ConfigError(
                where,
                f"service '{name}' has app = {app!r}: it must be \"module:attribute\".",
                'app = "pkg.app:app"',
            )
        return (), app
    if not isinstance(command, list) or not command or not all(isinstance(c, str) for c in command):
        raise ConfigError(
            where,
            f"service '{name}' needs 'command', a non-empty list of strings.",
            f"command = {example_command}",
        )
    return tuple(command), ""


def _parse_service(name: str, spec: Any, root: Path, where: str) -> ServiceSpec:
    if not isinstance(spec, dict):
        raise ConfigError(where, f"service '{name}' must be a table.", "see docs/architecture.md.")
    if name in INFRA_COMPONENTS:
        raise ConfigError(where, f"'{name}' is an infrastructure component name.", "rename it.")
    command, app = _parse_command(name, spec, where)
    return ServiceSpec(
        name=name,
        command=command,
        app=app,
        cwd=(root / str(spec.get("cwd", "."))).resolve(),
        port_env=str(spec.get("port_env", "PORT")),
        health=str(spec.get("health", "/health")),
        ready=str(spec.get("ready", "/ready")),
        client=str(spec.get("client", "")),
        image=str(spec.get("image", "")),
        env=_string_table(spec.get("env", {}), f"services.{name}.env", where),
    )


def _string_table(value: Any, key: str, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigError(where, f"'{key}' must be a table of strings.", f"[{TABLE}.{key}]")
    return {str(k): str(v) for k, v in value.items()}
