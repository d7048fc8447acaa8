"""What the CSV export reads: every task the project's list shows with the same filters."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from kanvaro.accounts.models import User
from kanvaro.context import Ctx
from kanvaro.permissions import require
from kanvaro.projects.models import Project
from kanvaro.projects.queries import get_project, project_people
from kanvaro.stories.queries import project_stories
from kanvaro.tasks.models import Task, TaskAssignee
from kanvaro.tasks.queries import matching_tasks

# The columns of a row, in the file's order after "key" (docs/export.md).
SELECTED = (Task.number, Task.title, Task.status, Task.priority, Task.story_id, Task.id,
            Task.story_points, Task.due_date, Task.created_at, Task.updated_at, Task.description)


@dataclass(frozen=True)
class Export:
    project: Project
    rows: list[Any]  # plain rows of SELECTED, in the list's order
    assignees: dict[int, list[str]]  # task id -> its assignees' emails, sorted
    stories: dict[int, str]  # story id -> title

    @property
    def filename(self) -> str:
        return f"{slug(self.project.name) or f'project-{self.project.number}'}-tasks.csv"


def slug(name: str) -> str:
    """An ASCII file name part: "Café Website!" -> "cafe-website"."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60].strip("-")


def _assignee_emails(ctx: Ctx, project_id: int) -> dict[int, list[str]]:
    """Every assignment of the project's tasks in one statement (no id list, however many)."""
    found: dict[int, list[str]] = {}
    for task_id, email in ctx.db.connection().execute(
        select(TaskAssignee.task_id, User.email)
        .join(User, User.id == TaskAssignee.user_id)
        .join(Task, Task.id == TaskAssignee.task_id)
        .where(Task.project_id == project_id, TaskAssignee.organization_id == ctx.org_id)
    ):
        found.setdefault(task_id, []).append(email)
    return {task_id: sorted(emails) for task_id, emails in found.items()}


def task_export(ctx: Ctx, project_id: int, params: Any) -> Export:
    """The project (NotFound unless the actor sees it) and its tasks as the list filters them."""
    project = get_project(ctx, project_id)
    require(ctx.user, "project:read")
    assert project.id is not None
    stories = project_stories(ctx, project.id)
    people = project_people(ctx, project.id)
    rows = matching_tasks(ctx, project, params, people, stories, SELECTED)
    return Export(project, rows, _assignee_emails(ctx, project.id),
                  {s.id: s.title for s in stories if s.id is not None})
