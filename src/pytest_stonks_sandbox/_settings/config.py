"""One frozen SandboxConfig, resolved once.

Precedence: CLI > env STONKS_SANDBOX_* > ini > [tool.stonks-sandbox] > default; each option's
spelling in every source comes from its row in `options.OPTIONS`.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from pytest_stonks_sandbox._settings.options import (
    ARTIFACTS_POLICIES,
    BACKENDS,
    DEFAULT_HTML,
    KEEP_POLICIES,
    ArtifactsPolicy,
    BackendName,
    KeepPolicy,
    ValueType,
    option,
)
from pytest_stonks_sandbox._settings.project import ProjectConfig

RUN_ID_PATTERN = re.compile(r"^[a-z0-9]([a-z0-9-]{0,28}[a-z0-9])?$")
NAMESPACE_PATTERN = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}

T = TypeVar("T")
N = TypeVar("N", int, float)


class OptionError(ValueError):
    """A bad option value; the message names the option, the source and the accepted values."""


#: Memory-backed on Linux: a sandbox's files (PostgreSQL's data directory, the S3 store's
#: volumes, logs) are thrown away with it, and creating a file there costs microseconds where a
#: disk's journal can cost a millisecond (a PostgreSQL data directory is about a thousand files).
MEMORY_DIR = Path("/dev/shm")
#: Used only with this much free: a container's /dev/shm is often 64 MiB, which a sandbox
#: outgrows in the middle of a run.
MEMORY_MIN_FREE = 1 << 30


def _roomy(directory: Path, min_free: int) -> bool:
    """`directory` is there for this user to write, with at least `min_free` bytes free."""
    if not (directory.is_dir() and os.access(directory, os.W_OK | os.X_OK)):
        return False
    stats = os.statvfs(directory)
    return stats.f_bavail * stats.f_frsize >= min_free


def base_dir(
    env: Mapping[str, str], memory_dir: Path = MEMORY_DIR, min_free: int = MEMORY_MIN_FREE
) -> Path:
    """Where run directories live: $STONKS_SANDBOX_DIR, else <memory_dir>/stonks-sandbox when
    this user can write there and it has `min_free` bytes free, else <tmp>/stonks-sandbox."""
    configured = env.get("STONKS_SANDBOX_DIR")
    if configured:
        return Path(configured).resolve()
    usable = _roomy(memory_dir, min_free)
    return ((memory_dir if usable else Path(tempfile.gettempdir())) / "stonks-sandbox").resolve()


@dataclass(frozen=True)
class SandboxConfig:
    """Everything the session needs to know, read once; the only reader of pytest options."""

    enabled: bool
    backend: BackendName
    image_tag: str
    namespace: str
    run_id: str
    keep: KeepPolicy
    state_file: Path
    reuse: bool
    results_path: Path
    timeout_s: float
    memory_interval_s: float
    enforce_budgets: bool
    base_dir: Path
    project: ProjectConfig
    gc_only: bool = False
    browser: str = ""
    artifacts: ArtifactsPolicy = "on-failure"
    baseline: Path | None = None
    regression_tolerance: float = 0.25
    regression_floor_ms: float = 2.0
    regression_min_samples: int = 30
    html_path: Path | None = None
    reseed: bool = False
    image_registry: str = ""
    existing_namespace: bool = False

    @property
    def run_dir(self) -> Path:
        return self.base_dir / self.run_id

    @property
    def artifacts_dir(self) -> Path:
        """Evidence of failures (page screenshots, traces), beside the results contract."""
        return self.results_path.parent / "inttest-artifacts"

    @property
    def bundle_dir(self) -> Path:
        """The failure bundle: every component's logs and state (`--sandbox-artifacts`)."""
        return self.artifacts_dir / "sandbox"


