"""The local deploy begun as soon as the run is configured, in a thread of its own.

pytest's start and its collection keep one core busy while the other would wait; the servers
and services the deploy starts are processes of their own, so they start meanwhile. The
session joins the deploy when the first test needs the sandbox (`result`), or calls it off when
none does. Interrupts are raised in the main thread only: a join waits so that Ctrl-C and
SIGTERM get through at once, and the deploy's waits all check the backend's stop signal, which
`halt` sets. Until the session has settled the deploy (torn down, kept or called off), the
config's cleanup stops it: pytest skips the session's finish when a signal or a usage error
comes before the session has started.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

import pytest

from pytest_stonks_sandbox._backends.parallel import wait_interruptibly
from pytest_stonks_sandbox._core.model import Endpoints
from pytest_stonks_sandbox._plugin.signals import deferred_interrupts
from pytest_stonks_sandbox._settings.config import SandboxConfig

if TYPE_CHECKING:
    from pytest_stonks_sandbox._backends.local.backend import LocalBackend

#: How long a halt waits for the deploy's thread to give up (its waits check every 10 ms).
HALT_JOIN_S = 0.5
#: pytest options (dests) with which a run collects or shows but never runs a test.
RUNS_NO_TEST = ("collectonly", "help", "version", "showfixtures", "show_fixtures_per_test",
                "markers")  # fmt: skip


def begin_early_deploy(cfg: SandboxConfig, config: pytest.Config) -> EarlyDeploy | None:
    """Begin the local deploy now, unless the run is not one to begin it for: a worker, an
    xdist run (its controller deploys at session start), a reuse, Kubernetes, or a run that
    shows or collects only."""
    option = config.option
    if hasattr(config, "workerinput") or cfg.backend != "local":
        return None
    if getattr(option, "dist", "no") != "no" or any(
        getattr(option, d, False) for d in RUNS_NO_TEST
    ):
        return None
    from pytest_stonks_sandbox._backends.local.backend import LocalBackend

    early = EarlyDeploy(LocalBackend(cfg.project, cfg.run_dir, cfg.timeout_s))
    config.add_cleanup(early.stop_unsettled)
    return early


class EarlyDeploy:
    """`backend.start()` in a daemon thread from the moment this is made."""

    def __init__(self, backend: LocalBackend) -> None:
        self.backend = backend
        self.started_at = time.monotonic()
        #: `time.monotonic()` when start returned or failed.
        self.ended_at: float | None = None
        self.joined = False
        #: The session has torn the sandbox down, kept it or called the deploy off.
        self.settled = False
        self._done = threading.Event()
        self._endpoints: Endpoints | None = None
        self._error: BaseException | None = None
        threading.Thread(target=self._run, name="stonks-early-deploy", daemon=True).start()

    def _run(self) -> None:
        try:
            self._endpoints = self.backend.start()
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
        wait_interruptibly(self._done)
        if self._error is not None:
            raise self._error
        assert self._endpoints is not None
        return self._endpoints

    def halt(self, timeout_s: float = HALT_JOIN_S) -> bool:
        """Stop the deploy where it is; True once its thread has ended (within `timeout_s`)."""
        self.backend.workers.halt()
        return self._done.wait(timeout_s)

    def stop_unsettled(self) -> None:
        """The config's cleanup: stop the sandbox unless the session has settled it."""
        if self.settled:
            return
        self.settled = True
        self.halt()
        with deferred_interrupts():
            self.backend.stop()
