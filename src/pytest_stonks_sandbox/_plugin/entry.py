"""pytest entry point: options and ini keys from the one table, then hand the run to
SandboxSession (and, under xdist, to its bridge). Nothing else."""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_stonks_sandbox._core.errors import SandboxError
from pytest_stonks_sandbox._plugin.early import begin_early_deploy
from pytest_stonks_sandbox._plugin.keys import SESSION_KEY
from pytest_stonks_sandbox._plugin.signals import install_sigterm_handler
from pytest_stonks_sandbox._settings.config import OptionError, SandboxConfig, resolve
from pytest_stonks_sandbox._settings.options import OPTIONS, argparse_kwargs
from pytest_stonks_sandbox._settings.project import load_project

if TYPE_CHECKING:
    from pytest_stonks_sandbox._plugin.pages import PagesPlugin


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("stonks-sandbox", "Stonks Oracle sandbox (pytest-stonks-sandbox)")
    for row in OPTIONS:
        group.addoption(row.flag, **argparse_kwargs(row))
        if row.ini is not None:
            parser.addini(row.ini, f"default for {row.flag}: {row.help}")


def _config(config: pytest.Config) -> SandboxConfig:
    """The frozen config from the command line, the environment, the ini file and the table."""
    cli: dict[str, Any] = {row.name: config.getoption(row.dest) for row in OPTIONS}
    ini: dict[str, Any] = {row.name: config.getini(row.ini) for row in OPTIONS if row.ini}
    rootdir = Path(config.rootpath)
    try:
        project = load_project(rootdir, _project_file(config))
        return resolve(cli, os.environ, ini, project, rootdir)
    except OptionError as exc:
        raise pytest.UsageError(str(exc)) from exc
    except SandboxError as exc:
        raise pytest.UsageError(exc.explain()) from exc


def pytest_configure(config: pytest.Config) -> None:
    cfg = _config(config)
    if cfg.gc_only:
        from pytest_stonks_sandbox._backends.factory import collect_garbage

        try:
            removed = collect_garbage(cfg)
        except SandboxError as exc:
            raise pytest.UsageError(exc.explain()) from exc
        listing = ", ".join(removed) or "nothing to remove"
        pytest.exit(f"stonks-sandbox gc: {listing}", returncode=0)
    early = None
    if cfg.enabled and not hasattr(config, "workerinput"):
        install_sigterm_handler(config)
        early = begin_early_deploy(cfg, config)  # first: the rest of configure overlaps it
    from pytest_stonks_sandbox._plugin import fixtures
    from pytest_stonks_sandbox._plugin.clients import client_fixtures

    config.pluginmanager.register(fixtures, "stonks_sandbox_fixtures")
    config.pluginmanager.register(client_fixtures(cfg.project), "stonks_sandbox_clients")
    pages = _pages_plugin(cfg, config)
    _publish_public_names()
    if not cfg.enabled:
        return
    from pytest_stonks_sandbox._plugin.session import SandboxSession

    xdist = config.pluginmanager.hasplugin("xdist")
    if xdist:
        from pytest_stonks_sandbox._plugin.xdist import ControllerLink, XdistBridge

    _freeze_imports(cfg)
    atexit.unregister(_freeze_before_exit)  # once per process, however many runs it holds
    atexit.register(_freeze_before_exit)
    session = SandboxSession(cfg, config, ControllerLink.of(config) if xdist else None)
    config.stash[SESSION_KEY] = session
    config.pluginmanager.register(session, "stonks_sandbox_session")
    if pages is not None:
        pages.session, session.frontend = session, pages
    from pytest_stonks_sandbox._plugin.evidence import EvidencePlugin

    session.evidence = evidence = EvidencePlugin(session)
    config.pluginmanager.register(evidence, "stonks_sandbox_evidence")
    if xdist:
        config.pluginmanager.register(XdistBridge(session), "stonks_sandbox_xdist")
    if early is not None:
        session.adopt_early(early)


def _publish_public_names() -> None:
    """Load the public names imported on first use (the plugin has imported their modules by
    now), so that each reports the package as its module whoever touches it first."""
    import pytest_stonks_sandbox

    for name in pytest_stonks_sandbox.__all__:
        getattr(pytest_stonks_sandbox, name)


def _freeze_imports(cfg: SandboxConfig) -> None:
    """Leave what pytest and the plugin have imported by now out of every later cyclic
    collection (the Kubernetes client first, for that backend: its deploy would import it).

    pytest collects once at unconfigure, over every object alive: with the Kubernetes client
    loaded that took the exit after a Ctrl-C during a deploy past 1 s on a busy machine. What the
    run creates from here on is collected as before.
    """
    if cfg.backend == "kubernetes":
        with contextlib.suppress(ImportError):  # a missing client is the deploy's error to report
            import kubernetes.client  # noqa: F401
    gc.freeze()


def _freeze_before_exit() -> None:
    """At interpreter exit, after the run: no cyclic collection of what the run imported.

    Python's shutdown collects once more over every object still alive (boto3's and pydantic's
    models among them): about 0.2 s here, for memory the process is about to give back anyway.
    Frozen objects are left out of that collection; nothing else changes.
    """
    gc.freeze()


def _pages_plugin(cfg: SandboxConfig, config: pytest.Config) -> PagesPlugin | None:
    """The page items' plugin when the project declares a page manifest."""
    from pytest_stonks_sandbox._plugin.pages import PagesPlugin, read_manifest

    try:
        manifest = read_manifest(cfg.project, cfg.state_file if cfg.reuse else None)
    except SandboxError as exc:
        raise pytest.UsageError(exc.explain()) from exc
    if manifest is None:
        return None
    plugin = PagesPlugin(manifest, config)
    config.pluginmanager.register(plugin, "stonks_sandbox_pages")
    return plugin


def _project_file(config: pytest.Config) -> Path | None:
    inifile = config.inipath
    if inifile is not None and inifile.name == "pyproject.toml":
        return Path(inifile)
    return None


def pytest_report_header(config: pytest.Config) -> str | None:
    session = config.stash.get(SESSION_KEY, None)
    if session is None:
        return "stonks-sandbox: off (run with --sandbox to provision the sandbox)"
    cfg = session.cfg
    return f"stonks-sandbox: backend {cfg.backend}, run {cfg.run_id}, results {cfg.results_path}"
