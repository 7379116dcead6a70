"""Atomic JSON files (temp file + rename): a reader never sees half a document."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

_UMASK = os.umask(0o022)
os.umask(_UMASK)  # read once: changing it later, even for a moment, races other threads


def write_json(path: Path, data: Mapping[str, Any], *, private: bool = False) -> None:
    """Write `data` as indented JSON to `path`, creating its directory.

    `private`: the file holds credentials: mode 0600 (it never exists with wider permissions,
    even for a moment), and a directory created for it 0700. Otherwise the umask decides.
    """
    path.parent.mkdir(mode=0o700 if private else 0o777, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if not private:
            os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(json.dumps(data, indent=2) + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
