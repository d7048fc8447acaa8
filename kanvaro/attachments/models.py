"""Attachments, and the content they share."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary
from sqlmodel import Field, SQLModel

from kanvaro.columns import when


class Blob(SQLModel, table=True):
    """The bytes of one file, once per organization and SHA-256, however often attached."""

    __tablename__ = "blob"

    organization_id: int = Field(foreign_key="organization.id", primary_key=True)
    sha256: str = Field(max_length=64, primary_key=True)
    size: int
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Attachment(SQLModel, table=True):
    __tablename__ = "attachment"
    __table_args__ = (
        Index("ix_attachment_org_task", "organization_id", "task_id"),
        Index("ix_attachment_org_sha", "organization_id", "sha256"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id")
    task_id: int = Field(foreign_key="task.id", ondelete="CASCADE")
    uploader_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    filename: str = Field(max_length=255)
    size: int
    content_type: str = Field(max_length=100)
    sha256: str = Field(max_length=64)
    created_at: datetime = when()
