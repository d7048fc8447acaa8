"""What the API answers: one model per object, a page of them, and problem details.

The handlers build plain dicts (cheaper than models on a 200-row page); these models are the
contract the OpenAPI document publishes and the tests check every answer against.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, Field

from kanvaro.enums import PRIORITIES, PROJECT_STATUSES, STORY_STATUSES, TASK_STATUSES

T = TypeVar("T")
Priority = Literal[tuple(PRIORITIES)]  # type: ignore[valid-type]


class Project(BaseModel):
    id: int
    number: int
    name: str
    description: str
    status: Literal[tuple(PROJECT_STATUSES)]  # type: ignore[valid-type]
    priority: Priority
    start_date: date | None
    end_date: date | None
    members: list[int] = Field(description="User ids of the project's members.")
    created_at: datetime
    updated_at: datetime
    version: int


class Task(BaseModel):
    id: int
    key: str = Field(description='The project number and the task number: "3.14".')
    project: int
    number: int
    title: str
    description: str
    story: int | None
    assignees: list[int] = Field(description="User ids.")
    priority: Priority
    story_points: int | None
    due_date: date | None
    status: Literal[tuple(TASK_STATUSES)]  # type: ignore[valid-type]
    completed_at: datetime | None
    comment_count: int
    created_at: datetime
    updated_at: datetime
    version: int


class Story(BaseModel):
    id: int
    project: int
    title: str
    description: str
    status: Literal[tuple(STORY_STATUSES)]  # type: ignore[valid-type]
    priority: Priority
    story_points: int | None
    created_at: datetime
    updated_at: datetime
    version: int


class Comment(BaseModel):
    id: int
    task: int
    author: int | None
    body: str
    created_at: datetime
    edited_at: datetime | None
    version: int


class User(BaseModel):
    id: int
    name: str
    handle: str
    email: str
    role: str
    is_active: bool


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="Pass as `?cursor=` for the next page; null on the last.")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: dict[str, list[str]] | None = Field(default=None, description="Field -> messages (422).")
    current: dict[str, object] | None = Field(default=None, description="The row as it is now (409).")
    request_id: str | None = None


def iso(value: date | datetime | None) -> str | None:
    """A date or a time as the documents say them: times always with their offset (SQLite
    hands them back naive; everything stored is UTC)."""
    if value is None:
        return None
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.isoformat() + "+00:00"
    return value.isoformat()
