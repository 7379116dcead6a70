"""Fixtures of the plugin's own tests (helpers live in sandbox_helpers.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from _pytest.pytester import Pytester
from sandbox_helpers import TAG_ENV, Inner, make_base


@pytest.fixture
def pytester(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> Pytester:
    """pytester without `-p pytester` (pytest_plugins is only allowed in the root conftest).

    Pytester reads its `--runpytest` option in __init__; without the plugin it is not declared.
    """
    config = request.config
    if not hasattr(config.option, "runpytest"):
        monkeypatch.setattr(config.option, "runpytest", "subprocess", raising=False)
        monkeypatch.setitem(config._parser._opt2dest, "--runpytest", "runpytest")
    return Pytester(request, tmp_path_factory, monkeypatch, _ispytest=True)


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
