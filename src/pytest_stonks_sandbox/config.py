"""One frozen SandboxConfig, resolved once.

Precedence: CLI > env STONKS_SANDBOX_* > ini / [tool.stonks-sandbox] > default.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pytest_stonks_sandbox.project import ProjectConfig
from pytest_stonks_sandbox.rundir import base_dir

BACKENDS = ("local", "kubernetes", "attach")
KEEP_POLICIES = ("never", "on-failure", "always")
RUN_ID_PATTERN = re.compile(r"^[a-z0-9]([a-z0-9-]{0,28}[a-z0-9])?$")
DEFAULT_STATE_FILE = ".stonks-sandbox/state.json"
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}

T = TypeVar("T")


class OptionError(ValueError):
    """A bad option value; the message names the option, the source and the accepted values."""


@dataclass(frozen=True)
class Setting:
    """One option as it can be spelled in each source."""

    cli: str
    env: str
    ini: str
    table: str


def _setting(name: str) -> Setting:
    return Setting(
        cli=f"--{name}"
        if name in ("image-tag", "namespace", "run-id", "keep", "results")
        else f"--sandbox-{name}",
        env="STONKS_SANDBOX_" + name.upper().replace("-", "_"),
        ini="sandbox_" + name.replace("-", "_"),
        table=name,
    )


@dataclass(frozen=True)
class SandboxConfig:
    """Everything the session needs to know, read once; the only reader of pytest options."""

    enabled: bool
    backend: str
    image_tag: str
    namespace: str
    run_id: str
    keep: str
    state_file: Path
    reuse: bool
    results_path: Path
    timeout_s: float
    memory_interval_s: float
    enforce_budgets: bool
    base_dir: Path
    project: ProjectConfig
    gc_only: bool = False

    @property
    def run_dir(self) -> Path:
        return self.base_dir / self.run_id


class Sources:
    """The raw values of each source, looked up by option name in precedence order."""

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
        spelled = _setting(name)
        if self.cli.get(name) is not None:
            return self.cli[name], f"option {spelled.cli}"
        if spelled.env in self.env:
            return self.env[spelled.env], f"environment variable {spelled.env}"
        if self.ini.get(name) not in (None, ""):
            return self.ini[name], f"ini option {spelled.ini}"
        if name in self.table:
            return self.table[name], f"[tool.stonks-sandbox] key '{spelled.table}'"
        return None

    def get(self, name: str, default: T, convert: Callable[[Any, str], T]) -> T:
        found = self.lookup(name)
        if found is None:
            return default
        value, source = found
        return convert(value, f"{_setting(name).cli} (from {source})")


def _choice(choices: tuple[str, ...]) -> Callable[[Any, str], str]:
    def convert(value: Any, where: str) -> str:
        text = str(value).strip()
        if text not in choices:
            raise OptionError(f"{where}: {text!r} is not one of {', '.join(choices)}.")
        return text

    return convert


def _positive_float(value: Any, where: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise OptionError(f"{where}: {value!r} is not a number of seconds.") from None
    if not number > 0:
        raise OptionError(f"{where}: {value!r} must be greater than 0 seconds.")
    return number


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
    if not re.match(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", text):
        raise OptionError(
            f"{where}: {text!r} is not a valid Kubernetes namespace name (lowercase letters, "
            "digits and dashes, at most 63 characters)."
        )
    return text


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
    enabled = bool(cli.get("sandbox")) or _boolean(env.get("STONKS_SANDBOX", "0"), "STONKS_SANDBOX")
    keep = sources.get("keep", "never", _choice(KEEP_POLICIES))
    if cli.get("skip-teardown"):
        keep = "always"
    reuse_value = cli.get("sandbox-reuse")
    if reuse_value is None and "STONKS_SANDBOX_REUSE" in env:
        reuse_value = env["STONKS_SANDBOX_REUSE"]
        if _boolean_or_path(reuse_value) is False:
            reuse_value = None
    state_default = sources.get("state-file", DEFAULT_STATE_FILE, _text)
    state_file = _path(
        reuse_value
        if isinstance(reuse_value, str) and _boolean_or_path(reuse_value) is None
        else state_default,
        rootdir,
    )
    reuse = reuse_value is not None
    backend = "attach" if reuse else sources.get("backend", "local", _choice(BACKENDS))
    run_id = sources.get("run-id", "", _run_id) or new_run_id()
    namespace = sources.get("namespace", f"stonks-inttest-{run_id}", _namespace)
    image_tag = sources.get("image-tag", "", _text)
    if backend == "kubernetes" and not image_tag and not cli.get("sandbox-gc"):
        raise OptionError(
            "--image-tag: the kubernetes backend needs the tag of the service images "
            "(e.g. --image-tag 1.4.2, or STONKS_SANDBOX_IMAGE_TAG)."
        )
    return SandboxConfig(
        enabled=enabled or reuse,
        backend=backend,
        image_tag=image_tag,
        namespace=namespace,
        run_id=run_id,
        keep=keep,
        state_file=state_file,
        reuse=reuse,
        results_path=_path(sources.get("results", "inttest-results.json", _text), rootdir),
        # Pulling images and scheduling pods takes longer than starting local processes.
        timeout_s=sources.get(
            "timeout", 300.0 if backend == "kubernetes" else 60.0, _positive_float
        ),
        # metrics-server has a new figure every 15 s; sampling faster only adds API calls.
        memory_interval_s=sources.get(
            "memory-interval", 5.0 if backend == "kubernetes" else 1.0, _positive_float
        ),
        enforce_budgets=sources.get("enforce-budgets", False, _boolean),
        base_dir=base_dir(env),
        project=project,
        gc_only=bool(cli.get("sandbox-gc")),
    )


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
