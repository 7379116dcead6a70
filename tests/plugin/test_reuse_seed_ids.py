"""Seed ids of a kept sandbox: recorded in its state file, used while the module is unchanged."""

from __future__ import annotations

import json
from pathlib import Path

from pytest_stonks_sandbox._plugin.reuse import kept_state, record_seed, seed_constants
from pytest_stonks_sandbox._seeding.seeder import SeedSummary
from pytest_stonks_sandbox._settings.project import ProjectConfig, parse_project

MODULE = """
import pathlib
with open(pathlib.Path(__file__).with_name("runs.log"), "a") as log:
    log.write("ran\\n")
OWNER_ID = "00000000-0000-4000-b100-000000000001"
TICKERS = ("ACME", "GLOBEX")
LIMITS = {"max": 3}
_private = 1
"""


def _project(tmp_path: Path, text: str = MODULE) -> ProjectConfig:
    module = tmp_path / "seed_ids.py"
    module.write_text(text, encoding="utf-8")
    return parse_project({"database": "items", "seed_ids": str(module)}, root=tmp_path)


def _runs(tmp_path: Path) -> int:
    log = tmp_path / "runs.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


def _keep(tmp_path: Path, project: ProjectConfig) -> Path:
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps(kept_state(project, None, {})), encoding="utf-8")
    return state_file


def test_an_attaching_run_takes_the_seed_ids_from_the_state_file(tmp_path: Path) -> None:
    project = _project(tmp_path)
    state_file = _keep(tmp_path, project)
    assert _runs(tmp_path) == 1  # the kept run read the module once
    constants = seed_constants(project, state_file)
    assert constants == {
        "OWNER_ID": "00000000-0000-4000-b100-000000000001",
        "TICKERS": ("ACME", "GLOBEX"),  # tuples stay tuples
        "LIMITS": {"max": 3},
    }
    assert _runs(tmp_path) == 1  # not run again
    assert seed_constants(project, None) == constants  # without a kept sandbox: the module
    assert _runs(tmp_path) == 2


def test_a_changed_module_is_read_again(tmp_path: Path) -> None:
    project = _project(tmp_path)
    state_file = _keep(tmp_path, project)
    changed = _project(tmp_path, MODULE.replace('"ACME"', '"INITECH"'))
    assert seed_constants(changed, state_file)["TICKERS"] == ("INITECH", "GLOBEX")
    assert _runs(tmp_path) == 2
    # Seeding the kept sandbox again records the module as it is now.
    state = json.loads(state_file.read_text())
    record_seed(state_file, state, changed, SeedSummary(0.1))
    assert seed_constants(changed, state_file)["TICKERS"] == ("INITECH", "GLOBEX")
    assert _runs(tmp_path) == 3  # read once by record_seed, then from the state file


def test_constants_that_are_not_plain_literals_are_not_cached(tmp_path: Path) -> None:
    project = _project(tmp_path, MODULE + "import uuid\nOWNER = uuid.UUID(int=1)\n")
    state_file = _keep(tmp_path, project)
    assert json.loads(state_file.read_text())["seed_ids"] is None
    assert (
        str(seed_constants(project, state_file)["OWNER"]) == "00000000-0000-0000-0000-000000000001"
    )
    assert _runs(tmp_path) == 2


def test_a_state_file_of_an_older_plugin_without_seed_ids_reads_the_module(
    tmp_path: Path,
) -> None:
    project = _project(tmp_path)
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps({"backend": "local"}), encoding="utf-8")
    assert seed_constants(project, state_file)["LIMITS"] == {"max": 3}
    assert seed_constants(project, tmp_path / "gone.json")["LIMITS"] == {"max": 3}
    assert _runs(tmp_path) == 2
