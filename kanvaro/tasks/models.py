"""Tasks."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from kanvaro.columns import when


class Task(SQLModel, table=True):
    __tablename__ = "task"
    __table_args__ = (
        UniqueConstraint("project_id", "number"),
        Index("ix_task_project_status_position", "project_id", "status", "position"),
        # Leads with the tenant (scoped queries, Citus) and serves a project's list by number.
        Index("ix_task_org_project_number", "organization_id", "project_id", "number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id")
    project_id: int = Field(foreign_key="project.id", ondelete="CASCADE")
    number: int
    title: str = Field(max_length=200)
    description: str = Field(default="")
    # The description rendered (kanvaro.markdown) when it was written, not on every view.
    description_html: str = Field(default="", sa_column_kwargs={"server_default": ""})
    story_id: int | None = Field(
        default=None, foreign_key="story.id", index=True, ondelete="SET NULL"
    )
    priority: str = Field(default="medium", max_length=20)
    story_points: int | None = None
    due_date: date | None = None
    status: str = Field(default="todo", max_length=20)
    completed_at: datetime | None = when(nullable=True)
    position: int = Field(default=0)
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = when()
    updated_at: datetime = when()
    version: int = Field(default=1)
    # Kept by the comment actions, so a card shows its count without a query per card.
    comment_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # The due date a `due_soon` notification was made for (once per task and due date).
    due_soon_for: date | None = None


class TaskAssignee(SQLModel, table=True):
    """A task's assignees (SPEC §8: zero or more, all members of its project)."""

    __tablename__ = "task_assignee"
    __table_args__ = (Index("ix_task_assignee_org_user", "organization_id", "user_id"),)

    task_id: int = Field(foreign_key="task.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE")
    organization_id: int = Field(foreign_key="organization.id")
