"""The contract's JSON Schema (shipped in the package) and checking a document against it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of the contract, shipped inside the package."""
    text = (
        resources.files("pytest_stonks_sandbox")
        .joinpath("_contract/schema/inttest-results.schema.json")
        .read_text(encoding="utf-8")
    )
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def validation_errors(document: Mapping[str, Any]) -> list[str]:
    """Every way `document` breaks the schema, as readable paths and messages."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(
        schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}"
        for error in validator.iter_errors(document)
    ]
