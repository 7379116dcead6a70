"""The backend's side of the preloading launcher (`launcher.py`): start it, ask it to fork a
service, follow the children it reports, stop it.

A forked service is a process handle like `subprocess.Popen` (`pid`, `poll`, `wait`,
`returncode`), so `ManagedProcess` treats it as any other process: its own session (signalled as
a group), pid record, log file, readiness, crash detection and faults. The launcher is started
once per backend, before the infrastructure, so that its imports overlap their start-up.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import psutil

from pytest_stonks_sandbox._backends.local import launcher as launcher_program
from pytest_stonks_sandbox._backends.local.process import log_tail
from pytest_stonks_sandbox._backends.local.rundir import RunDir, kill_group
from pytest_stonks_sandbox._backends.parallel import Workers
from pytest_stonks_sandbox._core.errors import ConfigError, ProvisionError

PROGRAM = Path(launcher_program.__file__)
BOOTSTRAP = "import runpy, sys; runpy.run_path(sys.argv.pop(1), run_name='__main__')"
APP_LOAD_FAILED = launcher_program.APP_LOAD_FAILED
NAME = "launcher"


class ForkedProcess:
    """A service forked by the launcher; its exit is reported by the launcher, which reaps it."""

    def __init__(self, pid: int, launcher: Launcher) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._launcher = launcher
        self._ended = threading.Event()

    def ended(self, code: int) -> None:
        self.returncode = code
        self._ended.set()

    def poll(self) -> int | None:
        """Its exit code once the launcher has reported it (None until then, as `Popen.poll`
        while the code is not collected); killed with the launcher, it is taken as SIGKILL.
        Whoever must not miss an exit that is not reported yet waits for it (`wait`)."""
        if self._ended.is_set():
            return self.returncode
        if self._launcher.gone and _dead(self.pid):
            self.ended(-signal.SIGKILL)  # no report will come: reaped by init
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"service pid {self.pid}", timeout or 0.0)
            self._ended.wait(0.01)
        assert self.returncode is not None
        return self.returncode


def _dead(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


class Launcher:
    """One launcher process per backend: started on demand, shared by every `app` service."""

    def __init__(self, run: RunDir, preload: tuple[str, ...], paths: tuple[Path, ...]) -> None:
        self.run = run
        self.preload = preload
        self.paths = paths
        self.proc: subprocess.Popen[bytes] | None = None
        # A kept sandbox's services outlive the run: its launchers start detached.
        self.detached = False
        self._lock = threading.Lock()
        self._ids = 0
        self._replies: dict[int, dict[str, Any]] = {}
        self._children: dict[int, ForkedProcess] = {}
        self._exits: dict[int, int] = {}  # reported before the fork's reply was read
        self._changed = threading.Condition()
        self._ready: dict[str, Any] | None = None
        self._eof = False

    @property
    def gone(self) -> bool:
        return self.proc is None or self._eof or self.proc.poll() is not None

    def ensure_running(self) -> None:
        """Start the launcher unless it runs (it preloads while the caller goes on)."""
        with self._lock:
            if self.proc is not None and not self.gone:
                return
            settings = {"preload": list(self.preload), "paths": [str(p) for p in self.paths]}
            with self._changed:
                self._ready, self._eof, self._replies = None, False, {}
            env = {**os.environ, "PYTHONUNBUFFERED": "1"}
            with open(self.run.log_path(NAME), "ab") as log:
                self.proc = subprocess.Popen(
                    [sys.executable, "-c", BOOTSTRAP, str(PROGRAM), json.dumps(settings)],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                    env=env, start_new_session=True,
                )  # fmt: skip
            self.run.record_process(f"{NAME}-{self.proc.pid}", self.proc.pid)
            assert self.proc.stdout is not None
            threading.Thread(
                target=self._read, args=(self.proc.stdout,), name="stonks-launcher", daemon=True
            ).start()
            if self.detached:
                self._write({"op": "detach"})

    def fork(
        self,
        name: str,
        app: str,
        port: int,
        env: Mapping[str, str],
        cwd: Path,
        log: Path,
        workers: Workers,
        timeout_s: float,
    ) -> ForkedProcess:
        """Fork service `name` (waiting for the launcher's imports the first time)."""
        self.ensure_running()
        deadline = time.monotonic() + timeout_s
        self._wait(lambda: self._ready is not None, workers, deadline, name)
        self._check_ready()
        with self._lock:
            self._ids += 1
            ident = self._ids
            self._write(
                {"op": "fork", "id": ident, "name": name, "app": app, "host": "127.0.0.1",
                 "port": port, "env": dict(env), "cwd": str(cwd), "log": str(log)}
            )  # fmt: skip
        self._wait(lambda: ident in self._replies, workers, deadline, name)
        with self._changed:
            pid = int(self._replies.pop(ident)["pid"])
            child = ForkedProcess(pid, self)
            self._children[pid] = child
            if pid in self._exits:
                child.ended(self._exits.pop(pid))
        return child

    def detach(self) -> None:
        """The sandbox is kept: the launcher outlives this process (until its last child)."""
        with self._lock:
            self.detached = True
            if self.proc is not None and not self.gone:
                self._write({"op": "detach"})

    def stop(self) -> None:
        """Kill the launcher (its children die with it)."""
        with self._lock:
            proc = self.proc
        if proc is None:
            return
        kill_group(proc.pid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        self.run.forget_process(f"{NAME}-{proc.pid}")

    # --- internals ------------------------------------------------------------------------
    def _write(self, command: Mapping[str, Any]) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        try:
            self.proc.stdin.write((json.dumps(command) + "\n").encode())
            self.proc.stdin.flush()
        except OSError as exc:
            raise self._gone_error() from exc

    def _read(self, stream: IO[bytes]) -> None:
        for line in stream:
            try:
                message = json.loads(line)
            except ValueError:
                continue  # not the launcher's (it keeps its replies apart; be safe anyway)
            with self._changed:
                op = message.get("op")
                if op == "ready":
                    self._ready = message
                elif op == "forked":
                    self._replies[int(message["id"])] = message
                elif op == "exited":
                    pid, code = int(message["pid"]), int(message["code"])
                    child = self._children.pop(pid, None)
                    if child is None:
                        self._exits[pid] = code
                    else:
                        child.ended(code)
                self._changed.notify_all()
        with self._changed:
            self._eof = True
            self._changed.notify_all()

    def _wait(self, done: Callable[[], bool], workers: Workers, deadline: float, name: str) -> None:
        with self._changed:
            while not done():
                workers.check()
                if self._eof:
                    raise self._gone_error()
                if time.monotonic() > deadline:
                    raise ProvisionError(
                        name, "the service launcher did not answer in time.",
                        f"see {self.run.log_path(NAME)}; raise --sandbox-timeout if the "
                        "machine is slow.",
                    )  # fmt: skip
                self._changed.wait(0.02)

    def _check_ready(self) -> None:
        assert self._ready is not None
        failed: Mapping[str, str] = self._ready.get("failed", {})
        if failed:
            listed = "; ".join(f"{module} ({error})" for module, error in failed.items())
            raise ConfigError(
                "[tool.stonks-sandbox] preload",
                f"names modules the service launcher could not import: {listed}.",
                "install them in this environment or remove them from preload.",
            )
        threads = self._ready.get("threads", [])
        if threads:
            raise ProvisionError(
                NAME,
                f"preloading started threads ({', '.join(threads)}): forking services from it "
                "would not be safe.",
                "remove the module that starts a thread at import from [tool.stonks-sandbox] "
                "preload.",
            )

    def _gone_error(self) -> ProvisionError:
        path = self.run.log_path(NAME)
        return ProvisionError(
            NAME,
            f"the service launcher ended. Last log lines: {log_tail(path) or '(empty)'}",
            f"see {path}.",
        )
