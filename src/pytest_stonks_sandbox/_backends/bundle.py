"""The failure bundle: evidence files written beside the contract, bounded, without credentials;
and the log slices of failed tests, found in it by their trace ids.

Every file is cut to its last `MAX_FILE_BYTES` by the backend; the bundle stops at
`MAX_TOTAL_BYTES` (files that do not fit are listed as omitted). Each of the run's secrets is
replaced by `[redacted]` before anything is written. The directory is 0700, its files 0600.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_stonks_sandbox._backends.evidence import MAX_FILE_BYTES, EvidenceFile

MAX_TOTAL_BYTES = 64 * 1024 * 1024
REDACTED = b"[redacted]"
MIN_SECRET_CHARS = 8  # shorter values (a user name, "postgres") would redact ordinary words
SLICE_LINES = 40  # lines kept per failed test
SLICE_LINE_CHARS = 2000
SLICE_BYTES = 32 * 1024
INDEX = "index.json"


class Redactor:
    """Replaces every occurrence of the run's secrets by `[redacted]`."""

    def __init__(self, secrets: Iterable[str]) -> None:
        found = sorted({s for s in secrets if len(s) >= MIN_SECRET_CHARS}, key=len, reverse=True)
        self._bytes = re.compile(b"|".join(re.escape(s.encode()) for s in found)) if found else None
        self._text = re.compile("|".join(re.escape(s) for s in found)) if found else None

    def data(self, data: bytes) -> bytes:
        return self._bytes.sub(REDACTED, data) if self._bytes else data

    def text(self, text: str) -> str:
        return self._text.sub(REDACTED.decode(), text) if self._text else text


@dataclass
class Bundle:
    """Evidence files of one run; written under `root` (None: kept in memory for slicing only)."""

    root: Path | None
    redactor: Redactor
    max_total_bytes: int = MAX_TOTAL_BYTES
    files: list[dict[str, Any]] = field(default_factory=list)
    omitted: list[str] = field(default_factory=list)
    logs: list[tuple[str, str, bytes]] = field(default_factory=list)  # (component, path, data)
    total_bytes: int = 0

    @classmethod
    def create(cls, root: Path | None, secrets: Iterable[str]) -> Bundle:
        """A new, empty bundle at `root` (whatever an earlier run left there is removed)."""
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)
            try:
                root.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                root.mkdir(mode=0o700)
            except OSError as exc:
                raise OSError(
                    f"cannot create the failure bundle's directory {root} ({exc.strerror or exc}); "
                    "free that path, or write the contract elsewhere with --results=PATH"
                ) from exc
        return cls(root, Redactor(secrets))

    def add(self, files: Iterable[EvidenceFile]) -> None:
        """Write each file (redacted, within the total limit) unless the bundle has its path."""
        have = {entry["path"] for entry in self.files} | set(self.omitted)
        for item in files:
            if item.path in have or not _safe(item.path):
                continue
            have.add(item.path)
            data = self.redactor.data(item.data)
            if self.total_bytes + len(data) > self.max_total_bytes:
                self.omitted.append(item.path)
                continue
            self.total_bytes += len(data)
            if self.root is not None:
                _write_private(self.root / item.path, data, self.root)
            self.files.append(
                {"path": item.path, "component": item.component, "bytes": len(data),
                 "cut_bytes": item.cut_bytes}
            )  # fmt: skip
            if item.is_log:
                self.logs.append((item.component, item.path, data))

    def finish(self, about: Mapping[str, Any]) -> None:
        """Write the bundle's index (what is in it, what was cut or left out, and why)."""
        if self.root is None:
            return
        index = {**about, **self.summary(), "limits": limits()}
        _write_private(self.root / INDEX, json.dumps(index, indent=2).encode() + b"\n", self.root)

    def summary(self) -> dict[str, Any]:
        return {"files": list(self.files), "omitted": list(self.omitted), "bytes": self.total_bytes}

    def slices(self, traces: Mapping[str, str]) -> dict[str, dict[str, Any]]:
        """For each trace id, the log lines that carry it (bounded), keyed by trace id."""
        found: dict[str, list[tuple[str, str]]] = {trace: [] for trace in traces.values()}
        if not found:
            return {}
        pattern = re.compile("|".join(re.escape(t) for t in found).encode())
        for component, _, data in self.logs:
            last_line = -1
            for match in pattern.finditer(data):
                start = data.rfind(b"\n", 0, match.start()) + 1
                if start == last_line:
                    continue  # the same line again
                last_line = start
                end = data.find(b"\n", match.end())
                line = data[start : end if end >= 0 else len(data)]
                text = line.decode("utf-8", "replace").rstrip("\r")
                found[match.group().decode()].append((component, text))
        full_logs = str(self.root) if self.root is not None else None
        return {trace: _bounded(lines, trace, full_logs) for trace, lines in found.items()}


def _bounded(lines: list[tuple[str, str]], trace: str, full_logs: str | None) -> dict[str, Any]:
    kept: list[dict[str, str]] = []
    size = 0
    for component, text in lines[:SLICE_LINES]:
        text = text if len(text) <= SLICE_LINE_CHARS else text[:SLICE_LINE_CHARS] + " [...]"
        size += len(text)
        if size > SLICE_BYTES:
            break
        kept.append({"component": component, "line": text})
    return {
        "trace_id": trace,
        "lines": kept,
        "omitted_lines": len(lines) - len(kept),
        "full_logs": full_logs,
    }


def limits() -> dict[str, int]:
    """The bundle's bounds, as the index and the contract report them."""
    return {
        "file_bytes": MAX_FILE_BYTES,
        "total_bytes": MAX_TOTAL_BYTES,
        "slice_lines": SLICE_LINES,
        "slice_bytes": SLICE_BYTES,
    }


def _safe(path: str) -> bool:
    """A relative path that stays inside the bundle."""
    parts = Path(path).parts
    return bool(parts) and not Path(path).is_absolute() and ".." not in parts


def _write_private(path: Path, data: bytes, root: Path) -> None:
    for parent in reversed(path.relative_to(root).parents):
        (root / parent).mkdir(mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
