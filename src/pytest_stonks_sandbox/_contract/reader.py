"""Reading a results contract from a file: this schema's or an older one (1.0)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: Schema majors this plugin reads (1.0 has no histograms, memory series or gate).
READABLE_MAJORS = ("1", "2")
REQUIRED_KEYS = ("schema_version", "run_id", "outcome", "tests", "stages", "endpoints", "memory")
CONTRACT_HINT = "give the JSON file a run writes (inttest-results.json, or the path of --results)"


class ContractError(ValueError):
    """A file that is not a contract this plugin reads; the message names it and what to give."""


def read_contract(path: Path) -> dict[str, Any]:
    """The contract in `path`, checked to be one this plugin reads (schema 1.x or 2.x)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContractError(f"{path}: no such file; {CONTRACT_HINT}.") from None
    except IsADirectoryError:
        raise ContractError(f"{path} is a directory; {CONTRACT_HINT}.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ContractError(f"{path} cannot be read ({exc}); {CONTRACT_HINT}.") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ContractError(
            f"{path} is not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            f"{CONTRACT_HINT}."
        ) from None
    if not isinstance(document, dict):
        raise ContractError(
            f"{path} holds a JSON {type(document).__name__}, not a results "
            f"contract (an object); {CONTRACT_HINT}."
        )
    missing = [key for key in REQUIRED_KEYS if key not in document]
    if missing:
        raise ContractError(
            f"{path} is not a results contract: it has no {', '.join(missing)}; {CONTRACT_HINT}."
        )
    major = str(document["schema_version"]).split(".", 1)[0]
    if major not in READABLE_MAJORS:
        raise ContractError(
            f"{path} has schema_version {document['schema_version']!r}; this plugin reads "
            f"schemas {', '.join(m + '.x' for m in READABLE_MAJORS)}: upgrade it to read this one."
        )
    return document
