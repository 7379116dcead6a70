"""Notifications: filtered history, detail, and create (recorded and delivered on Redis)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Query

from stonks_oracle.common import DB, NotFound, Page, RedisClient, publish_event
from stonks_oracle.common.db import row_to_dict
from stonks_oracle.common.openapi import error_responses as errors

from ..models import Channel, NotificationIn, NotificationOut, NotificationStatus

router = APIRouter(prefix="/api/notifications", tags=["notifications"])


@router.get("", response_model=list[NotificationOut])
async def list_notifications(
    db: DB,
    page: Page,
    status: NotificationStatus | None = None,
    channel: Channel | None = None,
    related_type: str | None = Query(default=None, pattern=r"^[a-z_]{1,50}$"),
    related_id: UUID | None = None,
) -> list[dict[str, Any]]:
    """Notifications, newest first, filtered by status, channel and related entity."""
    return await db.fetch_all(
        """SELECT * FROM notifications
        WHERE ($1::text IS NULL OR status = $1)
          AND ($2::text IS NULL OR channel = $2)
          AND ($3::text IS NULL OR related_type = $3)
          AND ($4::uuid IS NULL OR related_id = $4)
        ORDER BY created_at DESC, id
        LIMIT $5 OFFSET $6""",
        status,
        channel,
        related_type,
        related_id,
        page.limit,
        page.offset,
    )


@router.get("/{notification_id}", response_model=NotificationOut, responses=errors(404))
async def get_notification(notification_id: UUID, db: DB) -> dict[str, Any]:
    """One notification (404 when unknown)."""
    row = await db.fetch_one("SELECT * FROM notifications WHERE id = $1", notification_id)
    if row is None:
        raise NotFound(f"notification {notification_id} not found")
    return row


@router.post("", status_code=201, response_model=NotificationOut, responses=errors(503))
async def create_notification(body: NotificationIn, db: DB, redis: RedisClient) -> dict[str, Any]:
    """Record a notification as delivered once ``stonks.trading.notification_created`` is out.

    With Redis down nothing is recorded (503).
    """
    async with db.transaction() as conn:
        row = await conn.fetchrow(
            """INSERT INTO notifications (channel, recipient, subject, body, status,
                                          related_type, related_id, delivered_at)
            VALUES ($1, $2, $3, $4, 'delivered', $5, $6, now())
            RETURNING *""",
            body.channel,
            body.recipient,
            body.subject,
            body.body,
            body.related_type,
            body.related_id,
        )
        notification = row_to_dict(row)
        await publish_event(redis, "trading", "notification_created", notification)
    return notification
