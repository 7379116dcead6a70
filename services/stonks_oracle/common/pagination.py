"""limit/offset pagination shared by every list endpoint (lists are plain JSON arrays)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_OFFSET = 2**31 - 1  # beyond any table here; larger values would overflow PostgreSQL's OFFSET


@dataclass(frozen=True, slots=True)
class Pagination:
    """Validated paging window: use as ``LIMIT $n OFFSET $m`` with ``limit`` and ``offset``."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0


def pagination(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="rows to skip")] = 0,
) -> Pagination:
    """Query parameters ``limit`` (1..500, default 50) and ``offset`` (0..MAX_OFFSET); else 422."""
    return Pagination(limit=limit, offset=offset)


Page = Annotated[Pagination, Depends(pagination)]
