"""Documents: the raw body of a document from the object store (example of Store use)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter

from stonks_oracle.common import DB, NotFound, Store

router = APIRouter(prefix="/api/documents", tags=["documents"])


@router.get("/{document_id}/raw")
async def get_document_raw(document_id: UUID, db: DB, store: Store) -> dict[str, Any]:
    """The stored body of a document (404 when the document or its body is missing)."""
    s3_key = await db.fetch_value("SELECT s3_key FROM documents WHERE id = $1", document_id)
    if s3_key is None:
        raise NotFound(f"no stored body for document {document_id}")
    return {"id": str(document_id), "s3_key": s3_key, "body": await store.get_object_text(s3_key)}
