"""Saved queries: named, reusable filters of a query-api list endpoint (CRUD)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from stonks_oracle.common import DB, NotFound, Page

from ..sql import READ_ERRORS, WRITE_ERRORS, JsonObject, PartialUpdate, Select, Text, update_sql

router = APIRouter(prefix="/api/saved-queries", tags=["saved-queries"], responses=READ_ERRORS)

Name = Annotated[Text, Field(min_length=1, max_length=200)]
Description = Annotated[Text, Field(max_length=1000)]
# The list endpoint the query runs against, e.g. /api/documents.
Target = Annotated[Text, Field(pattern=r"^/api/[a-z0-9/_\-]+$", max_length=200)]
Author = Annotated[Text, Field(min_length=1, max_length=100)]


class SavedQueryCreate(BaseModel):
    """A new saved query."""

    model_config = ConfigDict(extra="forbid", strict=True)
    name: Name
    target: Target
    parameters: JsonObject = Field(default_factory=dict)
    description: Description | None = None
    created_by: Author = "operator"


class SavedQueryUpdate(PartialUpdate):
    """A partial update of a saved query (only description may be set to null)."""

    NULLABLE = frozenset({"description"})
    name: Name | SkipJsonSchema[None] = None
    target: Target | SkipJsonSchema[None] = None
    parameters: JsonObject | SkipJsonSchema[None] = None
    description: Description | None = None


@router.get("")
async def list_saved_queries(db: DB, page: Page) -> list[dict[str, Any]]:
    """Saved queries ordered by created_at then id."""
    select = Select("SELECT * FROM saved_queries")
    return await db.fetch_all(select.sql("created_at, id", page), *select.args)


@router.post("", status_code=201, responses=WRITE_ERRORS)
async def create_saved_query(body: SavedQueryCreate, db: DB) -> dict[str, Any]:
    """Create a saved query (409 when the name is taken)."""
    row = await db.fetch_one(
        "INSERT INTO saved_queries (name, target, parameters, description, created_by)"
        " VALUES ($1, $2, $3, $4, $5) RETURNING *",
        body.name,
        body.target,
        body.parameters,
        body.description,
        body.created_by,
    )
    assert row is not None
    return row


@router.get("/{query_id}")
async def get_saved_query(query_id: UUID, db: DB) -> dict[str, Any]:
    """One saved query (404 when unknown)."""
    row = await db.fetch_one("SELECT * FROM saved_queries WHERE id = $1", query_id)
    if row is None:
        raise NotFound(f"saved query {query_id} not found")
    return row


@router.patch("/{query_id}", responses=WRITE_ERRORS)
async def update_saved_query(query_id: UUID, body: SavedQueryUpdate, db: DB) -> dict[str, Any]:
    """Change some fields of a saved query (409 when renamed onto a taken name)."""
    values = body.changes()
    if not values:
        return await get_saved_query(query_id, db)
    row = await db.fetch_one(update_sql("saved_queries", values), *values.values(), query_id)
    if row is None:
        raise NotFound(f"saved query {query_id} not found")
    return row


@router.delete("/{query_id}", status_code=204, response_class=Response)
async def delete_saved_query(query_id: UUID, db: DB) -> Response:
    """Delete a saved query."""
    if await db.execute("DELETE FROM saved_queries WHERE id = $1", query_id) == "DELETE 0":
        raise NotFound(f"saved query {query_id} not found")
    return Response(status_code=204)
