"""Redis (or Valkey) and the S3 store (SeaweedFS: master, volume, filer, S3 gateway) as local
processes."""

from __future__ import annotations

import http.client
import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pytest_stonks_sandbox._backends.local.process import ManagedProcess
from pytest_stonks_sandbox._backends.local.rundir import RunDir
from pytest_stonks_sandbox._backends.local.weedsecurity import write_security
from pytest_stonks_sandbox._backends.probes import http_status, redis_ping, tcp_open
from pytest_stonks_sandbox._core.errors import ProvisionError
from pytest_stonks_sandbox._core.s3 import S3_REGION
from pytest_stonks_sandbox._core.s3write import S3Writer

WEED_PORT_FLAGS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
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


class WeedPart(ManagedProcess):
    """One `weed` server of the store (master, volume, filer or S3 gateway). It is the store as
    far as errors, its log and its pid record go: the master is recorded as the store, the
    others as its parts."""

    stop_signal = signal.SIGINT
    stop_grace_s = 0.5  # throwaway data: do not wait for a slow shutdown

    def __init__(self, store: S3Server, part: str, args: list[str], ports: tuple[int, int]):
        super().__init__(store.run, store.timeout_s)
        self.name = store.name
        self.part = part
        self.store = store
        self.args = args
        self.http_port, self.grpc_port = ports

    def record(self, pid: int) -> None:
        if self.part == "master":
            super().record(pid)
        else:
            self.run.record_part(self.name, self.part, pid)

    def argv(self) -> list[str]:
        return [str(self.store.binary), f"-logdir={self.store.root / 'logs'}", *self.args]

    def cwd(self) -> Path:
        return self.store.root  # where weed reads security.toml

    def env(self) -> dict[str, str]:
        return self.store.part_env(self.part)

    def is_ready(self) -> bool:
        """Both its ports serve: an HTTP answer (any status) and a gRPC listener."""
        http_status("127.0.0.1", self.http_port, "/")
        return tcp_open("127.0.0.1", self.grpc_port)


