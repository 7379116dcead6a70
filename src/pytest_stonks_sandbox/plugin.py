"""pytest entry point: options and ini keys, then hand the run to SandboxSession. Nothing else."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from pytest_stonks_sandbox.config import BACKENDS, KEEP_POLICIES, OptionError, resolve
from pytest_stonks_sandbox.errors import SandboxError
from pytest_stonks_sandbox.keys import SESSION_KEY
from pytest_stonks_sandbox.project import load_project
from pytest_stonks_sandbox.rundir import sweep

CLI_NAMES = (
    "sandbox", "sandbox-backend", "image-tag", "namespace", "run-id", "keep", "skip-teardown",
    "sandbox-reuse", "results", "sandbox-timeout", "sandbox-memory-interval",
    "sandbox-enforce-budgets", "sandbox-gc", "sandbox-state-file",
)  # fmt: skip
INI_NAMES = ("backend", "image-tag", "namespace", "keep", "results", "timeout",
             "memory-interval", "enforce-budgets", "state-file")  # fmt: skip


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("stonks-sandbox", "Stonks Oracle sandbox (pytest-stonks-sandbox)")
    group.addoption(
        "--sandbox",
        action="store_true",
        default=None,
        help="provision the sandbox, seed it, run the tests, tear it down.",
    )
    group.addoption(
        "--sandbox-backend",
        choices=None,
        default=None,
        metavar="NAME",
        help=f"where the sandbox runs: {', '.join(BACKENDS)} (default local).",
    )
    group.addoption(
        "--image-tag",
        default=None,
        metavar="TAG",
        help="tag of the service images (kubernetes backend).",
    )
    group.addoption(
        "--namespace",
        default=None,
        metavar="NAME",
        help="namespace name (default stonks-inttest-<run-id>).",
    )
    group.addoption(
        "--run-id",
        default=None,
        metavar="ID",
        help="run id (default: time + random; lowercase, digits, dashes).",
    )
    group.addoption(
        "--keep",
        default=None,
        metavar="WHEN",
        help=f"leave the sandbox up: {', '.join(KEEP_POLICIES)} (default never).",
    )
    group.addoption(
        "--skip-teardown", action="store_true", default=None, help="same as --keep always."
    )
    group.addoption(
        "--sandbox-reuse",
        nargs="?",
        const="",
        default=None,
        metavar="STATE_FILE",
        help="attach to a kept sandbox (default state file .stonks-sandbox/state.json).",
    )
    group.addoption(
        "--sandbox-state-file",
        default=None,
        metavar="PATH",
        help="where --keep writes the sandbox state (default .stonks-sandbox/state.json).",
    )
    group.addoption(
        "--results",
        default=None,
        metavar="PATH",
        help="results contract path (default inttest-results.json).",
    )
    group.addoption(
        "--sandbox-timeout",
        default=None,
        metavar="SECONDS",
        help="readiness timeout per component (default 60).",
    )
    group.addoption(
        "--sandbox-memory-interval",
        default=None,
        metavar="SECONDS",
        help="memory sampling interval (default 1).",
    )
    group.addoption(
        "--sandbox-enforce-budgets",
        action="store_true",
        default=None,
        help="a breached speed budget fails the run.",
    )
    group.addoption(
        "--sandbox-gc",
        action="store_true",
        default=None,
        help="remove every sandbox left behind (killed or kept runs), then exit.",
    )
    for name in INI_NAMES:
        parser.addini(f"sandbox_{name.replace('-', '_')}", f"default for the sandbox {name}")


def _cli_values(config: pytest.Config) -> dict[str, Any]:
    return {name: config.getoption(name.replace("-", "_")) for name in CLI_NAMES}


def _ini_values(config: pytest.Config) -> dict[str, Any]:
    return {name: config.getini(f"sandbox_{name.replace('-', '_')}") for name in INI_NAMES}


def _sweep_namespaces() -> list[str]:
    """`--sandbox-gc --sandbox-backend=kubernetes`: this host's sandbox namespaces, kept too."""
    from pytest_stonks_sandbox.backends.kubernetes import api, sweep_namespaces

    try:
        client = api.api_client()
    except SandboxError as exc:
        raise pytest.UsageError(exc.explain()) from exc
    try:
        return [f"namespace {name}" for name in sweep_namespaces(client, include_kept=True)]
    finally:
        client.close()


def pytest_configure(config: pytest.Config) -> None:
    cli = _cli_values(config)
    cli["backend"] = cli.pop("sandbox-backend")
    cli["timeout"] = cli.pop("sandbox-timeout")
    cli["memory-interval"] = cli.pop("sandbox-memory-interval")
    cli["enforce-budgets"] = cli.pop("sandbox-enforce-budgets")
    cli["state-file"] = cli.pop("sandbox-state-file")
    rootdir = Path(config.rootpath)
    try:
        project = load_project(rootdir, _project_file(config))
        cfg = resolve(cli, os.environ, _ini_values(config), project, rootdir)
    except OptionError as exc:
        raise pytest.UsageError(str(exc)) from exc
    except SandboxError as exc:
        raise pytest.UsageError(exc.explain()) from exc
    if cfg.gc_only:
        removed = sweep(cfg.base_dir, include_kept=True)
        if cfg.backend == "kubernetes":
            removed += _sweep_namespaces()
        cfg.state_file.unlink(missing_ok=True)
        listing = ", ".join(removed) or "nothing to remove"
        pytest.exit(f"stonks-sandbox gc: {listing}", returncode=0)
    from pytest_stonks_sandbox import fixtures

    config.pluginmanager.register(fixtures, "stonks_sandbox_fixtures")
    config.pluginmanager.register(fixtures.client_fixtures(project), "stonks_sandbox_clients")
    if not cfg.enabled:
        return
    from pytest_stonks_sandbox.session import SandboxSession

    session = SandboxSession(cfg, config)
    config.stash[SESSION_KEY] = session
    config.pluginmanager.register(session, "stonks_sandbox_session")
    if config.pluginmanager.hasplugin("xdist"):
        from pytest_stonks_sandbox.xdist import XdistBridge

        config.pluginmanager.register(XdistBridge(session), "stonks_sandbox_xdist")
    if not hasattr(config, "workerinput"):
        _install_sigterm_handler(config)


def _project_file(config: pytest.Config) -> Path | None:
    inifile = config.inipath
    if inifile is not None and inifile.name == "pyproject.toml":
        return Path(inifile)
    return None


def _install_sigterm_handler(config: pytest.Config) -> None:
    """SIGTERM is handled like Ctrl-C, so teardown runs and the report is written."""
    if sys.platform == "win32":
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread
        return

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    config.add_cleanup(restore)


def pytest_report_header(config: pytest.Config) -> str | None:
    session = config.stash.get(SESSION_KEY, None)
    if session is None:
        return "stonks-sandbox: off (run with --sandbox to provision the sandbox)"
    cfg = session.cfg
    return f"stonks-sandbox: backend {cfg.backend}, run {cfg.run_id}, results {cfg.results_path}"
