"""The stash key under which the run's SandboxSession lives on the pytest config."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_stonks_sandbox._plugin.session import SandboxSession

SESSION_KEY: pytest.StashKey[SandboxSession] = pytest.StashKey()
