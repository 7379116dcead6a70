"""Fixtures of the plugin's own tests (helpers live in sandbox_helpers.py).

`pytester` comes from pytest's own plugin, loaded with `-p pytester` (addopts in pyproject.toml).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sandbox_helpers import TAG_ENV, Inner, make_base


@pytest.fixture
def inner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Iterator[Inner]:
    for name in list(os.environ):
        if name.startswith("STONKS_SANDBOX"):
            monkeypatch.delenv(name)
    base = make_base()
    monkeypatch.setenv("STONKS_SANDBOX_DIR", str(base))
    tag = f"{os.getpid()}-{pytester.path.name}-{base.name}"
    monkeypatch.setenv(TAG_ENV, tag)
    project = Inner(pytester, tag, base)
    try:
        yield project
    finally:
        project.cleanup()