class S3Server(ManagedProcess):
    """The S3 store: SeaweedFS master, volume server, filer and S3 gateway, each a `weed`
    process of its own, every port explicit, loopback only, signatures checked with per-run keys.

    They start in dependency order, each as soon as the one before answers (polled in
    milliseconds: `weed mini` polls its parts every 200 ms and waits 200 ms again for the first
    write of each bucket). Each bucket's volume is grown while the filer and gateway start, so
    the first write to it does not wait for a volume to be allocated. The component is the four
    processes: `pids` are theirs, stop and crash detection cover all of them.
    """

    name = "s3"

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
        data = self.root / "data"
        loopback = ["-ip=127.0.0.1", "-ip.bind=127.0.0.1"]
        master = f"127.0.0.1:{ports['master.port']}.{ports['master.port.grpc']}"
        filer = f"127.0.0.1:{ports['filer.port']}.{ports['filer.port.grpc']}"

        def listen(part: str) -> list[str]:
            return [f"-port={ports[f'{part}.port']}", f"-port.grpc={ports[f'{part}.port.grpc']}"]

        self.master = WeedPart(self, "master", [
            "master", *loopback, *listen("master"), f"-mdir={data / 'master'}", "-peers=none",
            "-telemetry=false", "-volumeSizeLimitMB=64",
        ], (ports["master.port"], ports["master.port.grpc"]))  # fmt: skip
        self.volume = WeedPart(self, "volume", [
            "volume", *loopback, *listen("volume"), f"-dir={data / 'volume'}", f"-master={master}",
            "-max=0", "-preStopSeconds=0",
        ], (ports["volume.port"], ports["volume.port.grpc"]))  # fmt: skip
        self.filer = WeedPart(self, "filer", [
            "filer", *loopback, *listen("filer"), f"-master={master}",
            f"-defaultStoreDir={data / 'filer'}", f"-localSocket={self.root / 'filer.sock'}",
        ], (ports["filer.port"], ports["filer.port.grpc"]))  # fmt: skip
        self.gateway = WeedPart(self, "gateway", [
            "s3", *loopback, *listen("s3"), f"-filer={filer}",
            f"-config={self.root / 'identities.json'}", "-port.iceberg=0", "-port.lance=0",
            f"-localSocket={self.root / 's3.sock'}",
            f"-localFilerSocket={self.root / 'filer.sock'}",
        ], (ports["s3.port"], ports["s3.port.grpc"]))  # fmt: skip
        self.parts = (self.master, self.volume, self.filer, self.gateway)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3.port']}"

    @property
    def pid(self) -> int | None:
        return self.master.pid

    @property
    def pids(self) -> list[int]:
        return [part.pid for part in self.parts if part.pid is not None]

    def adopt_recorded(self) -> None:
        self.master.adopt_recorded()
        for name, pid in self.run.recorded_parts(self.name).items():
            next(part for part in self.parts if part.part == name).adopt(pid)
        self._prepared = True

    def prepare(self) -> None:
        for sub in ("data/master", "data/volume", "data/filer", "logs", "tmp"):
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
        # master, volume and filer closed to everyone but the store
        write_security(self.root, self.workers)

    def part_env(self, part: str) -> dict[str, str]:
        """The environment of one part. One volume per growth (as `weed mini` does): every
        bucket gets room of its own. The filer has no memory limit: its buffers, reserved at
        start and mostly never touched, count against any limit up to 200 MiB, and under one
        its collector never rests (0.15 s more CPU to start, 60 ms a second from then on)."""
        env = {**os.environ, "TMPDIR": str(self.root / "tmp"),
               "WEED_MASTER_VOLUME_GROWTH_COPY_1": "1"}  # fmt: skip
        if part != "filer":
            env["GOMEMLIMIT"] = "100MiB"
        return env

    def _spawn(self) -> None:
        for part in self.parts:
            part.workers = self.workers
        self.master.spawn()
        self.stopped_on_purpose = False

    def wait_ready(self, started: float) -> None:
        """Each part once the one it needs answers; the buckets' volumes grown meanwhile."""
        self.master.wait_ready(started)
        self.volume.spawn()
        self.filer.spawn()
        self.volume.wait_ready(started)
        self._grow_volumes(started + self.timeout_s)
        self.filer.wait_ready(started)
        self.gateway.spawn()
        self.gateway.wait_ready(started)
        self.ready_s = time.monotonic() - started

    def _grow_volumes(self, deadline: float) -> None:
        """A volume for each bucket's collection, once the volume server has registered."""
        for bucket in self.buckets:
            path = f"/vol/grow?collection={bucket}&count=1"
            while not self._grown(path):
                if time.monotonic() > deadline:
                    raise ProvisionError(
                        "s3", f"no volume could be grown for bucket {bucket!r}.", "see the s3 log."
                    )
                self.workers.sleep(0.005)

    def _grown(self, path: str) -> bool:
        try:
            return http_status("127.0.0.1", self.ports["master.port"], path) == 200
        except OSError:
            return False

    def stop(self, discard: bool = False) -> None:
        """Stop every part at once."""
        self.stopped_on_purpose = True
        with ThreadPoolExecutor(max_workers=len(self.parts)) as pool:
            for future in [pool.submit(part.stop, discard) for part in self.parts]:
                future.result()

    def check_alive(self) -> None:
        if not self.stopped_on_purpose:
            for part in self.parts:
                part.check_alive()

    def after_ready(self) -> None:
        """Create the buckets, each ready for data: a probe object is written and deleted."""
        client = S3Writer(self.endpoint, self.access_key, self.secret_key, S3_REGION)
        deadline = time.monotonic() + self.timeout_s
        with ThreadPoolExecutor(max_workers=max(len(self.buckets), 1)) as pool:
            for future in [pool.submit(self._create, client, b, deadline) for b in self.buckets]:
                future.result()

    def _create(self, client: S3Writer, bucket: str, deadline: float) -> None:
        """Make one bucket ready for data (true readiness: a PUT), retrying while the store
        warms up."""
        while True:
            try:
                client.make_ready(bucket)
                return
            except (OSError, http.client.HTTPException) as exc:  # while the store warms up
                if time.monotonic() > deadline:
                    raise ProvisionError(
                        "s3", f"bucket {bucket!r} could not be created: {exc}", "see the s3 log."
                    ) from exc
            self.workers.sleep(0.01)
