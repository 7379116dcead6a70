"""pytest-stonks-sandbox: the Stonks Oracle integration-test lifecycle as a pytest plugin."""

from pytest_stonks_sandbox.errors import SandboxError
from pytest_stonks_sandbox.model import Endpoints, Sandbox

__all__ = ["Endpoints", "Sandbox", "SandboxError"]
__version__ = "0.1.0"
