"""The fault controller a resilience test gets as `sandbox_faults`."""

from __future__ import annotations

from collections.abc import Callable

#: Acts on a component: `act(action, component)` with action stop, start or restart.
FaultAct = Callable[[str, str], None]
#: Told True when a test injects a fault, False once the test has restored the sandbox.
FaultWatch = Callable[[bool], None]


class SandboxFaults:
    """Real fault injection: stop, start or restart one component of the sandbox.

    Components are `postgres`, `redis`, `s3` and the service names. Locally a component's
    process is stopped or started; on Kubernetes its Deployment is scaled or its pod deleted.
    From the first fault until the test ends (`restore`), the errors of the run's requests are
    expected ones (counted apart from the routes' errors): recovery is part of the fault.
    """

    def __init__(self, act: FaultAct, watch: FaultWatch | None = None) -> None:
        self._act = act
        self._watch = watch
        self.stopped: set[str] = set()

    def _do(self, action: str, component: str) -> None:
        if self._watch is not None:
            self._watch(True)
        self._act(action, component)

    def stop(self, component: str) -> None:
        self._do("stop", component)
        self.stopped.add(component)

    def start(self, component: str) -> None:
        self._do("start", component)
        self.stopped.discard(component)

    def restart(self, component: str) -> None:
        self._do("restart", component)
        self.stopped.discard(component)

    def restore(self) -> None:
        """Start again whatever is still stopped, so the next test finds the sandbox whole."""
        try:
            for component in sorted(self.stopped):
                self.start(component)
        finally:
            if self._watch is not None:
                self._watch(False)
