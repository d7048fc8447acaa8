"""What the calendar pages and feeds read: whether one has links, and the dated tasks a feed
shows, always through the one visibility rule of the person the link belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import select

from kanvaro.calendar.models import CalendarFeedToken
from kanvaro.columns import aware
from kanvaro.context import Ctx
from kanvaro.permissions import require
from kanvaro.projects.models import Project
from kanvaro.projects.queries import get_project, visible_projects_clause
from kanvaro.tasks.models import Task, TaskAssignee
from kanvaro.tasks.queries import visible_tasks_clause

# A feed is re-read by calendar apps every few hours: one statement, no ORM objects.
_COLUMNS = (Task.id, Project.number, Task.number, Task.title, Task.status, Task.due_date,
            Task.updated_at, Project.name)


class Dated(NamedTuple):
    """A task with a due date, as a feed shows it."""

    id: int
    project_number: int
    number: int
    title: str
    status: str
    due_date: date
    updated_at: datetime
    project_name: str

    @property
    def label(self) -> str:
        return f"{self.project_number}.{self.number}"


@dataclass(frozen=True)
class ProjectFeed:
    project: Project
    tasks: list[Dated]


def token_made_at(ctx: Ctx) -> datetime | None:
    """When the actor's calendar links were made, or None when they have none."""
    return aware(ctx.db.scalar(select(CalendarFeedToken.created_at).where(
        CalendarFeedToken.user_id == ctx.user.id,
        CalendarFeedToken.organization_id == ctx.org_id)))


def feed_projects(ctx: Ctx) -> list[tuple[int, int, str]]:
    """(id, number, name) of each project the actor sees: one link each."""
    require(ctx.user, "project:read")
    rows = ctx.db.connection().execute(
        select(Project.id, Project.number, Project.name).where(visible_projects_clause(ctx))
        .order_by(Project.number.desc()))  # type: ignore[attr-defined]
    return [(r[0], r[1], r[2]) for r in rows]


def _dated(rows: Any) -> list[Dated]:
    return [Dated(*row[:6], aware(row[6]), row[7]) for row in rows]  # type: ignore[arg-type]


def my_dated_tasks(ctx: Ctx) -> list[Dated]:
    """The actor's assigned tasks with a due date, in the projects they may see now."""
    require(ctx.user, "project:read")
    return _dated(ctx.db.connection().execute(
        select(*_COLUMNS)
        .join(TaskAssignee, (TaskAssignee.task_id == Task.id) & (TaskAssignee.user_id == ctx.user.id))
        .join(Project, Project.id == Task.project_id)
        .where(TaskAssignee.organization_id == ctx.org_id, visible_tasks_clause(ctx),
               Task.due_date.is_not(None))  # type: ignore[union-attr]
        .order_by(Task.due_date, Project.number, Task.number)))


def project_dated_tasks(ctx: Ctx, project_id: int) -> ProjectFeed:
    """A project the actor may see now (NotFound otherwise), and its tasks with a due date."""
    project = get_project(ctx, project_id)
    require(ctx.user, "project:read")
    rows = ctx.db.connection().execute(
        select(*_COLUMNS).join(Project, Project.id == Task.project_id)
        .where(Task.project_id == project.id, Task.organization_id == ctx.org_id,
               Task.due_date.is_not(None))  # type: ignore[union-attr]
        .order_by(Task.due_date, Task.number))
    return ProjectFeed(project, _dated(rows))
