"""Map concrete request paths to route templates such as ``/api/companies/{company_id}``.

Templates come from a service's OpenAPI ``paths``; a path no template matches is
normalised instead (UUIDs, integers and long hex or mixed ids become ``{id}``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

_UUID = re.compile(r"(?i)[0-9a-f]{8}(?:-?[0-9a-f]{4}){3}-?[0-9a-f]{12}")
_INTEGER = re.compile(r"-?\d+")
_HEX_ID = re.compile(r"(?=[a-fA-F]*\d)[0-9a-fA-F]{8,}")
_TOKEN_ID = re.compile(r"(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_-]{20,}")
_ID_PATTERNS = (_UUID, _INTEGER, _HEX_ID, _TOKEN_ID)


def _strip_query(path: str) -> str:
    return path.split("?", 1)[0].split("#", 1)[0]


def _is_id(segment: str) -> bool:
    return any(pattern.fullmatch(segment) for pattern in _ID_PATTERNS)


def normalise_path(path: str) -> str:
    """Drop the query string and replace id-like segments with ``{id}``.

    >>> normalise_path("/api/orders/42/events?limit=5")
    '/api/orders/{id}/events'
    """
    segments = _strip_query(path).split("/")
    return "/".join("{id}" if _is_id(s) else s for s in segments)


def _is_parameter(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}") and len(segment) > 2


@dataclass
class _Node:
    """A trie node: literal children, one parameter child, and the template ending here."""

    literals: dict[str, _Node] = field(default_factory=dict)
    parameter: _Node | None = None
    template: str | None = None

    def insert(self, segments: list[str], template: str) -> None:
        node = self
        for segment in segments:
            if _is_parameter(segment):
                node.parameter = node.parameter or _Node()
                node = node.parameter
            else:
                node = node.literals.setdefault(segment, _Node())
        node.template = node.template or template

    def find(self, segments: list[str], depth: int = 0) -> str | None:
        """Depth-first search, literal child first; a parameter never matches an empty segment."""
        if depth == len(segments):
            return self.template
        literal = self.literals.get(segments[depth])
        found = literal.find(segments, depth + 1) if literal else None
        if found is None and self.parameter is not None and segments[depth]:
            found = self.parameter.find(segments, depth + 1)
        return found


class RouteTemplates:
    """A set of OpenAPI path templates matched segment by segment.

    Where several templates match, the one with a literal segment earliest wins,
    so ``/api/approvals/pending`` beats ``/api/approvals/{approval_id}``.
    """

    def __init__(self, templates: Iterable[str]) -> None:
        self._root = _Node()
        self.templates: tuple[str, ...] = tuple(sorted(set(templates)))
        for template in self.templates:
            self._root.insert(template.split("/"), template)

    @classmethod
    def from_openapi(cls, doc: Mapping[str, Any]) -> RouteTemplates:
        """Build from an OpenAPI document (its ``paths`` keys; ``servers`` are ignored)."""
        paths = doc.get("paths") or {}
        if not isinstance(paths, Mapping):
            raise ValueError("OpenAPI document has no 'paths' mapping")
        return cls(str(p) for p in paths)

    def match(self, path: str) -> str:
        """The template ``path`` belongs to, or ``normalise_path(path)`` if none matches."""
        bare = _strip_query(path)
        return self._root.find(bare.split("/")) or normalise_path(bare)

    def __len__(self) -> int:
        return len(self.templates)
