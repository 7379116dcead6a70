"""The backends' parallel waits: an interrupt wins at once, a failure stops the other workers,
and a signal during teardown is only noted (real threads, real signals to this process)."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable

import pytest

from pytest_stonks_sandbox._backends.parallel import Halted, Workers
from pytest_stonks_sandbox._core.errors import ReadinessError
from pytest_stonks_sandbox._plugin.signals import deferred_interrupts


def _waits_for_halt(workers: Workers) -> Callable[[], None]:
    def wait() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            workers.sleep(0.01)
        raise AssertionError("never halted")

    return wait


def _signal_soon(sig: signal.Signals, delay_s: float = 0.2) -> threading.Timer:
    timer = threading.Timer(delay_s, os.kill, (os.getpid(), sig))
    timer.start()
    return timer


def _fails_with(error: BaseException, after_s: float = 0.0) -> Callable[[], None]:
    def fail() -> None:
        time.sleep(after_s)
        raise error

    return fail


def test_an_interrupt_while_waiting_is_raised_at_once_and_halts_the_workers() -> None:
    workers = Workers()
    failing = _fails_with(ReadinessError("s3", "not ready"), after_s=0.05)
    blocked = _fails_with(ValueError("still busy"), after_s=0.8)  # ignores the stop signal
    _signal_soon(signal.SIGINT)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        workers.run([_waits_for_halt(workers), failing, blocked])
    assert time.monotonic() - started < 0.5  # the busy worker was not waited for
    assert workers.halted
    assert workers.join(5.0)  # every worker ended: the halted one at once, the busy one later


def test_an_interrupt_delivered_to_another_thread_still_ends_the_wait_at_once() -> None:
    """The kernel may hand a process's signal to any thread; Python then only flags it for the
    main thread, which must not be blocked in a wait that no signal ends."""
    workers = Workers()

    def to_this_thread() -> None:  # a worker of the deploy, say: not the main thread
        signal.pthread_kill(threading.get_ident(), signal.SIGINT)

    timer = threading.Timer(0.2, to_this_thread)
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        workers.run([_waits_for_halt(workers)])
    assert time.monotonic() - started < 0.5  # not the 30 s the worker would wait
    timer.join()
    assert workers.join(5.0)


def test_the_first_failure_halts_the_others_and_a_sandbox_error_wins() -> None:
    workers = Workers()
    started = time.monotonic()
    with pytest.raises(ReadinessError) as raised:
        workers.run(
            [
                _fails_with(ValueError("a plain error first")),
                _waits_for_halt(workers),
                _fails_with(ReadinessError("redis", "did not answer"), after_s=0.1),
            ]
        )
    assert raised.value.component == "redis"
    assert time.monotonic() - started < 1.0
    assert workers.halted


def test_without_a_sandbox_error_the_first_error_in_submission_order_is_raised() -> None:
    workers = Workers()
    with pytest.raises(ValueError, match="second"):
        workers.run([_fails_with(ValueError("second"), after_s=0.1), _fails_with(OSError("x"))])


def test_all_succeeding_returns_and_a_halted_crew_starts_nothing() -> None:
    workers = Workers()
    done: list[int] = []
    workers.run([lambda: done.append(1), lambda: done.append(2)])
    assert sorted(done) == [1, 2] and not workers.halted
    workers.halt()
    with pytest.raises(Halted):
        workers.run([lambda: done.append(3)])
    assert sorted(done) == [1, 2]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_during_deferred_interrupts_is_noted_not_raised(sig: signal.Signals) -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    with deferred_interrupts() as caught:
        os.kill(os.getpid(), sig)
        time.sleep(0.05)  # the handler runs in the main thread between bytecodes
        assert (caught.signum, caught.count) == (sig, 1)
    assert {s: signal.getsignal(s) for s in before} == before


def test_a_command_runs_to_its_end_with_its_code_and_error_output() -> None:
    code, error = Workers().command([sys.executable, "-c", "import sys; sys.exit('broken')"])
    assert (code, error) == (1, "broken")
    assert Workers().command(["true"]) == (0, "")


def test_the_stop_signal_kills_a_command_at_once() -> None:
    workers = Workers()
    threading.Timer(0.2, workers.halt).start()
    started = time.monotonic()
    with pytest.raises(Halted):
        workers.command(["sleep", "30"])
    assert time.monotonic() - started < 1.0
