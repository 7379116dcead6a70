"""A server process with a readiness check: prepare, spawn, wait until ready, after_ready; stop.

Subclasses say how to run and probe one kind of server; this class owns the lifecycle, the log
file, the pid record (for sweeping a killed run) and the translation of failures into errors that
name the component. Every wait checks the backend's stop signal (`Workers`), so an interrupt or a
teardown ends it at once, and no process is spawned once teardown has begun.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Protocol

import psutil

from pytest_stonks_sandbox._backends.local.rundir import RunDir, kill_group
from pytest_stonks_sandbox._backends.parallel import Workers
from pytest_stonks_sandbox._core.errors import ComponentCrashed, ProvisionError, ReadinessError

PORT_TAKEN = re.compile(r"address already in use|could not bind|bind: address", re.IGNORECASE)
LOG_TAIL_LINES = 6
#: How long an exited process's code is waited for (a forked service's comes from the launcher).
EXIT_REPORT_S = 2.0


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last lines of a log file, joined with ' | ', for a one-paragraph error."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    tail = [line.strip() for line in text.splitlines() if line.strip()][-lines:]
    return " | ".join(tail)


class ProcessHandle(Protocol):
    """What a component needs of its process: `subprocess.Popen`, or a forked service."""

    @property
    def pid(self) -> int: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...


class ManagedProcess:
    """One server process of a run. Subclasses implement `argv` and `is_ready`."""

    name = "process"
    stop_signal = signal.SIGTERM
    stop_grace_s = 5.0
    # Teardown of a throwaway sandbox: how to end the server at once (the group is then killed).
    discard_signal = signal.SIGKILL
    discard_grace_s = 0.0

    def __init__(self, run: RunDir, timeout_s: float) -> None:
        self.run = run
        self.timeout_s = timeout_s
        self.proc: ProcessHandle | None = None
        self.ready_s: float | None = None
        self.stopped_on_purpose = False
        self._prepared = False
        # The backend shares its own; the lock makes spawn and stop exclude each other.
        self.workers = Workers()
        self._spawn_lock = threading.Lock()
        self._adopted: int | None = None  # a kept sandbox's process, started by an earlier run

    # --- what a subclass describes -------------------------------------------------------
    def argv(self) -> list[str]:
        raise NotImplementedError

    def is_ready(self) -> bool:
        """One cheap probe; True once the server answers."""
        raise NotImplementedError

    def prepare(self) -> None:
        """Create directories and files before the first spawn."""

    def after_ready(self) -> None:
        """Work that needs the server up (passwords, buckets); runs on every start."""

    def env(self) -> dict[str, str] | None:
        return None

    def cwd(self) -> Path | None:
        return None

    def run_as(self) -> int | None:
        """Unprivileged uid to run as, or None for the current user."""
        return None

    # --- lifecycle ------------------------------------------------------------------------
    @property
    def log_path(self) -> Path:
        return self.run.log_path(self.name)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else self._adopted

    @property
    def pids(self) -> list[int]:
        """Every process of the component (one here; a component of several says so)."""
        return [self.pid] if self.pid is not None else []

    def record(self, pid: int) -> None:
        """Record the process for sweeping a killed run (and for a kept sandbox's next run)."""
        self.run.record_process(self.name, pid)

    def adopt_recorded(self) -> None:
        """Adopt the process recorded for this component, if it still runs."""
        pid = self.run.recorded_pid(self.name)
        if pid is not None:
            self.adopt(pid)

    def adopt(self, pid: int) -> None:
        """Take over the running process of a kept sandbox: stop ends it, start replaces it."""
        self._adopted = pid
        self._prepared = True  # its files are there already

    def spawn(self) -> None:
        """Start the process, unless the backend is stopping (then raise Halted)."""
        with self._spawn_lock:
            self.workers.check()
            self._spawn()

    def _spawn(self) -> None:
        uid = self.run_as()
        with open(self.log_path, "ab") as log:
            try:
                self.proc = subprocess.Popen(
                    self.argv(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=self.cwd(),
                    env=self.env(),
                    start_new_session=True,
                    user=uid,
                    group=uid,
                    extra_groups=[] if uid is not None else None,
                )
            except OSError as exc:
                raise ProvisionError(
                    self.name, f"could not be started ({exc}).", "check the binary and its path."
                ) from exc
        self.record(self.proc.pid)
        self.stopped_on_purpose = False

    def wait_ready(self, started: float) -> None:
        """Poll `is_ready` with a short backoff until the deadline; fail fast if it dies."""
        deadline = started + self.timeout_s
        delay = 0.005
        while True:
            code = self.proc.poll() if self.proc is not None else None
            if code is not None:
                raise self._exited_error(code)
            try:
                if self.is_ready():
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise ReadinessError(
                    self.name,
                    f"was not ready after {self.timeout_s:.0f} s. Last log lines: "
                    f"{log_tail(self.log_path) or '(empty)'}",
                    f"see {self.log_path}; raise --sandbox-timeout if the machine is slow.",
                )
            self.workers.sleep(delay)
            delay = min(delay * 1.5, 0.01)
        self.ready_s = time.monotonic() - started

    def start(self) -> None:
        """Prepare (once), spawn and wait until ready, then run `after_ready`."""
        started = time.monotonic()
        if not self._prepared:
            self.prepare()
            self._prepared = True
        self.spawn()
        self.wait_ready(started)
        self.after_ready()
        self.ready_s = time.monotonic() - started

    def stop(self, discard: bool = False) -> None:
        """Ask the server to stop, then kill its process group after the grace period.

        `discard` (teardown: the data goes too) ends it at once instead of cleanly.
        """
        with self._spawn_lock:
            proc = self.proc
        sig, grace = (
            (self.discard_signal, self.discard_grace_s)
            if discard
            else (self.stop_signal, self.stop_grace_s)
        )
        if proc is None:
            if self._adopted is not None:
                self.stopped_on_purpose = True
                _end_foreign(self._adopted, sig, grace)
                self._adopted = None
                self.run.forget_process(self.name)
            return
        self.stopped_on_purpose = True
        if proc.poll() is None and sig != signal.SIGKILL:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=grace)
        kill_group(proc.pid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        self.run.forget_process(self.name)

    def check_alive(self) -> None:
        """Raise ComponentCrashed if the process died without being stopped on purpose."""
        if self.proc is None or self.stopped_on_purpose:
            return
        code = self.proc.poll()
        if code is None and _gone(self.proc.pid):
            # It has exited, but its code is not collected yet: a forked service is reaped by
            # the launcher, whose report may come a moment later. A crash is not missed for it.
            try:
                code = self.proc.wait(timeout=EXIT_REPORT_S)
            except subprocess.TimeoutExpired:
                code = -signal.SIGKILL
        if code is not None:
            raise ComponentCrashed(
                self.name,
                f"exited with code {code} during the run. Last log lines: "
                f"{log_tail(self.log_path) or '(empty)'}",
                f"see {self.log_path}.",
            )

    def _exited_error(self, code: int) -> ProvisionError:
        tail = log_tail(self.log_path)
        if PORT_TAKEN.search(tail):
            return ProvisionError(
                self.name,
                f"could not bind its port: it is already in use. Last log lines: {tail}",
                "stop the process holding the port, or leave the port out of "
                "[tool.stonks-sandbox.ports] to get a free one.",
            )
        return ProvisionError(
            self.name,
            f"exited with code {code} during start-up. Last log lines: {tail or '(empty)'}",
            f"see {self.log_path}.",
        )


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _end_foreign(pid: int, sig: int, grace_s: float) -> None:
    """Stop a process this run did not start (it cannot be waited for): signal it, poll until it
    has exited (a zombie counts), then kill its group."""
    for step, wait_s in ((sig, grace_s), (signal.SIGKILL, 5.0)):
        if step == signal.SIGKILL:
            kill_group(pid)
        else:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, step)
        deadline = time.monotonic() + wait_s
        while not _gone(pid) and time.monotonic() < deadline:
            time.sleep(0.01)
    kill_group(pid)
