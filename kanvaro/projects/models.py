"""Projects and their members."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from kanvaro.columns import when


class Project(SQLModel, table=True):
    __tablename__ = "project"
    __table_args__ = (UniqueConstraint("organization_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    number: int
    name: str = Field(max_length=200)
    description: str = Field(default="")
    description_html: str = Field(default="", sa_column_kwargs={"server_default": ""})
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
