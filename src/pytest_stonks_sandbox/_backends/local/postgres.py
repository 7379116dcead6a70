"""PostgreSQL 16 as a local process, from an initdb template cached outside the run directory.

No way in without a password: TCP and the unix socket both ask for one (scram-sha-256). The
template's superuser has a password of its own, kept beside the template (mode 0600); each run
logs in with it once, over TCP, and replaces it by the run's password. The socket sits in a
directory only the server's user may enter, and the run directory is closed to everyone else.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import secrets
import shutil
import signal
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg

from pytest_stonks_sandbox._backends.local.process import ManagedProcess, log_tail
from pytest_stonks_sandbox._backends.local.rundir import CACHE_DIR, RunDir
from pytest_stonks_sandbox._core.errors import ProvisionError

ADMIN_USER = "stonks_admin"
UNPRIVILEGED_UID = 65534  # "nobody": postgres refuses to run as root
SERVER_SETTINGS = (
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "max_connections=200",
    "log_min_messages=warning",
    "unix_socket_permissions=0700",
    # Dynamic shared memory as files in the data directory, which goes with the run: POSIX
    # segments (/dev/shm/PostgreSQL.*) outlive a server ended by teardown's immediate shutdown.
    "dynamic_shared_memory_type=mmap",
)
INITDB_ARGS = (
    f"--username={ADMIN_USER}",
    "--auth-local=scram-sha-256",
    "--auth-host=scram-sha-256",
    "--encoding=UTF8",
    "--locale=C",
    "--no-sync",
)


def server_uid() -> int | None:
    """The uid the server runs as: an unprivileged one when we are root, else ourselves."""
    return UNPRIVILEGED_UID if os.geteuid() == 0 else None


def _check_traversable(path: Path, uid: int | None) -> None:
    """Every parent of the binaries must be searchable by the server's uid."""
    if uid is None:
        return
    for parent in [path, *path.parents]:
        if not parent.stat().st_mode & 0o001:
            raise ProvisionError(
                "postgres",
                f"the PostgreSQL binaries are under {parent}, which user {uid} cannot enter "
                "(postgres refuses to run as root, so it runs as that user).",
                f"chmod o+x {parent}, or install the package in a virtualenv outside it.",
            )


def template_password(template: Path) -> str:
    """The superuser password of a cached template (read by the run that copies it)."""
    return template.with_name(f"{template.name}.password").read_text(encoding="utf-8").strip()


