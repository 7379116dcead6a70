"""Fixtures for the tests of the reference services (tests/services)."""

from __future__ import annotations

# ---------------------------------------------------------------------------------------------
# Real backing servers for the common-layer tests, from the plugin's own local-backend
# components: PostgreSQL 16 (run as an unprivileged uid, initdb template cached), Valkey (Redis 7
# compatible), and the services themselves as uvicorn subprocesses. Every process is stopped by
# its pid; every wait is bounded.
# ---------------------------------------------------------------------------------------------
import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from pytest_stonks_sandbox._backends.local import binaries
from pytest_stonks_sandbox._backends.local.freeports import free_ports
from pytest_stonks_sandbox._backends.local.postgres import PostgresServer
from pytest_stonks_sandbox._backends.local.rundir import RunDir
from pytest_stonks_sandbox._backends.local.servers import RedisServer
from pytest_stonks_sandbox._seeding import seeder as seeding
from pytest_stonks_sandbox._settings.config import base_dir

REPO = Path(__file__).resolve().parents[2]
SERVICES_DIR = REPO / "services"
READY_TIMEOUT_S = 60.0


def free_port() -> int:
    """A currently free loopback TCP port."""
    return free_ports(1)[0]


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    """Poll ``predicate()`` every 20 ms until true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise TimeoutError(f"{what} not ready after {timeout:.0f} s")


def stop_process(proc: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM) -> None:
    """Signal one process by pid, wait up to 10 s, then kill it."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


@pytest.fixture(scope="session")
def server_run() -> Iterator[RunDir]:
    """A run directory beside the plugin's (same base, so the initdb template is shared)."""
    base = base_dir(os.environ)
    run = RunDir(base / f"svc-tests-{secrets.token_hex(4)}")
    run.create("services-tests")
    try:
        yield run
    finally:
        run.kill_recorded_processes()
        run.remove()


@pytest.fixture(scope="session")
def server_dir(server_run: RunDir) -> Path:
    return server_run.path


@pytest.fixture(scope="session")
def valkey(server_run: RunDir) -> Iterator[RedisServer]:
    """A running Valkey; a test that stops it must start it again (see ensure_running)."""
    server = RedisServer(
        server_run, READY_TIMEOUT_S, binaries.redis_server({}), free_port(), secrets.token_hex(8)
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def _migrate(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await seeding.apply_migrations(conn, SERVICES_DIR / "migrations")
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def postgres(server_run: RunDir) -> Iterator[PostgresServer]:
    """A running PostgreSQL 16 with the project's migrations applied, in database stonks."""
    server = PostgresServer(
        server_run, READY_TIMEOUT_S, binaries.postgres_bin_dir({}), free_port(),
        secrets.token_hex(8), "stonks",
    )  # fmt: skip
    server.start()
    try:
        asyncio.run(_migrate(server.dsn))
        yield server
    finally:
        server.stop()


class ServiceProcess:
    """One reference service run exactly as the plugin runs it (uvicorn, cwd=services/)."""

    def __init__(self, module: str, env: Mapping[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        clean = {k: v for k, v in os.environ.items() if not k.startswith("STONKS_")}
        with log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    f"stonks_oracle.{module}.app:app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                cwd=SERVICES_DIR,
                env={**clean, **env, "PORT": str(self.port)},
                stdout=log,
                stderr=log,
            )
        self.log_path = log_path
        wait_until(self._healthy, 30, f"{module} /health")

    def _healthy(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"service exited: {self.log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{self.base_url}/health", timeout=1) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def stop(self) -> None:
        stop_process(self.proc)


@pytest.fixture
def run_service(server_dir: Path) -> Iterator[Any]:
    """Factory: ``run_service(module, env)`` starts a service; all are stopped afterwards."""
    started: list[ServiceProcess] = []

    def start(module: str, env: Mapping[str, str]) -> ServiceProcess:
        service = ServiceProcess(module, env, server_dir / f"{module}-{len(started)}.log")
        started.append(service)
        return service

    try:
        yield start
    finally:
        for service in started:
            service.stop()
