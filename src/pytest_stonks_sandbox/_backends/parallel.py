"""The parallel work of a backend, and the stop signal every piece of it checks.

An interrupt (Ctrl-C, SIGTERM) is raised in the main thread only, while it waits for the
workers. `Workers.run` lets it through at once, after telling the workers to stop; it never
collects it as one more error, and it never waits for a worker that is still busy. A worker's
own failure stops the others too, so a broken deploy fails as soon as its first part does.
"""

from __future__ import annotations

import queue
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pytest_stonks_sandbox._core.errors import SandboxError

#: How often a program run by `Workers.command` is checked (its end, the stop signal).
COMMAND_POLL_S = 0.005
#: The slices a main-thread wait is cut into. The kernel may deliver a signal to any thread;
#: Python then only sets a flag, which the main thread acts on once it runs again. A wait with no
#: end (a lock, a queue) would not be woken: a Ctrl-C during a Kubernetes deploy on a loaded
#: machine waited until the deploy timed out.
SIGNAL_SLICE_S = 0.05


class Halted(Exception):
    """Raised in a worker that noticed the stop signal; never reaches the user."""


class Workers:
    """Threads of one backend, started per `run`, and the stop signal they share."""

    def __init__(self) -> None:
        self._halt = threading.Event()
        self._threads: list[threading.Thread] = []

    # --- the stop signal -----------------------------------------------------------------
    def halt(self) -> None:
        """Every worker stops at its next check; nothing new is started."""
        self._halt.set()

    @property
    def halted(self) -> bool:
        return self._halt.is_set()

    def check(self) -> None:
        """Raise Halted once the stop signal is set."""
        if self._halt.is_set():
            raise Halted()

    def sleep(self, seconds: float) -> None:
        """Sleep, or raise Halted as soon as the stop signal is set."""
        if self._halt.wait(seconds):
            raise Halted()

    def command(self, argv: Sequence[str], cwd: Path | None = None) -> tuple[int, str]:
        """Run a short program to its end: its exit code and error output. The stop signal
        kills it at once (then Halted is raised)."""
        process = subprocess.Popen(
            argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            while process.poll() is None:
                self.sleep(COMMAND_POLL_S)
        finally:
            if process.poll() is None:
                process.kill()
            error = process.communicate()[1].decode(errors="replace").strip()
        return process.returncode, error

    # --- running -------------------------------------------------------------------------
    def run(self, calls: Sequence[Callable[[], object]]) -> None:
        """Run the calls in parallel and wait for them.

        An exception in the waiting thread (KeyboardInterrupt) halts the workers and is raised
        at once. Otherwise the first failure halts the rest; once all have ended, the first
        SandboxError in submission order is raised, else the first other error.
        """
        self.check()
        finished: queue.SimpleQueue[tuple[int, BaseException | None]] = queue.SimpleQueue()
        for index, call in enumerate(calls):
            thread = threading.Thread(
                target=_report, args=(index, call, finished), name="stonks-deploy", daemon=True
            )
            self._threads.append(thread)
            thread.start()
        errors: dict[int, BaseException] = {}
        try:
            for _ in calls:
                index, error = _next(finished)
                if error is not None and not isinstance(error, Halted):
                    errors[index] = error
                    self.halt()
        except BaseException:
            self.halt()
            raise
        if not errors and self.halted:
            raise Halted()
        ordered = [errors[index] for index in sorted(errors)]
        first = next((e for e in ordered if isinstance(e, SandboxError)), None)
        if first is not None or ordered:
            raise first or ordered[0]

    def join(self, timeout_s: float) -> bool:
        """Wait (at most `timeout_s` in all) until every worker ever started has ended."""
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(deadline - time.monotonic(), 0.0))
        self._threads = [thread for thread in self._threads if thread.is_alive()]
        return not self._threads


def wait_interruptibly(event: threading.Event) -> None:
    """`event.wait()` in slices, so a signal is acted on within SIGNAL_SLICE_S."""
    while not event.wait(SIGNAL_SLICE_S):
        pass


def _next(
    finished: queue.SimpleQueue[tuple[int, BaseException | None]],
) -> tuple[int, BaseException | None]:
    """The next worker's end, waited for in slices (see SIGNAL_SLICE_S)."""
    while True:
        try:
            return finished.get(timeout=SIGNAL_SLICE_S)
        except queue.Empty:
            continue


def _report(
    index: int,
    call: Callable[[], object],
    finished: queue.SimpleQueue[tuple[int, BaseException | None]],
) -> None:
    try:
        call()
    except BaseException as exc:  # handed to the waiting thread, which decides
        finished.put((index, exc))
    else:
        finished.put((index, None))
