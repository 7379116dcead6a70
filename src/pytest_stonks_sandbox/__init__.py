"""pytest-stonks-sandbox: the Stonks Oracle integration-test lifecycle as a pytest plugin.

The names below are the public API (see docs/api.md); everything else lives in private modules
and may change. Each name is re-exported here and reports this package as its module.
"""

from pytest_stonks_sandbox._core.errors import (
    ComponentCrashed,
    ConfigError,
    PortForwardError,
    ProvisionError,
    ReadinessError,
    SandboxError,
    SeedError,
    TeardownError,
)
from pytest_stonks_sandbox._core.model import Endpoints, Sandbox
from pytest_stonks_sandbox._measure.histograms import LatencyRecorder
from pytest_stonks_sandbox._measure.load import LoadResult, LoadRunner, MakeRequest
from pytest_stonks_sandbox._measure.routes import RouteTemplates
from pytest_stonks_sandbox._measure.timing import instrument, instrument_sync
from pytest_stonks_sandbox._plugin.clients import ClientFactory
from pytest_stonks_sandbox._plugin.faults import SandboxFaults
from pytest_stonks_sandbox._version import __version__

__all__ = [
    "ClientFactory",
    "ComponentCrashed",
    "ConfigError",
    "Endpoints",
    "LatencyRecorder",
    "LoadResult",
    "LoadRunner",
    "MakeRequest",
    "PortForwardError",
    "ProvisionError",
    "ReadinessError",
    "RouteTemplates",
    "Sandbox",
    "SandboxError",
    "SandboxFaults",
    "SeedError",
    "TeardownError",
    "__version__",
    "instrument",
    "instrument_sync",
]

# Report the public name's home as the package (httpx does the same): tracebacks, reprs and
# the docs then name `pytest_stonks_sandbox.Sandbox`, not the private module it lives in.
for _name in __all__:
    _value = globals()[_name]
    if hasattr(_value, "__module__"):
        _value.__module__ = __name__
del _name, _value
