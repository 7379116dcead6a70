"""Small helpers shared by the query-api routers: filtered SQL, query-parameter types, errors."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Self

from fastapi import Query
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, model_validator

from stonks_oracle.common import Pagination
from stonks_oracle.common.openapi import error_responses

TICKER_PATTERN = r"^[A-Za-z][A-Za-z0-9.\-]{0,9}$"
Ticker = Annotated[
    str | None, Query(pattern=TICKER_PATTERN, description="company ticker, e.g. AAPL")
]


READ_ERRORS = error_responses(401, 404, 503)
WRITE_ERRORS = error_responses(400, 401, 404, 409, 503)


def _has_nul(value: Any) -> bool:
    """Whether any string (key or value) in a JSON document holds a NUL (iterative: any depth)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str) and "\x00" in item:
            return True
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def _json_storable(value: dict[str, Any]) -> dict[str, Any]:
    if _has_nul(value):
        raise ValueError("JSON must not contain NUL characters")
    return value


# Text and JSON that PostgreSQL can store (it rejects NUL characters with an encoding error).
Text = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$")]
JsonObject = Annotated[dict[str, Any], AfterValidator(_json_storable)]


class PartialUpdate(BaseModel):
    """A PATCH body: only the fields given change; null is accepted only for NULLABLE fields.

    Declare non-nullable fields as ``X | SkipJsonSchema[None] = None`` so that the schema
    says what the service accepts.
    """

    model_config = ConfigDict(extra="forbid", strict=True)
    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _reject_nulls(self) -> Self:
        nulls = sorted(
            name
            for name in self.model_fields_set
            if getattr(self, name) is None and name not in self.NULLABLE
        )
        if nulls:
            raise ValueError(f"must not be null: {', '.join(nulls)}")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields the body sets, by column name."""
        return self.model_dump(exclude_unset=True)


def as_utc(value: dt.datetime | None, name: str) -> dt.datetime | None:
    """A query datetime as an aware UTC datetime (naive means UTC); 422 when out of range."""
    if value is None:
        return None
    try:
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)
    except (OverflowError, ValueError) as exc:
        error = {"type": "value_error", "loc": ("query", name), "msg": "out of range"}
        raise RequestValidationError([error]) from exc


class Select:
    """A SELECT assembled from optional filters, each bound as a positional parameter."""

    def __init__(self, base: str) -> None:
        self._base = base
        self._clauses: list[str] = []
        self.args: list[Any] = []

    def bind(self, value: Any) -> str:
        """Add a parameter and return its placeholder (``$n``)."""
        self.args.append(value)
        return f"${len(self.args)}"

    def where(self, clause: str, value: Any) -> Select:
        """Add ``clause`` (with ``{}`` for the placeholder) unless ``value`` is None."""
        if value is not None:
            self._clauses.append(clause.format(self.bind(value)))
        return self

    def raw(self, clause: str) -> Select:
        """Add a clause whose placeholders were made with ``bind``."""
        self._clauses.append(clause)
        return self

    def sql(self, order_by: str, page: Pagination | None = None) -> str:
        """The full statement with WHERE, ORDER BY and (if paged) LIMIT / OFFSET."""
        text = self._base
        if self._clauses:
            text += " WHERE " + " AND ".join(self._clauses)
        text += f" ORDER BY {order_by}"
        if page is not None:
            limit = self.bind(page.limit)
            offset = self.bind(page.offset)
            text += f" LIMIT {limit} OFFSET {offset}"
        return text


def upper(ticker: str | None) -> str | None:
    """Tickers are stored upper-case."""
    return None if ticker is None else ticker.upper()


def update_sql(table: str, values: dict[str, Any], *, touch: bool = True) -> str:
    """``UPDATE table SET col = $n ... WHERE id = $last RETURNING *`` (columns from a model)."""
    sets = [f"{column} = ${n}" for n, column in enumerate(values, start=1)]
    if touch:
        sets.append("updated_at = now()")
    return f"UPDATE {table} SET {', '.join(sets)} WHERE id = ${len(values) + 1} RETURNING *"
