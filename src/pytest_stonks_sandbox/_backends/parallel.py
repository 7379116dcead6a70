"""Waiting for work the backends run in parallel."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from pytest_stonks_sandbox._core.errors import SandboxError


def raise_first(futures: list[Future[Any]]) -> None:
    """Wait for all; re-raise the first SandboxError (in submission order), else any error."""
    errors = []
    for future in futures:
        try:
            future.result()
        except BaseException as exc:
            errors.append(exc)
    for error in errors:
        if isinstance(error, SandboxError):
            raise error
    if errors:
        raise errors[0]
