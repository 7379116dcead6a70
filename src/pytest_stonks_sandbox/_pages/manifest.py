"""The page manifest: which frontend pages exist, the API calls each makes, its key fields.

A TOML file the project declares as `pages = "..."` in `[tool.stonks-sandbox]`:

    service = "frontend"              # optional: the service that serves the pages
    gateway = "/gateway/{service}"    # optional: the same-origin prefix of API calls
    timeout_s = 15                    # optional: how long a page may take to settle

    [pages.companies]
    path = "/companies"               # {NAME}: an UPPER_CASE constant of the seed_ids module
    calls = ["query-api GET /api/companies"]
    fields = [{ selector = "[data-field='ticker']", text = "TSLA" }]
    allow = ["color-contrast"]        # optional: axe rules allowed to be serious/critical here
    detail_of = "companies"           # optional: a detail view linked from that page

Parsing is pure: errors name the file and the entry, and are usage errors for pytest.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_stonks_sandbox._core.errors import ConfigError

TOP_KEYS = frozenset({"service", "gateway", "timeout_s", "pages"})
PAGE_KEYS = frozenset({"path", "calls", "fields", "allow", "detail_of"})
FIELD_KEYS = frozenset({"selector", "text"})
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
PLACEHOLDER = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")
DEFAULT_TIMEOUT_S = 15.0


class ManifestError(ConfigError):
    """The page manifest is wrong; the message names the file and the entry."""

    phase = "page manifest"


@dataclass(frozen=True)
class Call:
    """One API call a page must make: service, method and route template."""

    service: str
    method: str
    route: str

    def __str__(self) -> str:
        return f"{self.service} {self.method} {self.route}"


@dataclass(frozen=True)
class KeyField:
    """A key field: a CSS selector that must match, and optionally one element's exact text."""

    selector: str
    text: str | None = None

    def __str__(self) -> str:
        return self.selector if self.text is None else f"{self.selector} = {self.text!r}"


@dataclass(frozen=True)
class PageSpec:
    """One page of the manifest, placeholders filled."""

    name: str
    path: str
    calls: tuple[Call, ...]
    fields: tuple[KeyField, ...]
    allow: frozenset[str] = frozenset()
    detail_of: str | None = None


@dataclass(frozen=True)
class Manifest:
    """Every page, and how to reach and time them."""

    source: Path
    service: str
    gateway: str
    timeout_s: float
    pages: tuple[PageSpec, ...]

    def page(self, name: str) -> PageSpec:
        for spec in self.pages:
            if spec.name == name:
                return spec
        raise KeyError(name)