class Sources:
    """The raw values of each source, looked up by option name in precedence order.

    `cli` and `ini` are keyed by option name; `env` by environment name; `table` by
    `[tool.stonks-sandbox]` key. Which source may set an option comes from its OPTIONS row.
    """

    def __init__(
        self,
        cli: Mapping[str, Any],
        env: Mapping[str, str],
        ini: Mapping[str, Any],
        table: Mapping[str, Any],
    ) -> None:
        self.cli, self.env, self.ini, self.table = cli, env, ini, table

    def lookup(self, name: str) -> tuple[Any, str] | None:
        """The first value set for `name`, with a description of where it came from."""
        row = option(name)
        if self.cli.get(name) is not None:
            return self.cli[name], f"option {row.flag}"
        if row.env is not None and row.env in self.env:
            return self.env[row.env], f"environment variable {row.env}"
        if row.ini is not None and self.ini.get(name) not in (None, ""):
            return self.ini[name], f"ini option {row.ini}"
        if row.key is not None and row.key in self.table:
            return self.table[row.key], f"[tool.stonks-sandbox] key '{row.key}'"
        return None

    def value(self, name: str, backend: str = "local") -> Any:
        """The option's value, converted and checked by its type; its default when unset."""
        row = option(name)
        found = self.lookup(name)
        if found is None:
            return row.default_for(backend)
        value, source = found
        return CONVERTERS[row.type](value, f"{row.flag} (from {source})")


def _choice(choices: tuple[T, ...]) -> Callable[[Any, str], T]:
    def convert(value: Any, where: str) -> T:
        text = str(value).strip()
        for choice in choices:
            if text == choice:
                return choice
        raise OptionError(f"{where}: {text!r} is not one of {', '.join(map(str, choices))}.")

    return convert


def _bounded(
    parse: Callable[[str], N], what: str, lowest: float, above: bool, bound: str
) -> Callable[[Any, str], N]:
    """A converter of numbers: `parse`d, then at least `lowest` (greater, when `above`)."""

    def convert(value: Any, where: str) -> N:
        try:
            number = parse(str(value).strip())
        except ValueError:
            raise OptionError(f"{where}: {value!r} is not {what}.") from None
        if not (number > lowest if above else number >= lowest):  # NaN fails both
            raise OptionError(f"{where}: {value!r} must be {bound}.")
        return number

    return convert


_positive_float = _bounded(float, "a number of seconds", 0, True, "greater than 0 seconds")
_ratio = _bounded(float, "a ratio (e.g. 0.25 for 25 %)", 0, True, "greater than 0 (0.25: 25 %)")
_milliseconds = _bounded(float, "a number of milliseconds", 0, False, "0 ms or more")
_count = _bounded(int, "a whole number", 1, False, "1 or more")


