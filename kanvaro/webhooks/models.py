"""An organization's webhooks, and the outbox of their deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel

from kanvaro.columns import when


class Webhook(SQLModel, table=True):
    """`secret` is kept as given: it signs every delivery, so it cannot be a hash
    (docs/webhooks.md)."""

    __tablename__ = "webhook"
    __table_args__ = (Index("ix_webhook_org_active", "organization_id", "active"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id")
    url: str = Field(max_length=2000)
    events: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    secret: str = Field(max_length=200)
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = when()
    active: bool = Field(default=True)


class WebhookDelivery(SQLModel, table=True):
    """One event for one hook: `payload` is the event's document; the body sent is it with
    `id` = `uuid` in front (a redelivery copies the payload under a new uuid)."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        # The sender's scan for due rows.
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        # A hook's page: its last 50.
        Index("ix_webhook_delivery_hook", "webhook_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id")
    webhook_id: int = Field(foreign_key="webhook.id", ondelete="CASCADE")
    event: str = Field(max_length=64)
    uuid: str = Field(max_length=36, unique=True)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = when()
    claimed_until: datetime | None = when(nullable=True)
    response_code: int | None = None
    last_error: str = Field(default="", max_length=1000)
    created_at: datetime = when()
    delivered_at: datetime | None = when(nullable=True)
