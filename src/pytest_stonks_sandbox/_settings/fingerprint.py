"""What built a sandbox, one digest per part, so a run attaching to a kept one can tell what
changed since: its migrations, seed files, objects, services, and the plugin's version."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pytest_stonks_sandbox._settings.project import ProjectConfig
from pytest_stonks_sandbox._version import __version__

PARTS = ("migrations", "seeds", "objects", "services", "plugin")
#: Parts a new seed brings a kept sandbox up to date with (seeding is idempotent).
SEEDABLE = frozenset({"seeds", "objects"})


def tree_digest(path: Path | None) -> str:
    """A digest of every file under `path` (names and contents); "" when none is declared."""
    if path is None:
        return ""
    if not path.is_dir():
        return "missing"
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(file.relative_to(path).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()[:16]


def file_digest(path: Path | None) -> str:
    """A digest of one file's contents; "" when none is declared, "missing" when it is absent."""
    if path is None:
        return ""
    if not path.is_file():
        return "missing"
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _services_digest(project: ProjectConfig) -> str:
    declared = {
        "services": [asdict(spec) for spec in project.services],
        "service_env": dict(project.service_env),
    }
    text = json.dumps(declared, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fingerprint(project: ProjectConfig) -> dict[str, str]:
    """The digest of each of PARTS for this checkout's project."""
    return {
        "migrations": tree_digest(project.migrations),
        "seeds": tree_digest(project.seeds),
        "objects": tree_digest(project.objects),
        "services": _services_digest(project),
        "plugin": __version__,
    }


def changed_parts(kept: Mapping[str, Any], current: Mapping[str, str]) -> list[str]:
    """The parts whose digest differs between a kept sandbox and this checkout, in PARTS order."""
    return [part for part in PARTS if kept.get(part) != current.get(part)]
