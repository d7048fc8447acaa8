"""Column helpers shared by every table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime
from sqlmodel import Field


def utcnow() -> datetime:
    return datetime.now(UTC)


def when(*, nullable: bool = False, index: bool = False) -> Any:
    """A timezone-aware timestamp column."""
    column = Column(DateTime(timezone=True), nullable=nullable, index=index)
    if nullable:
        return Field(default=None, sa_column=column)
    return Field(default_factory=utcnow, sa_column=column)


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def apply_edit(row: Any, after: dict[str, Any], now: datetime) -> None:
    """Set an edit's values on a versioned row (SPEC §2: every change bumps its version)."""
    for key, value in after.items():
        setattr(row, key, value)
    row.version += 1
    row.updated_at = now
