"""The error hierarchy: one root, one subclass per phase, each naming a component and a fix."""

from __future__ import annotations


class SandboxError(Exception):
    """An infrastructure failure: the run ends with exit code 2 and this one-paragraph message."""

    phase = "sandbox"

    def __init__(self, component: str, message: str, hint: str = "") -> None:
        self.component = component
        self.message = message
        self.hint = hint
        super().__init__(self.explain())

    def explain(self) -> str:
        """One paragraph: phase, component, what went wrong and how to fix it."""
        text = f"{self.phase} failed for {self.component}: {self.message}"
        if self.hint:
            text += f" Fix: {self.hint}"
        return text


class ConfigError(SandboxError):
    """The sandbox configuration ([tool.stonks-sandbox], options, env) is wrong."""

    phase = "configuration"


class ProvisionError(SandboxError):
    """A component could not be started (missing binary, port taken, crash on start)."""

    phase = "provisioning"


class ReadinessError(SandboxError):
    """A component started but did not become ready in time."""

    phase = "readiness"


class PortForwardError(SandboxError):
    """A port-forward to a component could not be opened or broke."""

    phase = "port-forward"


class SeedError(SandboxError):
    """The schema or the seed data could not be loaded."""

    phase = "seeding"


class TeardownError(SandboxError):
    """Something the run created could not be removed."""

    phase = "teardown"


class ComponentCrashed(SandboxError):
    """A component died while the tests were running."""

    phase = "run"
