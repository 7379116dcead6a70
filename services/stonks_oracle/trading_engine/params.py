"""Query parameters shared by several routes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query
from fastapi.exceptions import RequestValidationError


@dataclass(frozen=True, slots=True)
class DateRange:
    """Inclusive UTC date bounds; None is open."""

    start_date: dt.date | None
    end_date: dt.date | None


def date_range(
    start_date: Annotated[dt.date | None, Query(description="on or after (UTC date)")] = None,
    end_date: Annotated[dt.date | None, Query(description="on or before (UTC date)")] = None,
) -> DateRange:
    """``start_date``/``end_date``; 422 when the end is before the start."""
    if start_date is not None and end_date is not None and end_date < start_date:
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("query", "end_date"),
                    "msg": "end_date must not be before start_date",
                    "input": end_date.isoformat(),
                }
            ]
        )
    return DateRange(start_date, end_date)


Dates = Annotated[DateRange, Depends(date_range)]