def load_manifest(path: Path, values: Mapping[str, str], services: frozenset[str]) -> Manifest:
    """Read and check the manifest; `values` fill `{NAME}`; `services` are the known services."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ManifestError(str(path), f"cannot be read ({exc}).", _HINT) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(str(path), f"is not valid TOML ({exc}).", "correct the file.") from exc
    return parse_manifest(document, path, values, services)


_HINT = "see the page manifest format in docs/frontend-pages.md."


def parse_manifest(
    document: Mapping[str, Any],
    source: Path,
    values: Mapping[str, str],
    services: frozenset[str],
) -> Manifest:
    """Check a parsed manifest document and build the Manifest."""
    where = str(source)
    _no_unknown(document, TOP_KEYS, where)
    service = _string(document.get("service", "frontend"), "service", where)
    if services and service not in services:
        raise ManifestError(
            where,
            f"names service {service!r}, which [tool.stonks-sandbox.services] does not declare.",
            f"declare it, or set service = one of {', '.join(sorted(services))}.",
        )
    gateway = _string(document.get("gateway", "/gateway/{service}"), "gateway", where)
    if "{service}" not in gateway or not gateway.startswith("/"):
        raise ManifestError(
            where, f"gateway {gateway!r} needs {{service}}.", 'gateway = "/gw/{service}"'
        )
    timeout = document.get("timeout_s", DEFAULT_TIMEOUT_S)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        raise ManifestError(
            where, "timeout_s must be a positive number of seconds.", "timeout_s = 15"
        )
    table = document.get("pages")
    if not isinstance(table, dict) or not table:
        raise ManifestError(where, "declares no pages.", "add [pages.<name>] tables.")
    pages = tuple(
        _page(name, entry, f"{where} [pages.{name}]", values, services)
        for name, entry in table.items()
    )
    _unique_paths(pages, where)
    names = {spec.name for spec in pages}
    for spec in pages:
        if spec.detail_of is not None and spec.detail_of not in names:
            raise ManifestError(
                f"{where} [pages.{spec.name}]",
                f"is a detail of {spec.detail_of!r}, which is not a page of the manifest.",
                f"use one of {', '.join(sorted(names))}.",
            )
    return Manifest(source, service, gateway, float(timeout), pages)


def _page(
    name: str,
    entry: Any,
    where: str,
    values: Mapping[str, str],
    services: frozenset[str],
) -> PageSpec:
    if not isinstance(entry, dict):
        raise ManifestError(where, "must be a table.", 'path = "/", calls = [...], fields = [...]')
    _no_unknown(entry, PAGE_KEYS, where)
    path = _fill(_string(entry.get("path"), "path", where), values, where)
    if not path.startswith("/"):
        raise ManifestError(where, f"path {path!r} must start with '/'.", 'path = "/companies"')
    calls = entry.get("calls")
    if not isinstance(calls, list) or not calls:
        raise ManifestError(
            where,
            "has no calls: every page must declare the API calls it makes.",
            'calls = ["query-api GET /api/companies"]',
        )
    fields = entry.get("fields")
    if not isinstance(fields, list) or not fields:
        raise ManifestError(where, "has no key fields.", 'fields = [{ selector = "h1" }]')
    allow = entry.get("allow", [])
    if not isinstance(allow, list) or not all(isinstance(rule, str) for rule in allow):
        raise ManifestError(where, "allow must be a list of axe rule ids.", 'allow = ["region"]')
    detail_of = entry.get("detail_of")
    if detail_of is not None and not isinstance(detail_of, str):
        raise ManifestError(where, "detail_of must be a page name.", 'detail_of = "documents"')
    return PageSpec(
        name=name,
        path=path,
        calls=tuple(_call(text, where, services) for text in calls),
        fields=tuple(_field(item, where, values) for item in fields),
        allow=frozenset(allow),
        detail_of=detail_of,
    )


def _call(text: Any, where: str, services: frozenset[str]) -> Call:
    parts = text.split() if isinstance(text, str) else []
    if len(parts) != 3 or parts[1].upper() not in METHODS or not parts[2].startswith("/"):
        raise ManifestError(
            where,
            f"call {text!r} is not 'service METHOD /route'.",
            '"query-api GET /api/companies"',
        )
    service, method, route = parts
    if services and service not in services:
        raise ManifestError(
            where,
            f"call {text!r} names an unknown service {service!r}.",
            f"use one of {', '.join(sorted(services))}.",
        )
    return Call(service, method.upper(), route)


def _field(item: Any, where: str, values: Mapping[str, str]) -> KeyField:
    if not isinstance(item, dict):
        raise ManifestError(where, f"field {item!r} must be a table.", '{ selector = "h1" }')
    _no_unknown(item, FIELD_KEYS, f"{where} field")
    selector = _string(item.get("selector"), "field selector", where)
    text = item.get("text")
    if text is not None:
        text = _fill(_string(text, "field text", where), values, where)
    return KeyField(selector, text)


def _fill(text: str, values: Mapping[str, str], where: str) -> str:
    unknown = sorted({name for name in PLACEHOLDER.findall(text) if name not in values})
    if unknown:
        raise ManifestError(
            where,
            f"uses unknown placeholders {', '.join('{' + n + '}' for n in unknown)}.",
            "use UPPER_CASE constants of the seed_ids module.",
        )
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def _string(value: Any, key: str, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ManifestError(where, f"{key} must be a non-empty string.", f'{key} = "..."')
    return value


def _no_unknown(table: Mapping[str, Any], known: frozenset[str], where: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise ManifestError(
            where,
            f"has unknown keys: {', '.join(unknown)}.",
            f"the keys are {', '.join(sorted(known))}.",
        )


def _unique_paths(pages: tuple[PageSpec, ...], where: str) -> None:
    seen: dict[str, str] = {}
    for spec in pages:
        if spec.path in seen:
            raise ManifestError(
                f"{where} [pages.{spec.name}]",
                f"has the same path {spec.path!r} as [pages.{seen[spec.path]}].",
                "give each page its own path.",
            )
        seen[spec.path] = spec.name
