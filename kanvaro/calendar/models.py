"""The secret of a person's calendar links: one per person, kept as its SHA-256 only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from kanvaro.columns import when


class CalendarFeedToken(SQLModel, table=True):
    """Remaking it replaces the row, so an old link stops at once; turning it off deletes it."""

    __tablename__ = "calendar_token"
    __table_args__ = (Index("ix_calendar_token_org", "organization_id"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id")
    user_id: int = Field(foreign_key="users.id", unique=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = when()
