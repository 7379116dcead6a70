"""The embedded default backend: every component is a real server process on loopback."""

from __future__ import annotations

import functools
import secrets
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pytest_stonks_sandbox._backends.base import FAULT_ACTIONS
from pytest_stonks_sandbox._backends.evidence import EvidenceFile, log_files
from pytest_stonks_sandbox._backends.local import binaries
from pytest_stonks_sandbox._backends.local.forked import Launcher
from pytest_stonks_sandbox._backends.local.freeports import free_ports
from pytest_stonks_sandbox._backends.local.ports import ensure_port_free
from pytest_stonks_sandbox._backends.local.postgres import PostgresServer
from pytest_stonks_sandbox._backends.local.process import ManagedProcess
from pytest_stonks_sandbox._backends.local.rundir import RunDir, sweep
from pytest_stonks_sandbox._backends.local.servers import WEED_PORT_FLAGS, RedisServer, S3Server
from pytest_stonks_sandbox._backends.local.service import ServiceProcess
from pytest_stonks_sandbox._backends.parallel import Workers
from pytest_stonks_sandbox._core.errors import ConfigError, TeardownError
from pytest_stonks_sandbox._core.model import Endpoints
from pytest_stonks_sandbox._core.s3 import S3_REGION
from pytest_stonks_sandbox._measure.memory import PROCESS_PSS, MemoryMeasure, process_tree_pss
from pytest_stonks_sandbox._settings.project import ProjectConfig

# Teardown waits this long for deploy workers to notice the stop signal before removing files.
WORKERS_JOIN_S = 5.0


def _secret() -> str:
    return secrets.token_hex(16)


@dataclass(frozen=True)
class Credentials:
    """The per-run secrets of a local sandbox."""

    postgres: str
    redis: str
    s3_access_key: str
    s3_secret_key: str
    api_key: str

    @classmethod
    def of(cls, endpoints: Endpoints) -> Credentials:
        """Those of a running sandbox, read back from its endpoints."""
        return cls(
            urlsplit(endpoints.postgres_dsn).password or "",
            urlsplit(endpoints.redis_url).password or "",
            endpoints.s3_access_key,
            endpoints.s3_secret_key,
            endpoints.api_key,
        )


