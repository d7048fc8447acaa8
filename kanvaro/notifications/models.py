"""Who watches a task, and what each person is told."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from kanvaro.columns import when

KINDS: dict[str, str] = {
    "assigned": "Assigned to me",
    "mentioned": "Mentioned",
    "commented": "Comments on tasks I watch",
    "status_changed": "Status changes of tasks I watch",
    "due_soon": "Due tomorrow",
}


class TaskWatcher(SQLModel, table=True):
    __tablename__ = "task_watcher"
    __table_args__ = (Index("ix_task_watcher_org_user", "organization_id", "user_id"),)

    task_id: int = Field(foreign_key="task.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE")
    organization_id: int = Field(foreign_key="organization.id")


class Notification(SQLModel, table=True):
    __tablename__ = "notification"
    __table_args__ = (
        # The header's unread count on every page: one index range.
        Index("ix_notification_user_unread", "user_id", "read_at"),
        Index("ix_notification_org_user_id", "organization_id", "user_id", "id"),
        # The digest sender's scan: unread and not yet mailed.
        Index("ix_notification_mailed", "mailed_at", "read_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id")
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    kind: str = Field(max_length=20)
    task_id: int = Field(foreign_key="task.id", ondelete="CASCADE")
    actor_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = when()
    read_at: datetime | None = when(nullable=True)
    mailed_at: datetime | None = when(nullable=True)
