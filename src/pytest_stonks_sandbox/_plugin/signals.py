"""Ctrl-C and SIGTERM: both interrupt the run (a KeyboardInterrupt in the main thread), except
at its end (teardown, the contract), which must finish: there a signal is noted, and the run
ends as interrupted."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import FrameType
from typing import Any

import pytest

INTERRUPT_SIGNALS = (signal.SIGINT, signal.SIGTERM)
Handler = Callable[[int, FrameType | None], Any] | int | None


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def install_sigterm_handler(config: pytest.Config) -> None:
    """SIGTERM is handled like Ctrl-C, so teardown runs and the report is written."""
    if sys.platform == "win32" or threading.current_thread() is not threading.main_thread():
        return
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    config.add_cleanup(restore)


@dataclass
class Caught:
    """The signals that arrived while interrupts were deferred: the first, and how many."""

    signum: int | None = None
    count: int = 0


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[Caught]:
    """Within the block SIGINT and SIGTERM are only noted; the previous handlers come back
    after it. Outside the main thread (where handlers cannot be set) nothing changes."""
    caught = Caught()
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return

    def note(signum: int, frame: FrameType | None) -> None:
        caught.signum = caught.signum or signum
        caught.count += 1

    previous: dict[signal.Signals, Handler] = {}
    try:
        for signum in INTERRUPT_SIGNALS:
            previous[signum] = signal.signal(signum, note)
        yield caught
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
