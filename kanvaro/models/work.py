"""Projects, their members, stories and tasks."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from kanvaro.models.base import when

TASK_STATUSES: dict[str, str] = {
    "todo": "To Do",
    "in-progress": "In Progress",
    "review": "Review",
    "testing": "Testing",
    "completed": "Completed",
}
PRIORITIES: dict[str, str] = {
    "low": "Low",
    "medium": "Medium",
    "high": "High",
    "critical": "Critical",
}
PROJECT_STATUSES: dict[str, str] = {
    "planning": "Planning",
    "active": "Active",
    "on_hold": "On hold",
    "completed": "Completed",
    "cancelled": "Cancelled",
}
STORY_STATUSES: dict[str, str] = {
    "todo": "To Do",
    "in-progress": "In Progress",
    "completed": "Completed",
}


class Project(SQLModel, table=True):
    __tablename__ = "project"
    __table_args__ = (UniqueConstraint("organization_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    number: int
    name: str = Field(max_length=200)
    description: str = Field(default="")
    status: str = Field(default="planning", max_length=20)
    priority: str = Field(default="medium", max_length=20)
    start_date: date | None = None
    end_date: date | None = None
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    task_seq: int = Field(default=0)
    created_at: datetime = when()
    updated_at: datetime = when()
    version: int = Field(default=1)


class ProjectMember(SQLModel, table=True):
    __tablename__ = "project_member"

    organization_id: int = Field(foreign_key="organization.id", index=True)
    project_id: int = Field(foreign_key="project.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", primary_key=True, index=True, ondelete="CASCADE")


class Story(SQLModel, table=True):
    __tablename__ = "story"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=200)
    description: str = Field(default="")
    status: str = Field(default="todo", max_length=20)
    priority: str = Field(default="medium", max_length=20)
    story_points: int | None = None
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = when()
    updated_at: datetime = when()
    version: int = Field(default=1)


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
    story_id: int | None = Field(
        default=None, foreign_key="story.id", index=True, ondelete="SET NULL"
    )
    assignee_id: int | None = Field(
        default=None, foreign_key="users.id", index=True, ondelete="SET NULL"
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
