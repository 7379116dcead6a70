"""The fault controller a resilience test gets as `sandbox_faults`."""

from __future__ import annotations

from collections.abc import Callable

#: Acts on a component: `act(action, component)` with action stop, start or restart.
FaultAct = Callable[[str, str], None]


class SandboxFaults:
    """Real fault injection: stop, start or restart one component of the sandbox.

    Components are `postgres`, `redis`, `s3` and the service names. Locally a component's
    process is stopped or started; on Kubernetes its Deployment is scaled or its pod deleted.
    """

    def __init__(self, act: FaultAct) -> None:
        self._act = act
        self.stopped: set[str] = set()

    def stop(self, component: str) -> None:
        self._act("stop", component)
        self.stopped.add(component)

    def start(self, component: str) -> None:
        self._act("start", component)
        self.stopped.discard(component)

    def restart(self, component: str) -> None:
        self._act("restart", component)
        self.stopped.discard(component)

    def restore(self) -> None:
        """Start again whatever is still stopped, so the next test finds the sandbox whole."""
        for component in sorted(self.stopped):
            self.start(component)
