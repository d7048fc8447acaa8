"""My tasks (SPEC §8, `GET /my/tasks`): the tasks assigned to me across the projects I can
see, grouped by due date, each with its status control; and whether I have any open, which
makes /my/tasks the page a login lands on (docs/tasks.md, "My tasks").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import nulls_last, or_, select

from kanvaro.accounts.models import User
from kanvaro.context import Ctx
from kanvaro.permissions import role_permissions
from kanvaro.projects.models import Project
from kanvaro.projects.queries import visibility_rule
from kanvaro.tasks.models import Task, TaskAssignee
from kanvaro.tasks.queries import PRIORITY_ORDER, visible_tasks_clause

LIMIT = 500  # tasks shown, by due date; beyond them the page says so
RECENT = timedelta(days=14)  # completed tasks stay listed (folded, last) this long
GROUPS = {"overdue": "Overdue", "today": "Due today", "week": "This week", "later": "Later",
          "none": "No due date", "done": "Completed in the last 14 days"}


class Mine(NamedTuple):
    id: int
    number: int
    title: str
    status: str
    priority: str
    due_date: date | None
    completed_at: datetime | None
    project_id: int
    project_number: int
    project_name: str

    @property
    def label(self) -> str:
        return f"{self.project_number}.{self.number}"


@dataclass(frozen=True)
class Group:
    key: str
    title: str
    tasks: list[Mine]


@dataclass(frozen=True)
class MyTasks:
    groups: list[Group]  # every group, in order, empty ones too
    capped: bool  # more tasks than LIMIT: the first LIMIT by due date are shown

    @property
    def open_count(self) -> int:
        return sum(len(g.tasks) for g in self.groups if g.key != "done")


def group_of(task: Mine, today: date) -> str:
    """Which group a task falls in; "this week" is the seven days after today."""
    if task.status == "completed":
        return "done"
    if task.due_date is None:
        return "none"
    days = (task.due_date - today).days
    return "overdue" if days < 0 else "today" if days == 0 else "week" if days <= 7 else "later"


def my_tasks(ctx: Ctx) -> MyTasks:
    """The actor's assigned tasks, open ones by due date (then priority), completed ones of
    the last RECENT newest first: one statement."""
    rows = ctx.db.execute(
        select(Task.id, Task.number, Task.title, Task.status, Task.priority, Task.due_date,
               Task.completed_at, Project.id, Project.number, Project.name)
        .join(TaskAssignee, (TaskAssignee.task_id == Task.id)
              & (TaskAssignee.user_id == ctx.user.id))
        .join(Project, Project.id == Task.project_id)
        .where(TaskAssignee.organization_id == ctx.org_id, visible_tasks_clause(ctx),
               or_(Task.status != "completed", Task.completed_at >= ctx.now - RECENT))  # type: ignore[operator]
        .order_by(nulls_last(Task.due_date.asc()), PRIORITY_ORDER, Project.number,  # type: ignore[union-attr]
                  Task.number)
        .limit(LIMIT + 1)
    ).all()
    today = ctx.now.date()
    found: dict[str, list[Mine]] = {key: [] for key in GROUPS}
    for row in rows[:LIMIT]:
        task = Mine(*row)
        found[group_of(task, today)].append(task)
    found["done"].sort(key=lambda t: t.completed_at or datetime.min, reverse=True)
    return MyTasks([Group(key, title, found[key]) for key, title in GROUPS.items()],
                   len(rows) > LIMIT)


def has_open_tasks(ctx: Ctx, user: User) -> bool:
    """Whether `user` (just logged in, so not ctx's actor yet) has an open task assigned in a
    project they may see."""
    from kanvaro.team.models import CustomRole  # late: the team area builds on no other

    perms: Any = role_permissions(user.role)
    if user.custom_role_id is not None and "project:view_all" not in perms:
        perms = perms | set(ctx.db.scalar(select(CustomRole.permissions).where(
            CustomRole.id == user.custom_role_id)) or ())
    found = ctx.db.scalar(
        select(TaskAssignee.task_id).join(Task, Task.id == TaskAssignee.task_id)
        .where(TaskAssignee.organization_id == user.organization_id,
               TaskAssignee.user_id == user.id, Task.status != "completed",
               visibility_rule(Task.organization_id, Task.project_id,
                               view_all="project:view_all" in perms,
                               org_id=user.organization_id, user_id=user.id))
        .limit(1))
    return found is not None
