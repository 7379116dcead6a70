"""pytest-stonks-sandbox: the Stonks Oracle integration-test lifecycle as a pytest plugin.

The names below are the public API (see docs/api.md); everything else lives in private modules
and may change. Each name is re-exported here and reports this package as its module.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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
from pytest_stonks_sandbox._measure.routes import RouteTemplates
from pytest_stonks_sandbox._version import __version__

if TYPE_CHECKING:
    from pytest_stonks_sandbox._measure.load import LoadResult, LoadRunner, MakeRequest
    from pytest_stonks_sandbox._measure.timing import instrument, instrument_sync
    from pytest_stonks_sandbox._plugin.clients import ClientFactory
    from pytest_stonks_sandbox._plugin.faults import SandboxFaults

# Imported on first use: they bring httpx and the plugin's session, which pytest's start would
# otherwise load before the plugin is configured (and the sandbox's deploy can begin).
_LAZY = {
    "LoadResult": "pytest_stonks_sandbox._measure.load",
    "LoadRunner": "pytest_stonks_sandbox._measure.load",
    "MakeRequest": "pytest_stonks_sandbox._measure.load",
    "instrument": "pytest_stonks_sandbox._measure.timing",
    "instrument_sync": "pytest_stonks_sandbox._measure.timing",
    "ClientFactory": "pytest_stonks_sandbox._plugin.clients",
    "SandboxFaults": "pytest_stonks_sandbox._plugin.faults",
}

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


def _as_public(value: Any) -> Any:
    """Report the public name's home as the package (httpx does the same): tracebacks, reprs and
    the docs then name `pytest_stonks_sandbox.Sandbox`, not the private module it lives in."""
    if hasattr(value, "__module__"):
        value.__module__ = __name__
    return value


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = globals()[name] = _as_public(getattr(importlib.import_module(_LAZY[name]), name))
    return value


for _name in __all__:
    if _name not in _LAZY:
        _as_public(globals()[_name])
del _name
