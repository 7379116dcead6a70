"""`{placeholder}` templates of `[tool.stonks-sandbox]` (commands, service env), filled per run.

A placeholder is a name in braces (`{port}`, `{postgres_dsn}`, `{url:query-api}`); `{{` and `}}`
stand for literal braces.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pytest_stonks_sandbox._core.errors import ConfigError

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def render(template: str, values: Mapping[str, str], where: str) -> str:
    """Fill `{placeholder}`s; an unknown one is a configuration error naming it."""

    def fill(match: re.Match[str]) -> str:
        token, name = match.group(0), match.group(1)
        if name is None:
            return token[0]
        if name not in values:
            known = ", ".join("{" + key + "}" for key in sorted(values))
            raise ConfigError(
                where, f"unknown placeholder {{{name}}} in {template!r}.", f"use one of {known}."
            )
        return values[name]

    return _TOKEN.sub(fill, template)


def render_table(table: Mapping[str, str], values: Mapping[str, str], where: str) -> dict[str, str]:
    """Each value of an environment table with its `{placeholder}`s filled."""
    return {key: render(value, values, where) for key, value in table.items()}
