"""Redis (or Valkey) and the S3 store (SeaweedFS `weed mini`) as local processes."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pytest_stonks_sandbox._backends.local.process import ManagedProcess
from pytest_stonks_sandbox._backends.local.rundir import RunDir
from pytest_stonks_sandbox._backends.local.weedsecurity import write_security
from pytest_stonks_sandbox._backends.probes import http_status, redis_ping
from pytest_stonks_sandbox._core.errors import ProvisionError
from pytest_stonks_sandbox._core.s3 import s3_client

WEED_PORT_FLAGS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    "admin.port",
    "admin.port.grpc",
)


class RedisServer(ManagedProcess):
    """A Redis 7 compatible server with a per-run password and no persistence."""

    name = "redis"

    def __init__(self, run: RunDir, timeout_s: float, binary: Path, port: int, password: str):
        super().__init__(run, timeout_s)
        self.binary = binary
        self.port = port
        self.password = password
        self.data_dir = run.path / "redis"

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def prepare(self) -> None:
        self.data_dir.mkdir(exist_ok=True)

    def argv(self) -> list[str]:
        return [
            str(self.binary),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--requirepass", self.password,
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.data_dir),
            "--daemonize", "no",
            "--protected-mode", "yes",
        ]  # fmt: skip

    def is_ready(self) -> bool:
        return redis_ping("127.0.0.1", self.port, self.password)


class S3Server(ManagedProcess):
    """`weed mini`: every port explicit, loopback only, signatures checked with per-run keys."""

    name = "s3"
    stop_signal = signal.SIGINT
    stop_grace_s = 0.5  # throwaway data: do not wait for the volume server's slow shutdown

    def __init__(
        self,
        run: RunDir,
        timeout_s: float,
        binary: Path,
        ports: dict[str, int],
        access_key: str,
        secret_key: str,
        buckets: tuple[str, ...],
    ) -> None:
        super().__init__(run, timeout_s)
        self.binary = binary
        self.ports = ports
        self.access_key = access_key
        self.secret_key = secret_key
        self.buckets = buckets
        self.root = run.path / "s3"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3.port']}"

    def prepare(self) -> None:
        for sub in ("data", "logs", "tmp"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        identities = {
            "identities": [
                {
                    "name": "sandbox",
                    "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }
        config = self.root / "identities.json"
        config.write_text(json.dumps(identities), encoding="utf-8")
        os.chmod(config, 0o600)
        write_security(self.root)  # master, volume and filer closed to everyone but the store

    def cwd(self) -> Path:
        return self.root  # where weed reads security.toml

    def env(self) -> dict[str, str]:
        return {**os.environ, "TMPDIR": str(self.root / "tmp"), "GOMEMLIMIT": "100MiB"}

    def argv(self) -> list[str]:
        ports = [f"-{flag}={port}" for flag, port in self.ports.items()]
        return [
            str(self.binary),
            f"-logdir={self.root / 'logs'}",
            "mini",
            f"-dir={self.root / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            *ports,
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-admin.ui=false",
            "-webdav=false",
            "-master.telemetry=false",
            f"-s3.config={self.root / 'identities.json'}",
            f"-filer.localSocket={self.root / 'filer.sock'}",
            f"-s3.localSocket={self.root / 's3.sock'}",
        ]

    def is_ready(self) -> bool:
        return http_status("127.0.0.1", self.ports["s3.port"], "/") in (200, 403)

    def after_ready(self) -> None:
        """Create the buckets, each ready for data (the store may need a moment at first)."""
        client = s3_client(self.endpoint, self.access_key, self.secret_key)
        deadline = time.monotonic() + self.timeout_s
        with ThreadPoolExecutor(max_workers=max(len(self.buckets), 1)) as pool:
            for future in [pool.submit(self._create, client, b, deadline) for b in self.buckets]:
                future.result()

    def _create(self, client: Any, bucket: str, deadline: float) -> None:
        """Create one bucket and write then delete a probe object: the first write to a bucket
        makes the store allocate its volumes (~0.25 s), which belongs to provisioning."""
        probe = ".stonks-sandbox-probe"
        while True:
            try:
                with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
                    client.create_bucket(Bucket=bucket)
                client.put_object(Bucket=bucket, Key=probe, Body=b"probe")
                client.delete_object(Bucket=bucket, Key=probe)
                return
            except Exception as exc:  # botocore raises many types while the store warms up
                if time.monotonic() > deadline:
                    raise ProvisionError(
                        "s3", f"bucket {bucket!r} could not be created: {exc}", "see the s3 log."
                    ) from exc
            self.workers.sleep(0.05)
