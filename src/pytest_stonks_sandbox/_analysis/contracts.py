"""Reading a results contract from a file: this schema's or an older one (1.0)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pytest_stonks_sandbox._contract.builder import SCHEMA_VERSION

#: Schema versions this plugin reads (1.0 has no histograms, memory series or gate).
READABLE_MAJORS = ("1", "2")
_REQUIRED = ("run_id", "backend", "outcome", "tests", "stages", "endpoints", "memory")


class ContractError(ValueError):
    """The file is not a contract this plugin can read; the message names the file and why."""


def read_contract(path: Path) -> dict[str, Any]:
    """The contract at `path`; ContractError when it is missing, not JSON or not a contract."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ContractError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ContractError(f"{path}: cannot be read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise ContractError(f"{path}: is not JSON ({exc})") from None
    if not isinstance(document, dict) or "schema_version" not in document:
        raise ContractError(f"{path}: is not a results contract (no schema_version)")
    major = str(document["schema_version"]).split(".")[0]
    if major not in READABLE_MAJORS:
        raise ContractError(
            f"{path}: schema {document['schema_version']!r} is newer than this plugin reads "
            f"(up to {SCHEMA_VERSION}); upgrade pytest-stonks-sandbox"
        )
    missing = [key for key in _REQUIRED if key not in document]
    if missing:
        raise ContractError(f"{path}: is not a results contract (no {', '.join(missing)})")
    return document