class LocalBackend:
    """PostgreSQL 16, Redis 7, S3 and the services as processes in a private run directory."""

    name = "local"

    def __init__(self, project: ProjectConfig, run_dir: Path, timeout_s: float) -> None:
        self.project = project
        self.run = RunDir(run_dir)
        self.timeout_s = timeout_s
        self.infra: list[ManagedProcess] = []
        self.services: list[ServiceProcess] = []
        self.launcher: Launcher | None = None
        self.endpoints: Endpoints | None = None
        self.swept: list[str] = []
        self._secrets: list[str] = []
        self._start_evidence: list[EvidenceFile] | None = None
        self.workers = Workers()
        self._stop_lock = threading.Lock()
        self.ports: dict[str, int] = {}

    @property
    def run_id(self) -> str:
        return self.run.run_id

    @property
    def namespace(self) -> str:
        return ""

    @property
    def run_dir(self) -> str:
        return str(self.run.path)

    @property
    def components(self) -> list[ManagedProcess]:
        return [*self.infra, *self.services]

    def start(self) -> Endpoints:
        self.swept = sweep(self.run.path.parent)
        self.run.create(self.name)
        try:
            return self._start()
        except BaseException:
            self._start_evidence = self.evidence()  # the logs go with the run dir
            self.stop()
            raise

    def _start(self) -> Endpoints:
        credentials = Credentials(_secret(), _secret(), "SB" + secrets.token_hex(8).upper(),
                                  _secret(), _secret())  # fmt: skip
        self._build(self._ports(), credentials)
        self._start_all()
        assert self.endpoints is not None
        return self.endpoints

    @classmethod
    def restore(
        cls, project: ProjectConfig, state: Mapping[str, Any], timeout_s: float
    ) -> LocalBackend:
        """The backend of a sandbox kept by an earlier run, from its state file, taking over its
        processes: a fault stops or starts them as the run that made them would have."""
        backend = cls(project, Path(state["run_dir"]), timeout_s)
        endpoints = Endpoints.from_dict(state["endpoints"])
        backend._build(dict(state["ports"]), Credentials.of(endpoints))
        for component in backend.components:
            component.adopt_recorded()
        if backend.launcher is not None:
            backend.launcher.detached = True  # a service it forks again stays with the sandbox
        return backend

    def _build(self, ports: Mapping[str, int], credentials: Credentials) -> None:
        """The components and endpoints of a sandbox on these ports with these credentials."""
        self.ports = dict(ports)
        bins = self.project.binaries
        postgres = PostgresServer(
            self.run, self.timeout_s, binaries.postgres_bin_dir(bins),
            ports["postgres"], credentials.postgres, self.project.database,
        )  # fmt: skip
        redis = RedisServer(
            self.run, self.timeout_s, binaries.redis_server(bins), ports["redis"],
            credentials.redis,
        )  # fmt: skip
        weed_ports = {flag: ports[f"s3:{flag}"] for flag in WEED_PORT_FLAGS}
        s3 = S3Server(
            self.run, self.timeout_s, binaries.weed(bins), weed_ports,
            credentials.s3_access_key, credentials.s3_secret_key, self.project.buckets,
        )  # fmt: skip
        self.infra = [postgres, redis, s3]
        service_urls = {spec.name: f"http://127.0.0.1:{ports[spec.name]}" for spec in
                        self.project.services}  # fmt: skip
        endpoints = Endpoints(
            postgres_dsn=postgres.dsn,
            redis_url=redis.url,
            s3_endpoint=s3.endpoint,
            s3_access_key=s3.access_key,
            s3_secret_key=s3.secret_key,
            s3_region=S3_REGION,
            api_key=credentials.api_key,
            services=service_urls,
        )
        self._secrets = endpoints.secrets()
        placeholders = endpoints.placeholders()
        forked = [spec for spec in self.project.services if spec.app]
        self.launcher = (
            Launcher(self.run, self.project.preload, tuple(dict.fromkeys(s.cwd for s in forked)))
            if forked
            else None
        )
        self.services = [
            ServiceProcess(
                self.run,
                self.timeout_s,
                spec,
                ports[spec.name],
                self.project.service_env,
                placeholders,
                self.launcher,
            )
            for spec in self.project.services
        ]
        for component in self.components:
            component.workers = self.workers
        self.endpoints = endpoints

    def _ports(self) -> dict[str, int]:
        names = ["postgres", "redis", *(f"s3:{flag}" for flag in WEED_PORT_FLAGS)]
        names += [spec.name for spec in self.project.services]
        fixed = dict(self.project.ports)
        if "s3" in fixed:
            fixed["s3:s3.port"] = fixed.pop("s3")
        unknown = set(fixed) - set(names)
        if unknown:
            raise ConfigError(
                "[tool.stonks-sandbox.ports]",
                f"names unknown components: {', '.join(sorted(unknown))}.",
                f"use postgres, redis, s3 or a service name ({', '.join(names[-4:])}).",
            )
        for name, port in fixed.items():
            ensure_port_free(name.split(":")[0], port)
        chosen = iter(free_ports(len(names)))
        taken = set(fixed.values())
        result = {}
        for name in names:
            if name in fixed:
                result[name] = fixed[name]
                continue
            port = next(chosen)
            while port in taken:
                port = free_ports(1)[0]
            taken.add(port)
            result[name] = port
        return result

    def _start_all(self) -> None:
        """Infrastructure and services start together; services are awaited once infra is up.

        The launcher starts first and imports while the infrastructure starts; its services
        are forked by workers of their own as soon as it is ready.
        """
        started = time.monotonic()
        if self.launcher is not None:
            self.launcher.ensure_running()
        for service in self.services:
            if not service.forked:
                service.spawn()
        forks = [service.spawn for service in self.services if service.forked]
        self.workers.run([*(component.start for component in self.infra), *forks])
        self.workers.run([functools.partial(_await_service, s, started) for s in self.services])

    def stop(self, wait: bool = True) -> None:
        """Halt the deploy's workers and end every component at once: the sandbox is thrown away
        (PostgreSQL without a checkpoint), so nothing is worth waiting for (`wait` changes
        nothing here: it is always done on return). Two stops (a deploy that failed in a thread
        of its own while the session tears down) run one after the other; the second finds
        little left to do."""
        with self._stop_lock:
            self._stop()

    def _stop(self) -> None:
        self.workers.halt()
        errors: list[str] = []
        components = self.components
        with ThreadPoolExecutor(max_workers=len(components) + 1) as pool:
            stopping = [pool.submit(component.stop, discard=True) for component in components]
            if self.launcher is not None:
                stopping.append(pool.submit(self.launcher.stop))
            for future in stopping:
                try:
                    future.result()
                except Exception as exc:
                    errors.append(str(exc))
        # A worker may still be preparing files in the run dir (copying the data template).
        self.workers.join(WORKERS_JOIN_S)
        leftovers = self.run.kill_recorded_processes() if self.run.path.exists() else 0
        self.run.remove()
        if errors or leftovers:
            raise TeardownError(
                "local sandbox",
                f"{len(errors)} component(s) failed to stop ({'; '.join(errors)}); "
                f"{leftovers} process(es) had to be killed.",
            )

    def keep(self) -> dict[str, Any]:
        self.run.mark_kept(True)
        if self.launcher is not None:
            self.launcher.detach()
        return {
            "backend": self.name,
            "run_dir": str(self.run.path),
            "endpoints": self.endpoints.to_dict() if self.endpoints else {},
            "ports": self.ports,
            "pids": {c.name: c.pid for c in self.components if c.pid is not None},
        }

    def readiness(self) -> Mapping[str, float]:
        return {c.name: round(c.ready_s, 4) for c in self.components if c.ready_s is not None}

    def memory(self) -> Mapping[str, int]:
        return {
            c.name: sum(process_tree_pss(pid) for pid in c.pids) for c in self.components if c.pids
        }

    def memory_measures(self) -> Mapping[str, MemoryMeasure]:
        return {c.name: PROCESS_PSS for c in self.components}

    def check_alive(self) -> None:
        for component in self.components:
            component.check_alive()

    def secrets(self) -> list[str]:
        return list(self._secrets)

    def evidence(self) -> list[EvidenceFile]:
        if self._start_evidence is not None:
            return self._start_evidence
        return log_files(self.run.path)

    def fault(self, action: str, component: str) -> None:
        target = next((c for c in self.components if c.name == component), None)
        if target is None or action not in FAULT_ACTIONS:
            known = ", ".join(c.name for c in self.components)
            raise ValueError(
                f"cannot {action!r} {component!r}: actions are {', '.join(FAULT_ACTIONS)}, "
                f"components are {known}"
            )
        if action in ("stop", "restart"):
            target.stop()
        if action in ("start", "restart"):
            target.start()


def _await_service(service: ServiceProcess, started: float) -> None:
    service.wait_ready(started)
    service.after_ready()
    service.ready_s = time.monotonic() - started
