"""Documents: filtered list, detail with extraction records, and the stored raw body."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query

from stonks_oracle.common import DB, NotFound, Page, Store

from ..sql import READ_ERRORS, Select, Ticker, as_utc, upper

router = APIRouter(prefix="/api/documents", tags=["documents"], responses=READ_ERRORS)

DocType = Literal["news", "filing", "macro_event"]
SELECT_DOCUMENTS = (
    "SELECT d.*, c.ticker FROM documents d LEFT JOIN companies c ON c.id = d.company_id"
)


async def _document(db: DB, document_id: UUID) -> dict[str, Any]:
    document = await db.fetch_one(f"{SELECT_DOCUMENTS} WHERE d.id = $1", document_id)
    if document is None:
        raise NotFound(f"document {document_id} not found")
    return document


@router.get("")
async def list_documents(
    db: DB,
    page: Page,
    ticker: Ticker = None,
    company_id: UUID | None = None,
    doc_type: DocType | None = None,
    published_from: Annotated[dt.datetime | None, Query(description="inclusive")] = None,
    published_to: Annotated[dt.datetime | None, Query(description="exclusive")] = None,
) -> list[dict[str, Any]]:
    """Documents, newest first, by ticker, company, type and publication range."""
    select = (
        Select(SELECT_DOCUMENTS)
        .where("c.ticker = {}", upper(ticker))
        .where("d.company_id = {}", company_id)
        .where("d.doc_type = {}", doc_type)
        .where("d.published_at >= {}", as_utc(published_from, "published_from"))
        .where("d.published_at < {}", as_utc(published_to, "published_to"))
    )
    return await db.fetch_all(select.sql("d.published_at DESC, d.id", page), *select.args)


@router.get("/{document_id}")
async def get_document(document_id: UUID, db: DB) -> dict[str, Any]:
    """One document with its extraction records (404 when unknown)."""
    document = await _document(db, document_id)
    document["extraction_records"] = await db.fetch_all(
        "SELECT * FROM extraction_records WHERE document_id = $1 ORDER BY extracted_at, id",
        document_id,
    )
    return document


@router.get("/{document_id}/extractions")
async def list_document_extractions(document_id: UUID, db: DB) -> list[dict[str, Any]]:
    """The extraction records of one document (404 when the document is unknown)."""
    await _document(db, document_id)
    return await db.fetch_all(
        "SELECT * FROM extraction_records WHERE document_id = $1 ORDER BY extracted_at, id",
        document_id,
    )


@router.get("/{document_id}/raw")
async def get_document_raw(document_id: UUID, db: DB, store: Store) -> dict[str, Any]:
    """The normalized body from the object store (404 when the document or object is missing)."""
    document = await _document(db, document_id)
    s3_key = document["s3_key"]
    if s3_key is None:
        raise NotFound(f"document {document_id} has no stored body")
    return {
        "id": document["id"],
        "bucket": store.bucket,
        "s3_key": s3_key,
        "content_hash": document["content_hash"],
        "body": await store.get_object_text(s3_key),
    }
