"""An application service as a local process: run by the command its project declares, or, when
it declares `app = "module:attr"`, forked from the preloading launcher and served by uvicorn."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping

from pytest_stonks_sandbox._backends.local.forked import APP_LOAD_FAILED, Launcher
from pytest_stonks_sandbox._backends.local.process import ManagedProcess, log_tail
from pytest_stonks_sandbox._backends.local.rundir import RunDir
from pytest_stonks_sandbox._backends.probes import http_status
from pytest_stonks_sandbox._core.errors import ProvisionError, ReadinessError
from pytest_stonks_sandbox._settings.placeholders import render, render_table
from pytest_stonks_sandbox._settings.project import ServiceSpec


class ServiceProcess(ManagedProcess):
    """One service on 127.0.0.1:<port>: live when `health` answers 200, ready when `ready` does."""

    def __init__(
        self,
        run: RunDir,
        timeout_s: float,
        spec: ServiceSpec,
        port: int,
        shared_env: Mapping[str, str],
        placeholders: Mapping[str, str],
        launcher: Launcher | None = None,
    ) -> None:
        super().__init__(run, timeout_s)
        self.spec = spec
        self.name = spec.name
        self.port = port
        self.launcher = launcher if spec.app else None
        self.values = {**placeholders, "port": str(port), "python": sys.executable}
        where = f"[tool.stonks-sandbox.services.{spec.name}]"
        command = spec.command or (
            # `app` without a launcher (a caller that runs one service by itself): its own uvicorn
            "{python}", "-m", "uvicorn", spec.app, "--host", "127.0.0.1", "--port", "{port}",
            "--no-access-log",
        )  # fmt: skip
        self._argv = [render(part, self.values, where) for part in command]
        env = render_table(shared_env, self.values, where)
        env.update(render_table(spec.env, self.values, where))
        env[spec.port_env] = str(port)
        # Teardown kills the process: unbuffered output keeps its last log lines.
        self._env = {"PYTHONUNBUFFERED": "1", **os.environ, **env}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def forked(self) -> bool:
        """True when the service is forked from the launcher (it declares `app`)."""
        return self.launcher is not None

    def argv(self) -> list[str]:
        return self._argv

    def _spawn(self) -> None:
        if self.launcher is None:
            super()._spawn()
            return
        self.proc = self.launcher.fork(
            self.name, self.spec.app, self.port, self._env, self.spec.cwd, self.log_path,
            self.workers, self.timeout_s,
        )  # fmt: skip
        self.record(self.proc.pid)
        self.stopped_on_purpose = False

    def _exited_error(self, code: int) -> ProvisionError:
        if self.forked and code == APP_LOAD_FAILED:
            return ProvisionError(
                self.name,
                f"its app {self.spec.app!r} could not be loaded: "
                f"{log_tail(self.log_path) or '(no log)'}",
                f'set app = "module:attribute" in [tool.stonks-sandbox.services.{self.name}] to '
                f"an ASGI application importable from {self.spec.cwd}.",
            )
        return super()._exited_error(code)

    def env(self) -> dict[str, str]:
        return self._env

    def cwd(self) -> str:  # type: ignore[override]
        return str(self.spec.cwd)

    def is_ready(self) -> bool:
        return http_status("127.0.0.1", self.port, self.spec.health) == 200

    def after_ready(self) -> None:
        """Live is not enough: wait until the service says its dependencies answer."""
        deadline = time.monotonic() + self.timeout_s
        status = 0
        while time.monotonic() < deadline:
            try:
                status = http_status("127.0.0.1", self.port, self.spec.ready)
            except OSError:
                status = 0
            if status == 200:
                return
            self.workers.sleep(0.01)
        raise ReadinessError(
            self.name,
            f"answered {self.spec.health} but {self.spec.ready} still returned {status} after "
            f"{self.timeout_s:.0f} s. Last log lines: {log_tail(self.log_path) or '(empty)'}",
            f"see {self.log_path}.",
        )