def _boolean(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise OptionError(f"{where}: {value!r} is not a boolean (use 1/0, true/false).")


def _text(value: Any, where: str) -> str:
    return str(value).strip()


def _run_id(value: Any, where: str) -> str:
    text = str(value).strip()
    if not RUN_ID_PATTERN.match(text):
        raise OptionError(
            f"{where}: {text!r} is not a valid run id: use 1-30 lowercase letters, digits and "
            "dashes, starting and ending with a letter or digit."
        )
    return text


def _namespace(value: Any, where: str) -> str:
    text = str(value).strip()
    if not NAMESPACE_PATTERN.match(text):
        raise OptionError(
            f"{where}: {text!r} is not a valid Kubernetes namespace name (lowercase letters, "
            "digits and dashes, at most 63 characters)."
        )
    return text


CONVERTERS: Mapping[ValueType, Callable[[Any, str], Any]] = {
    "bool": _boolean,
    "text": _text,
    "path": _text,  # made absolute against the rootdir by `resolve`
    "seconds": _positive_float,
    "backend": _choice(BACKENDS),
    "keep": _choice(KEEP_POLICIES),
    "artifacts": _choice(ARTIFACTS_POLICIES),
    "run-id": _run_id,
    "namespace": _namespace,
    "bool-or-path": _text,  # 1/0 or a path: `resolve` tells them apart
    "ratio": _ratio,
    "milliseconds": _milliseconds,
    "count": _count,
}


def new_run_id() -> str:
    """A unique, sortable, DNS-safe run id: time plus randomness."""
    return f"{time.strftime('%m%d%H%M%S')}-{secrets.token_hex(3)}"


def resolve(
    cli: Mapping[str, Any],
    env: Mapping[str, str],
    ini: Mapping[str, Any],
    project: ProjectConfig,
    rootdir: Path,
) -> SandboxConfig:
    """Build the frozen config; raises OptionError naming the option and its source."""
    sources = Sources(cli, env, ini, project.options)
    enabled: bool = sources.value("sandbox")
    keep: KeepPolicy = "always" if sources.value("skip-teardown") else sources.value("keep")
    state_file = _path(sources.value("state-file"), rootdir)
    # `--sandbox-reuse` alone, or STONKS_SANDBOX_REUSE=1: the state file; any other text: a path.
    reuse_value: str | None = sources.value("sandbox-reuse")
    if reuse_value is not None and cli.get("sandbox-reuse") is None:
        meaning = _boolean_or_path(reuse_value)  # from the environment: 1/0 or a path
        reuse_value = None if meaning is False else "" if meaning else reuse_value
    if reuse_value:
        state_file = _path(reuse_value, rootdir)
    reuse = reuse_value is not None
    backend: BackendName = "attach" if reuse else sources.value("backend")
    run_id: str = sources.value("run-id") or new_run_id()
    namespace: str = sources.value("namespace") or f"stonks-inttest-{run_id}"
    existing_namespace: bool = sources.value("existing-namespace")
    if existing_namespace and not sources.value("namespace"):
        raise OptionError(
            "--sandbox-existing-namespace: name the namespace to deploy into with "
            "--namespace NAME (or STONKS_SANDBOX_NAMESPACE); it must exist already."
        )
    image_tag: str = sources.value("image-tag")
    gc_only: bool = sources.value("sandbox-gc")
    if backend == "kubernetes" and not image_tag and not gc_only:
        raise OptionError(
            "--image-tag: the kubernetes backend needs the tag of the service images "
            "(e.g. --image-tag 1.4.2, or STONKS_SANDBOX_IMAGE_TAG)."
        )
    results_path = _path(sources.value("results"), rootdir)
    if manifests := sources.value("manifests"):
        project = replace(project, k8s_manifests=_path(manifests, rootdir))
    return SandboxConfig(
        enabled=enabled or reuse,
        backend=backend,
        image_tag=image_tag,
        namespace=namespace,
        run_id=run_id,
        keep=keep,
        state_file=state_file,
        reuse=reuse,
        results_path=results_path,
        timeout_s=sources.value("timeout", backend),
        memory_interval_s=sources.value("memory-interval", backend),
        enforce_budgets=sources.value("enforce-budgets"),
        base_dir=base_dir(env),
        project=project,
        gc_only=gc_only,
        browser=sources.value("browser"),
        artifacts=sources.value("artifacts"),
        baseline=_path(baseline, rootdir) if (baseline := sources.value("baseline")) else None,
        regression_tolerance=sources.value("regression-tolerance"),
        regression_floor_ms=sources.value("regression-floor"),
        regression_min_samples=sources.value("regression-min-samples"),
        html_path=_html_path(sources, cli, results_path, rootdir),
        reseed=sources.value("reseed"),
        image_registry=sources.value("image-registry").strip("/"),
        existing_namespace=existing_namespace,
    )


def _html_path(
    sources: Sources, cli: Mapping[str, Any], results_path: Path, rootdir: Path
) -> Path | None:
    """Where the HTML report goes: `--sandbox-html` alone (or 1 from the environment, ini or
    table) means beside the contract; any other text is a path; unset or 0 means none."""
    value: str | None = sources.value("html")
    if value is None:
        return None
    if cli.get("html") is None:
        meaning = _boolean_or_path(value)
        if meaning is False:
            return None
        value = "" if meaning else value
    return _path(value, rootdir) if value else results_path.parent / DEFAULT_HTML


def _boolean_or_path(value: str) -> bool | None:
    """STONKS_SANDBOX_REUSE=1 means the default state file; any other text is a path."""
    lowered = value.strip().lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    return None


def _path(value: str | Path, rootdir: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (rootdir / path)
