"""Memory of the sandbox's services, sampled in the background.

A *probe* is any callable returning ``{service: bytes}``: locally the proportional
set size of each service's process tree (:func:`process_tree_pss`: shared pages
divided among the processes that map them, so PostgreSQL's shared buffers count
once), on Kubernetes the pod memory of the metrics API (quantities parsed by
:func:`parse_k8s_quantity`). The sampler keeps, per service, the peak, the last
value and a bounded time series.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import TracebackType
from typing import Any

import psutil

Probe = Callable[[], Mapping[str, int]]
STOP_TIMEOUT_S = 10.0
#: At most this many points of each service's series are kept (then neighbours are joined).
SERIES_POINTS = 300


@dataclass(frozen=True)
class MemoryMeasure:
    """What a memory figure is (`measure`) and where it was read (`source`)."""

    measure: str
    source: str


#: The local backend's figures: PSS of the process tree, from /proc.
PROCESS_PSS = MemoryMeasure("pss", "process")
#: Pod working set from the metrics API (metrics.k8s.io).
METRICS_WORKING_SET = MemoryMeasure("working_set", "metrics-api")
#: A container's cgroup memory usage (memory.current), read in the pod.
CGROUP_USAGE = MemoryMeasure("usage", "cgroup")

_QUANTITY = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)([a-zA-Z]*)")
_SUFFIXES: dict[str, Decimal] = {
    "": Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "P": Decimal(10**15),
    "E": Decimal(10**18),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}


def parse_k8s_quantity(quantity: str) -> int:
    """Convert a Kubernetes quantity (``"123456Ki"``, ``"1.5Gi"``, ``"1e3"``) to an int.

    Fractions are rounded up, as Kubernetes does. Raises ``ValueError`` on junk.
    """
    match = _QUANTITY.fullmatch(quantity.strip())
    if match is None or match.group(2) not in _SUFFIXES:
        raise ValueError(f"not a Kubernetes quantity: {quantity!r}")
    return math.ceil(Decimal(match.group(1)) * _SUFFIXES[match.group(2)])


def _pss(process: psutil.Process) -> int:
    try:
        return int(process.memory_full_info().pss)
    except (psutil.Error, AttributeError):  # gone, not ours, or no PSS on this kernel
        return 0


def process_tree_pss(pid: int) -> int:
    """PSS in bytes of process ``pid`` plus all its descendants; 0 if it is gone."""
    try:
        process = psutil.Process(pid)
        children = process.children(recursive=True)
    except psutil.Error:
        return 0
    return _pss(process) + sum(_pss(child) for child in children)


def downsample(points: list[list[float]], limit: int) -> list[list[float]]:
    """Join neighbouring points pairwise until at most `limit` remain, keeping the larger
    value of each pair (at the later time), so the peak survives."""
    while len(points) > limit:
        joined = [
            [points[i + 1][0], max(points[i][1], points[i + 1][1])]
            for i in range(0, len(points) - 1, 2)
        ]
        if len(points) % 2:
            joined.append(points[-1])
        points = joined
    return points


class _Stats:
    __slots__ = ("last", "peak", "samples", "series")

    def __init__(self) -> None:
        self.peak = 0
        self.last = 0
        self.samples = 0
        self.series: list[list[float]] = []

    def add(self, at: float, value: int) -> None:
        self.peak = max(self.peak, value)
        self.last = value
        self.samples += 1
        self.series.append([round(at, 3), value])
        if len(self.series) >= 2 * SERIES_POINTS:
            self.series = downsample(self.series, SERIES_POINTS)


class MemorySampler:
    """Calls ``probe`` every ``interval_s`` seconds on a daemon thread.

    Keeps per service the peak, the last value and the number of samples. A
    value of 0 or less means "not measurable now" (e.g. a service being
    restarted) and is not a sample. A probe that raises is counted in
    :attr:`probe_errors` and sampling goes on. All methods are thread-safe.
    """

    def __init__(
        self,
        probe: Probe,
        interval_s: float,
        measures: Callable[[], Mapping[str, MemoryMeasure]] | None = None,
    ) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        self._probe = probe
        self._measures = measures
        self.interval_s = interval_s
        self.probe_errors = 0
        self._stats: dict[str, _Stats] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sample_once(self) -> None:
        """Take one sample now (in the calling thread); the probe's errors propagate."""
        values = self._probe()
        now = time.time()
        with self._lock:
            for service, value in values.items():
                if value > 0:
                    self._stats.setdefault(service, _Stats()).add(now, int(value))

    def _run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.sample_once()
            except Exception:
                with self._lock:
                    self.probe_errors += 1
            stop.wait(self.interval_s)

    def start(self) -> None:
        """Start sampling in the background (the first sample is taken at once)."""
        with self._lock:
            if self._thread is not None:
                raise RuntimeError("memory sampler already started")
            self._stop = threading.Event()
            self._thread = threading.Thread(
                target=self._run, args=(self._stop,), name="stonks-memory", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop sampling; waits for a probe in progress, at most ``STOP_TIMEOUT_S``."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._stop.set()
        if thread is not None:
            thread.join(STOP_TIMEOUT_S)

    def summary(self) -> dict[str, dict[str, Any]]:
        """``{service: {peak_bytes, last_bytes, samples, measure, source, series}}``, services
        sorted; `series` holds at most ``SERIES_POINTS`` ``[unix_seconds, bytes]`` pairs."""
        measures = self._measures() if self._measures is not None else {}
        unknown = MemoryMeasure("unknown", "unknown")
        with self._lock:
            return {
                service: {
                    "peak_bytes": s.peak,
                    "last_bytes": s.last,
                    "samples": s.samples,
                    "measure": measures.get(service, unknown).measure,
                    "source": measures.get(service, unknown).source,
                    "series": downsample(s.series, SERIES_POINTS),
                }
                for service, s in sorted(self._stats.items())
            }

    def __enter__(self) -> MemorySampler:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
