"""The public API is pinned: exactly the documented names, each reporting the package as home."""

from __future__ import annotations

import re
from pathlib import Path

import pytest_stonks_sandbox

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def documented() -> list[str]:
    """The names docs/api.md documents (one `### `Name`` heading each), plus `__version__`."""
    names = re.findall(r"^### `(\w+)`", DOCS.read_text(encoding="utf-8"), re.M)
    return sorted({*names, "__version__"})


def test_all_is_exactly_the_documented_list() -> None:
    assert sorted(pytest_stonks_sandbox.__all__) == documented()
    assert len(documented()) >= 20  # Sandbox, Endpoints, faults, load, timing, errors...


def test_each_exported_name_reports_the_package_as_its_module() -> None:
    for name in pytest_stonks_sandbox.__all__:
        value = getattr(pytest_stonks_sandbox, name)
        if name == "__version__":
            assert isinstance(value, str)
            continue
        assert value.__module__ == "pytest_stonks_sandbox", name


def test_no_public_module_besides_the_root() -> None:
    package = Path(pytest_stonks_sandbox.__file__).parent
    public = sorted(
        path.name
        for path in package.iterdir()
        if not path.name.startswith("_") and (path.suffix == ".py" or path.is_dir())
    )
    assert public == [], f"modules or packages outside the private ones: {public}"


def test_error_classes_share_one_root() -> None:
    errors = [n for n in pytest_stonks_sandbox.__all__ if n.endswith(("Error", "Crashed"))]
    assert len(errors) == 8
    for name in errors:
        assert issubclass(getattr(pytest_stonks_sandbox, name), pytest_stonks_sandbox.SandboxError)
