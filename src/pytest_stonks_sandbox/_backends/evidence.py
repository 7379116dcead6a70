"""What a backend hands over as evidence of a run: its components' logs and state, bounded.

`Backend.evidence()` returns `EvidenceFile`s (a path inside the bundle, the component it belongs
to, the bytes): local process logs; on Kubernetes every pod's log (previous containers too), the
namespace's events, each pod's status, and what blocked a slow namespace deletion. Each file is
cut to its last `MAX_FILE_BYTES` (the end of a log is where a failure is); the bundle writer
applies the total limit and removes credentials.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_FILE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class EvidenceFile:
    """One file of a failure bundle: where it goes, whose it is, its (possibly cut) content."""

    path: str  # relative to the bundle, e.g. "logs/postgres.log"
    component: str
    data: bytes
    cut_bytes: int = 0  # how many bytes at the start were left out

    @property
    def is_log(self) -> bool:
        """True for a component's log (searched for a failed test's lines)."""
        return self.path.endswith(".log")


def cut(data: bytes, limit: int = MAX_FILE_BYTES) -> tuple[bytes, int]:
    """The last `limit` bytes of `data`, from a line start; and how many bytes were cut."""
    if len(data) <= limit:
        return data, 0
    tail = data[-limit:]
    newline = tail.find(b"\n")
    if 0 <= newline < len(tail) - 1:
        tail = tail[newline + 1 :]
    return tail, len(data) - len(tail)


def read_tail(path: Path, component: str, name: str, limit: int = MAX_FILE_BYTES) -> EvidenceFile:
    """A file on disk as evidence, cut to its last `limit` bytes (read no more than that)."""
    with open(path, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        if size > limit:
            file.seek(size - limit - 1)
        data = file.read()
    tail, cut_bytes = cut(data, limit)
    return EvidenceFile(name, component, tail, cut_bytes + max(size - len(data), 0))


def json_file(name: str, component: str, value: Any) -> EvidenceFile:
    """A JSON document as evidence (events, pod status)."""
    text = json.dumps(value, indent=2, default=str, sort_keys=True) + "\n"
    data, cut_bytes = cut(text.encode(), MAX_FILE_BYTES)
    return EvidenceFile(name, component, data, cut_bytes)


def log_files(run_dir: Path) -> list[EvidenceFile]:
    """Every component's log in a local run directory (`logs/<component>.log`)."""
    logs = run_dir / "logs"
    if not logs.is_dir():
        return []
    return [read_tail(path, path.stem, f"logs/{path.name}") for path in sorted(logs.glob("*.log"))]


def log_offsets(run_dir: str) -> dict[str, int]:
    """The size of each component's log in a local run directory now (where a test starts)."""
    logs = Path(run_dir, "logs") if run_dir else None
    if logs is None or not logs.is_dir():
        return {}
    return {path.name: path.stat().st_size for path in logs.glob("*.log")}


def lines_since(
    run_dir: str, offsets: dict[str, int], trace: str, limit: int = MAX_FILE_BYTES
) -> list[tuple[str, str]]:
    """(component, line) of each line carrying `trace` written since `offsets` (local logs)."""
    logs = Path(run_dir, "logs") if run_dir else None
    if logs is None or not logs.is_dir():
        return []
    needle = trace.encode()
    found = []
    for path in sorted(logs.glob("*.log")):
        with open(path, "rb") as file:
            start = offsets.get(path.name, 0)
            size = os.fstat(file.fileno()).st_size
            file.seek(max(start, size - limit))
            data = file.read(limit)
        if needle not in data:
            continue
        for line in data.splitlines():
            if needle in line:
                found.append((path.stem, line.decode("utf-8", "replace")))
    return found
