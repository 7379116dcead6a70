"""The local deploy begun as soon as the run is configured, in a thread of its own.

pytest's start and its collection keep one core busy while the other would wait; the servers
and services the deploy starts are processes of their own, so they start meanwhile. The
session joins the deploy when the first test needs the sandbox (`result`), or cancels it when
none does (`cancel`). Interrupts are raised in the main thread only: a join waits so that Ctrl-C
and SIGTERM get through at once, and the deploy's waits all check the backend's stop signal,
which `halt` sets.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from pytest_stonks_sandbox._core.model import Endpoints

#: How long teardown waits for a halted deploy's thread to give up (its waits check every 10 ms).
HALT_JOIN_S = 0.5


class EarlyDeploy:
    """`start()` of a backend, run in a daemon thread from the moment this is made."""

    def __init__(self, start: Callable[[], Endpoints], halt: Callable[[], None]) -> None:
        self._start = start
        self._halt = halt
        self._done = threading.Event()
        self._endpoints: Endpoints | None = None
        self._error: BaseException | None = None
        self.joined = False
        #: `time.monotonic()` when start returned or failed.
        self.ended_at: float | None = None
        threading.Thread(target=self._run, name="stonks-early-deploy", daemon=True).start()

    def _run(self) -> None:
        try:
            self._endpoints = self._start()
        except BaseException as exc:  # handed to the main thread by `result`
            self._error = exc
        finally:
            self.ended_at = time.monotonic()
            self._done.set()

    @property
    def succeeded(self) -> bool:
        """The deploy has ended, with endpoints."""
        return self._done.is_set() and self._endpoints is not None

    def result(self) -> Endpoints:
        """Wait for the deploy (interruptible); its endpoints, or the error it ended with."""
        self.joined = True
        self._done.wait()
        if self._error is not None:
            raise self._error
        assert self._endpoints is not None
        return self._endpoints

    def halt(self, timeout_s: float = HALT_JOIN_S) -> bool:
        """Stop the deploy where it is; True once its thread has ended (within `timeout_s`)."""
        self._halt()
        return self._done.wait(timeout_s)