def initdb_template(bin_dir: Path, cache_root: Path) -> Path:
    """An initdb'd data directory, made once per binaries+settings and reused (initdb is ~1 s).

    Its superuser password is in `<template>.password`, readable by this user only.
    """
    uid = server_uid()
    key = hashlib.sha256(f"{bin_dir}|{INITDB_ARGS}|{uid}".encode()).hexdigest()[:12]
    cache_root.mkdir(parents=True, exist_ok=True)
    os.chmod(cache_root, 0o755)
    template = cache_root / f"pgdata-16-{key}"
    with open(cache_root / f"pgdata-16-{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (template / "PG_VERSION").is_file():
            return template
        building = cache_root / f"pgdata-16-{key}.building"
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir(mode=0o700)
        password = secrets.token_hex(16)
        pwfile = cache_root / f"pgdata-16-{key}.pwfile"  # initdb reads it as the server's user
        pwfile.write_text(password + "\n", encoding="utf-8")
        os.chmod(pwfile, 0o600)
        if uid is not None:
            os.chown(building, uid, uid)
            os.chown(pwfile, uid, uid)
        result = subprocess.run(
            [str(bin_dir / "initdb"), "-D", str(building), f"--pwfile={pwfile}", *INITDB_ARGS],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            user=uid,
            group=uid,
            extra_groups=[] if uid is not None else None,
        )
        pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            shutil.rmtree(building, ignore_errors=True)
            raise ProvisionError(
                "postgres",
                f"initdb failed with code {result.returncode}: {result.stderr.strip()[-400:]}",
                "check that the PostgreSQL 16 binaries run on this machine.",
            )
        saved = template.with_name(f"{template.name}.password")
        saved.write_text(password + "\n", encoding="utf-8")
        os.chmod(saved, 0o600)
        building.rename(template)
        return template


class PostgresServer(ManagedProcess):
    """`postgres` on 127.0.0.1:<port>, data in the run dir, per-run password."""

    name = "postgres"
    stop_signal = signal.SIGINT  # fast shutdown
    stop_grace_s = 10.0
    discard_signal = signal.SIGQUIT  # immediate shutdown: no checkpoint, shared memory removed
    discard_grace_s = 1.0

    def __init__(
        self,
        run: RunDir,
        timeout_s: float,
        bin_dir: Path,
        port: int,
        password: str,
        database: str,
    ) -> None:
        super().__init__(run, timeout_s)
        self.bin_dir = bin_dir
        self.port = port
        self.password = password
        self.database = database
        self.data_dir = run.path / "pgdata"
        self.socket_dir = run.path / "pgsocket"
        self.template_password = ""

    @property
    def dsn(self) -> str:
        return f"postgresql://{ADMIN_USER}:{self.password}@127.0.0.1:{self.port}/{self.database}"

    def run_as(self) -> int | None:
        return server_uid()

    def prepare(self) -> None:
        uid = server_uid()
        _check_traversable(self.bin_dir, uid)
        template = initdb_template(self.bin_dir, self.run.path.parent / CACHE_DIR)
        self.template_password = template_password(template)
        self._copy(template)
        self.socket_dir.mkdir(mode=0o700)
        if uid is not None:
            os.chown(self.socket_dir, uid, uid)
            # The server's user may pass through the run directory (its group), no one else.
            os.chown(self.run.path, -1, uid)
            os.chmod(self.run.path, 0o710)

    def _copy(self, template: Path) -> None:
        """Copy the template into the data directory; a stop signal ends the copy at once."""
        code, error = self.workers.command(["cp", "-a", str(template), str(self.data_dir)])
        if code != 0:
            raise ProvisionError("postgres", f"could not copy the data template: {error}")

    def argv(self) -> list[str]:
        settings = [arg for setting in SERVER_SETTINGS for arg in ("-c", setting)]
        return [
            str(self.bin_dir / "postgres"),
            "-D", str(self.data_dir),
            "-h", "127.0.0.1",
            "-p", str(self.port),
            "-k", str(self.socket_dir),
            *settings,
        ]  # fmt: skip

    def is_ready(self) -> bool:
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
        except OSError:
            return False
        return len(lines) >= 8 and lines[7].strip() == "ready"

    def after_ready(self) -> None:
        try:
            # A thread of its own: the caller may be a test with a running event loop.
            with ThreadPoolExecutor(max_workers=1) as pool:
                pool.submit(asyncio.run, self._set_credentials()).result()
        except (OSError, asyncpg.PostgresError) as exc:
            raise ProvisionError(
                "postgres",
                f"started but could not be configured ({exc}). Last log lines: "
                f"{log_tail(self.log_path)}",
            ) from exc

    async def _set_credentials(self) -> None:
        # The template's password the first time, the run's own after a restart.
        try:
            conn = await self._connect(self.template_password)
        except asyncpg.InvalidPasswordError:
            conn = await self._connect(self.password)
        try:
            await conn.execute(f"ALTER ROLE {ADMIN_USER} PASSWORD '{self.password}'")
            exists = await conn.fetchval(
                "SELECT 1 FROM pg_database WHERE datname = $1", self.database
            )
            if not exists:
                await conn.execute(f'CREATE DATABASE "{self.database}"')
        finally:
            await conn.close()

    async def _connect(self, password: str) -> asyncpg.Connection:
        return await asyncpg.connect(
            host="127.0.0.1", port=self.port, user=ADMIN_USER, password=password,
            database="postgres",
        )  # fmt: skip
