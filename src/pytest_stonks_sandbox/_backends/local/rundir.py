"""Run directories: labelled with run id, owner, creation time and TTL, so leftovers can be swept.

Layout under the base directory (default /tmp/stonks-sandbox):
    <run_id>/run.json          owner pid + start time, created_at, ttl_s, kept
    <run_id>/pids/<name>.json  pid + start time of every process the run started (a component
                               of several processes lists the others under "parts")
    _cache/                    reusable artefacts (e.g. an initdb template), never swept
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from pytest_stonks_sandbox._core.jsonfile import write_json

CACHE_DIR = "_cache"
DEFAULT_TTL_S = 24 * 3600.0


def _start_time(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied, ProcessLookupError):
        return None


def is_same_process(pid: int, start_time: float) -> bool:
    """True if `pid` is alive and is the process that started at `start_time` (not a reuse)."""
    current = _start_time(pid)
    return current is not None and abs(current - start_time) < 0.05


@dataclass
class RunDir:
    """One run's directory and its labels."""

    path: Path

    @property
    def run_id(self) -> str:
        return self.path.name

    def create(self, backend: str, ttl_s: float = DEFAULT_TTL_S) -> None:
        """Create the directory, open to its owner only, and label it.

        The base directory stays traversable (an unprivileged server user must pass through it;
        `PostgresServer` lets its user into the run directory).
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(self.path.parent, 0o755)
        self.path.mkdir(mode=0o700)
        os.chmod(self.path, 0o700)
        (self.path / "pids").mkdir(mode=0o700)
        (self.path / "logs").mkdir(mode=0o700)
        me = os.getpid()
        write_json(
            self.path / "run.json",
            {
                "run_id": self.run_id,
                "backend": backend,
                "owner_pid": me,
                "owner_start": _start_time(me),
                "created_at": time.time(),
                "ttl_s": ttl_s,
                "kept": False,
            },
        )

    def labels(self) -> dict[str, Any]:
        try:
            data = json.loads((self.path / "run.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def mark_kept(self, kept: bool) -> None:
        labels = self.labels()
        labels["kept"] = kept
        write_json(self.path / "run.json", labels)

    def record_process(self, name: str, pid: int) -> None:
        write_json(self.path / "pids" / f"{name}.json", {"pid": pid, "start": _start_time(pid)})

    def record_part(self, name: str, part: str, pid: int) -> None:
        """Add one more process of component `name` (recorded first) to its record."""
        path = self.path / "pids" / f"{name}.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        parts = [p for p in data.get("parts", []) if p.get("part") != part]
        data["parts"] = [*parts, {"part": part, "pid": pid, "start": _start_time(pid)}]
        write_json(path, data)

    def recorded_parts(self, name: str) -> dict[str, int]:
        """The other processes of component `name` that still run, by part."""
        try:
            data = json.loads((self.path / "pids" / f"{name}.json").read_text(encoding="utf-8"))
            parts = {str(p["part"]): (int(p["pid"]), float(p["start"])) for p in data["parts"]}
        except (OSError, ValueError, KeyError, TypeError):
            return {}
        return {part: pid for part, (pid, start) in parts.items() if is_same_process(pid, start)}

    def recorded_pid(self, name: str) -> int | None:
        """The pid recorded for `name`, if that very process is still running."""
        try:
            data = json.loads((self.path / "pids" / f"{name}.json").read_text(encoding="utf-8"))
            pid, start = int(data["pid"]), float(data["start"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return pid if is_same_process(pid, start) else None

    def forget_process(self, name: str) -> None:
        (self.path / "pids" / f"{name}.json").unlink(missing_ok=True)

    def log_path(self, name: str) -> Path:
        return self.path / "logs" / f"{name}.log"

    def kill_recorded_processes(self) -> int:
        """SIGKILL the process group of every recorded process still alive; return how many."""
        killed = 0
        for record in sorted((self.path / "pids").glob("*.json")):
            try:
                data = json.loads(record.read_text(encoding="utf-8"))
                processes = [data, *data.get("parts", [])]
                pids = [(int(p["pid"]), float(p["start"])) for p in processes]
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                continue
            for pid, start in pids:
                if is_same_process(pid, start):
                    kill_group(pid)
                    killed += 1
        return killed

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def kill_group(pid: int, sig: int = signal.SIGKILL) -> None:
    """Signal a process started in its own session (its group id is its pid), then the pid."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def is_orphan(run: RunDir, now: float, include_kept: bool) -> bool:
    """A run is left behind when its owner is gone and it was not kept (or its TTL ran out)."""
    labels = run.labels()
    owner, start = labels.get("owner_pid"), labels.get("owner_start")
    if isinstance(owner, int) and isinstance(start, float) and is_same_process(owner, start):
        return False
    if not labels:
        # Half-created or foreign directory: leave it unless it is old.
        return now - run.path.stat().st_mtime > DEFAULT_TTL_S
    if labels.get("kept") and not include_kept:
        return now > float(labels.get("created_at", 0)) + float(labels.get("ttl_s", DEFAULT_TTL_S))
    return True


def sweep(base_dir: Path, include_kept: bool = False) -> list[str]:
    """Remove the runs left behind (processes killed by pid, directory deleted); return ids."""
    if not base_dir.is_dir():
        return []
    removed = []
    now = time.time()
    for path in sorted(base_dir.iterdir()):
        if not path.is_dir() or path.name == CACHE_DIR:
            continue
        run = RunDir(path)
        if is_orphan(run, now, include_kept):
            run.kill_recorded_processes()
            run.remove()
            removed.append(run.run_id)
    return removed
