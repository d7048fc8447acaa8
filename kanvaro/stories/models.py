"""Stories: the larger pieces of work a project's tasks belong to."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from kanvaro.columns import when


class Story(SQLModel, table=True):
    __tablename__ = "story"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=200)
    description: str = Field(default="")
    description_html: str = Field(default="", sa_column_kwargs={"server_default": ""})
    status: str = Field(default="todo", max_length=20)
    priority: str = Field(default="medium", max_length=20)
    story_points: int | None = None
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = when()
    updated_at: datetime = when()
    version: int = Field(default=1)
