"""`{placeholder}` templates of `[tool.stonks-sandbox]` (commands, service env), filled per run."""

from __future__ import annotations

from collections.abc import Mapping

from pytest_stonks_sandbox._core.errors import ConfigError


def render(template: str, values: Mapping[str, str], where: str) -> str:
    """Fill `{placeholder}`s; an unknown one is a configuration error naming it."""
    try:
        return template.format_map(values)
    except (KeyError, ValueError) as exc:
        known = ", ".join("{" + key + "}" for key in sorted(values))
        raise ConfigError(
            where, f"unknown placeholder {exc} in {template!r}.", f"use one of {known}."
        ) from exc


def render_table(table: Mapping[str, str], values: Mapping[str, str], where: str) -> dict[str, str]:
    """Each value of an environment table with its `{placeholder}`s filled."""
    return {key: render(value, values, where) for key, value in table.items()}
