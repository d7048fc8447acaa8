"""Comments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from kanvaro.columns import when


class Comment(SQLModel, table=True):
    __tablename__ = "comment"
    __table_args__ = (Index("ix_comment_org_task", "organization_id", "task_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id")
    task_id: int = Field(foreign_key="task.id", ondelete="CASCADE")
    author_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    body: str = Field(max_length=10000)
    # The body rendered (kanvaro.markdown) when it was written, not on every view.
    body_html: str = Field(default="")
    created_at: datetime = when()
    edited_at: datetime | None = when(nullable=True)
    version: int = Field(default=1)
