"""Process-tree PSS, the background MemorySampler (peaks, series) and Kubernetes quantities."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping

import psutil
import pytest

from pytest_stonks_sandbox._measure.memory import (
    PROCESS_PSS,
    SERIES_POINTS,
    MemorySampler,
    downsample,
    parse_k8s_quantity,
    process_tree_pss,
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
# Maps 64 MiB of shared memory, touches it, forks three children that touch it too.
SHARED = """
import mmap, os, sys
block = mmap.mmap(-1, 64 * 1024 * 1024, flags=mmap.MAP_SHARED)
for i in range(0, len(block), 4096):
    block[i] = 1
children = []
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        for i in range(0, len(block), 4096):
            block[i] = 2
        os.read(0, 1)
        os._exit(0)
    children.append(pid)
import time; time.sleep(1.0)
print("ready", flush=True)
sys.stdin.read()
for pid in children:
    os.kill(pid, 9); os.waitpid(pid, 0)
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


def _rss_tree(pid: int) -> int:
    process = psutil.Process(pid)
    tree = [process, *process.children(recursive=True)]
    return sum(int(p.memory_info().rss) for p in tree)


def test_pss_of_a_process_that_holds_memory(holder: subprocess.Popen[str]) -> None:
    assert process_tree_pss(holder.pid) >= 64 * MIB


def test_pss_counts_the_children_of_a_process() -> None:
    parent = _spawn(PARENT)
    try:
        assert process_tree_pss(parent.pid) >= 64 * MIB
    finally:
        _finish(parent)


def test_pss_counts_shared_memory_once_where_rss_counts_it_per_process() -> None:
    """PostgreSQL's shared buffers are mapped by every backend: RSS summed over the tree counts
    them once per process, PSS once in all."""
    process = _spawn(SHARED)
    try:
        pss, rss = process_tree_pss(process.pid), _rss_tree(process.pid)
    finally:
        _finish(process)
    assert rss >= 4 * 64 * MIB  # four processes, each with the 64 MiB resident
    assert 64 * MIB <= pss < 2 * 64 * MIB


def test_a_dead_process_has_no_memory() -> None:
    process = _spawn(HOLDER)
    _finish(process)
    assert process_tree_pss(process.pid) == 0


def test_sampler_tracks_a_real_process(holder: subprocess.Popen[str]) -> None:
    sampler = MemorySampler(
        lambda: {"query-api": process_tree_pss(holder.pid)},
        0.01,
        lambda: {"query-api": PROCESS_PSS},
    )
    with sampler:
        deadline = time.monotonic() + 10
        while sampler.summary().get("query-api", {}).get("samples", 0) < 3:
            assert time.monotonic() < deadline, "sampler took no samples"
            time.sleep(0.01)

    stats = sampler.summary()["query-api"]
    assert stats["peak_bytes"] >= stats["last_bytes"] >= 64 * MIB
    assert stats["samples"] >= 3
    assert (stats["measure"], stats["source"]) == ("pss", "process")
    times = [point[0] for point in stats["series"]]
    assert len(times) == stats["samples"] and times == sorted(times)
    assert abs(times[-1] - time.time()) < 60


def test_peak_last_and_samples_per_service() -> None:
    readings: list[Mapping[str, int]] = [{"a": 10, "b": 5}, {"a": 30}, {"a": 20, "b": 0}]
    sampler = MemorySampler(lambda: readings.pop(0), 60)
    for _ in range(3):
        sampler.sample_once()

    summary = sampler.summary()
    series = {name: [value for _, value in stats.pop("series")] for name, stats in summary.items()}
    assert summary == {
        "a": {"peak_bytes": 30, "last_bytes": 20, "samples": 3, "measure": "unknown",
              "source": "unknown"},
        "b": {"peak_bytes": 5, "last_bytes": 5, "samples": 1, "measure": "unknown",
              "source": "unknown"},
    }  # fmt: skip
    assert series == {"a": [10, 30, 20], "b": [5]}


def test_the_series_stays_bounded_and_keeps_the_peak() -> None:
    values = iter(range(5000))
    peak_at = 1234

    def probe() -> Mapping[str, int]:
        value = next(values)
        return {"a": 10**9 if value == peak_at else 1000 + value}

    sampler = MemorySampler(probe, 60)
    for _ in range(5000):
        sampler.sample_once()
    stats = sampler.summary()["a"]
    assert stats["samples"] == 5000
    assert len(stats["series"]) <= SERIES_POINTS
    assert max(value for _, value in stats["series"]) == 10**9 == stats["peak_bytes"]


def test_downsample_joins_neighbours_keeping_the_larger_value() -> None:
    points = [[float(t), v] for t, v in enumerate([1, 5, 2, 2, 9, 1, 3])]
    assert downsample(points, 4) == [[1.0, 5], [3.0, 2], [5.0, 9], [6.0, 3]]
    assert downsample(points, 10) == points


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
