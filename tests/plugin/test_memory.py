"""Process-tree RSS, the background MemorySampler and Kubernetes quantities."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping

import pytest

from pytest_stonks_sandbox._measure.memory import (
    MemorySampler,
    parse_k8s_quantity,
    process_tree_rss,
)

MIB = 1 << 20
# Allocates (and touches) 64 MiB, says so, then waits for stdin to close (bounded).
HOLDER = """
import sys, time
block = bytearray(64 * 1024 * 1024)
for i in range(0, len(block), 4096):
    block[i] = 1
print("ready", flush=True)
sys.stdin.read()
"""
# Spawns a HOLDER child, then waits for stdin to close, forwarding the close.
PARENT = f"""
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", {HOLDER!r}], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
print(child.stdout.readline().strip(), flush=True)
sys.stdin.read()
child.stdin.close()
child.wait(timeout=30)
"""


def _spawn(code: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    return process


def _finish(process: subprocess.Popen[str]) -> None:
    assert process.stdin is not None
    process.stdin.close()
    process.wait(timeout=30)


@pytest.fixture
def holder() -> Iterator[subprocess.Popen[str]]:
    process = _spawn(HOLDER)
    yield process
    _finish(process)


def test_rss_of_a_process_that_holds_memory(holder: subprocess.Popen[str]) -> None:
    assert process_tree_rss(holder.pid) >= 64 * MIB


def test_rss_counts_the_children_of_a_process() -> None:
    parent = _spawn(PARENT)
    try:
        assert process_tree_rss(parent.pid) >= 64 * MIB
    finally:
        _finish(parent)


def test_a_dead_process_has_no_memory() -> None:
    process = _spawn(HOLDER)
    _finish(process)
    assert process_tree_rss(process.pid) == 0


def test_sampler_tracks_a_real_process(holder: subprocess.Popen[str]) -> None:
    sampler = MemorySampler(lambda: {"query-api": process_tree_rss(holder.pid)}, 0.01)
    with sampler:
        deadline = time.monotonic() + 10
        while sampler.summary().get("query-api", {}).get("samples", 0) < 3:
            assert time.monotonic() < deadline, "sampler took no samples"
            time.sleep(0.01)

    stats = sampler.summary()["query-api"]
    assert stats["peak_bytes"] >= stats["last_bytes"] >= 64 * MIB
    assert stats["samples"] >= 3


def test_peak_last_and_samples_per_service() -> None:
    readings: list[Mapping[str, int]] = [{"a": 10, "b": 5}, {"a": 30}, {"a": 20, "b": 0}]
    sampler = MemorySampler(lambda: readings.pop(0), 60)
    for _ in range(3):
        sampler.sample_once()

    assert sampler.summary() == {
        "a": {"peak_bytes": 30, "last_bytes": 20, "samples": 3},
        "b": {"peak_bytes": 5, "last_bytes": 5, "samples": 1},
    }


def test_probe_errors_are_counted_and_stop_joins_the_thread() -> None:
    calls = threading.Event()

    def failing() -> Mapping[str, int]:
        calls.set()
        raise RuntimeError("metrics API unavailable")

    before = set(threading.enumerate())  # a --sandbox run has its own sampler thread
    sampler = MemorySampler(failing, 0.01)
    sampler.start()
    started = set(threading.enumerate()) - before
    assert calls.wait(10)
    sampler.stop()

    assert sampler.probe_errors >= 1
    assert sampler.summary() == {}
    assert [t.name for t in started] == ["stonks-memory"]
    assert not any(t.is_alive() for t in started)


def test_starting_twice_is_refused_and_stop_without_start_is_harmless() -> None:
    sampler = MemorySampler(dict, 60)
    sampler.stop()
    sampler.start()
    try:
        with pytest.raises(RuntimeError):
            sampler.start()
    finally:
        sampler.stop()


def test_interval_must_be_positive() -> None:
    with pytest.raises(ValueError):
        MemorySampler(dict, 0)


@pytest.mark.parametrize(
    ("quantity", "value"),
    [
        ("123456Ki", 123456 * 1024),
        ("512Mi", 512 * MIB),
        ("1.5Gi", 3 * (1 << 29)),
        ("250M", 250_000_000),
        ("1e3", 1000),
        ("1E", 10**18),
        ("12345", 12345),
        ("100m", 1),
        ("1500u", 1),
    ],
)
def test_parse_k8s_quantity(quantity: str, value: int) -> None:
    assert parse_k8s_quantity(quantity) == value


@pytest.mark.parametrize("junk", ["", "Ki", "12Qi", "1.2.3Mi", "abc"])
def test_parse_k8s_quantity_rejects_junk(junk: str) -> None:
    with pytest.raises(ValueError):
        parse_k8s_quantity(junk)
