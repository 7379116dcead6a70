"""Attaching to a kept sandbox without redoing what the kept run did.

The kept run writes into its state file what built the sandbox (`fingerprint`), the seed it
loaded, each service's route templates and the constants of the seed_ids module. An attaching
run compares the fingerprint with its checkout: unchanged, it neither seeds nor fetches the
templates again; changed seed files or objects, it seeds again and says why; other changes
(migrations, services, plugin version) are refused with what changed, since only a new sandbox
has them. The seed ids are taken from the state file while the module's digest is unchanged
(the module is not run again).
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_stonks_sandbox._core.errors import ProvisionError
from pytest_stonks_sandbox._core.jsonfile import write_json
from pytest_stonks_sandbox._measure.routes import RouteTemplates
from pytest_stonks_sandbox._seeding.seeder import SeedSummary
from pytest_stonks_sandbox._settings.fingerprint import (
    SEEDABLE,
    changed_parts,
    file_digest,
    fingerprint,
)
from pytest_stonks_sandbox._settings.project import ProjectConfig


@dataclass(frozen=True)
class AttachPlan:
    """Whether the attaching run seeds, and why (for the terminal and the seed stage)."""

    seed: bool
    reason: str
    seed_rows: Mapping[str, int]
    routes: Mapping[str, RouteTemplates]


def kept_state(
    project: ProjectConfig, seed: SeedSummary | None, routes: Mapping[str, RouteTemplates]
) -> dict[str, Any]:
    """What the state file records besides the endpoints, for the runs that attach later."""
    return {
        "fingerprint": fingerprint(project),
        "seed_rows": seed.row_counts() if seed is not None else None,
        "routes": {service: list(templates.templates) for service, templates in routes.items()},
        "seed_ids": _seed_ids_entry(project),
    }


def _seed_ids_entry(project: ProjectConfig) -> dict[str, str] | None:
    """The seed_ids constants as a Python literal with the module's digest; None when there are
    none or they are not plain literals (then every run reads the module)."""
    if project.seed_ids is None:
        return None
    constants = project.seed_constants()
    literal = repr(constants)
    try:
        if ast.literal_eval(literal) != constants:
            return None
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return {"digest": file_digest(project.seed_ids), "literal": literal}


def seed_constants(project: ProjectConfig, state_file: Path | None) -> dict[str, Any]:
    """The seed_ids module's UPPER_CASE constants: those the kept sandbox's state file recorded
    while the module is unchanged since (`state_file`: when attaching), else the module's."""
    if project.seed_ids is None:
        return {}
    entry: Any = None
    if state_file is not None:
        try:
            entry = json.loads(state_file.read_text(encoding="utf-8")).get("seed_ids")
        except (OSError, ValueError, AttributeError):
            entry = None
    if isinstance(entry, Mapping) and entry.get("digest") == file_digest(project.seed_ids):
        try:
            cached = ast.literal_eval(str(entry.get("literal", "")))
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            cached = None
        if isinstance(cached, dict):
            return cached
    return project.seed_constants()


def plan_attach(state: Mapping[str, Any], project: ProjectConfig, reseed: bool) -> AttachPlan:
    """How to attach to the kept sandbox `state` describes; ProvisionError when it cannot be."""
    kept = state.get("fingerprint")
    rows, routes = state.get("seed_rows"), state.get("routes")
    if not isinstance(kept, Mapping) or not isinstance(rows, Mapping):
        return AttachPlan(True, "the state file records no seed: seeding", {}, {})
    changed = changed_parts(kept, fingerprint(project))
    refused = [part for part in changed if part not in SEEDABLE]
    if refused:
        raise ProvisionError(
            "attach",
            f"the kept sandbox {state.get('run_id', '')} was built from other "
            f"{', '.join(refused)} than this checkout's ({_describe(refused, kept)}).",
            "start a new one: pytest --sandbox --keep always (pytest --sandbox-gc removes the "
            "kept one).",
        )
    cached = {
        service: RouteTemplates(str(t) for t in templates)
        for service, templates in (routes if isinstance(routes, Mapping) else {}).items()
    }
    if changed:
        why = f"{' and '.join(changed)} changed since the sandbox was kept: seeding again"
        return AttachPlan(True, why, {}, cached)
    if reseed:
        return AttachPlan(True, "--sandbox-reseed: seeding again", {}, cached)
    seeded = {str(table): int(count) for table, count in rows.items()}
    return AttachPlan(False, "seeded when it was kept; seed files unchanged", seeded, cached)


def _describe(parts: list[str], kept: Mapping[str, Any]) -> str:
    if parts == ["plugin"]:
        return f"plugin {kept.get('plugin')} then"
    return "files or declarations differ"


def record_seed(
    state_file: Path, state: Mapping[str, Any], project: ProjectConfig, seed: SeedSummary
) -> None:
    """After seeding a kept sandbox again: the state file says what it now holds."""
    updated = {
        **state,
        "fingerprint": fingerprint(project),
        "seed_rows": seed.row_counts(),
        "seed_ids": _seed_ids_entry(project),
    }
    write_json(state_file, updated)
