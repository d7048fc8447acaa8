"""A task's assignees (SPEC §8): zero or more people of its project, rows of task_assignee.

Read for many tasks at once (a board's cards, a page of the list) in one statement, never
one per task; written as the difference between the set before and the set after.
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import itemgetter
from typing import Any, TypeVar

from sqlalchemy import bindparam, delete, exists, insert, select

from kanvaro.accounts.models import User
from kanvaro.context import Ctx
from kanvaro.tasks.models import Task, TaskAssignee

People = tuple[tuple[int, str], ...]  # (user id, name) of each assignee, by name

_OF = (
    select(TaskAssignee.task_id, User.id, User.name)
    .join(User, User.id == TaskAssignee.user_id)
    # `+ 0`: the tenant is checked, but not through its index. Written plainly, SQLite walked
    # the (organization, user) index, every assignment of the organization, not the tasks' keys.
    .where(TaskAssignee.task_id.in_(bindparam("ids", expanding=True)),  # type: ignore[attr-defined]
           TaskAssignee.organization_id + 0 == bindparam("org_id"))
)


def assignees_of(ctx: Ctx, task_ids: Iterable[int]) -> dict[int, People]:
    """task id -> its assignees by name, for tasks the caller got from a scoped query; one
    statement whatever their number."""
    ids = sorted({int(t) for t in task_ids})
    if not ids:
        return {}
    rows = ctx.db.connection().execute(_OF, {"ids": ids, "org_id": ctx.org_id}).all()
    rows.sort(key=itemgetter(0, 2, 1))  # by task, then name: cheaper here than an ORDER BY
    found: dict[int, list[tuple[int, str]]] = {}
    for task_id, user_id, name in rows:
        found.setdefault(task_id, []).append((user_id, name))
    return {task_id: tuple(people) for task_id, people in found.items()}


R = TypeVar("R", bound=tuple)  # type: ignore[type-arg]


def with_assignees(ctx: Ctx, rows: list[Any], shape: type[R]) -> list[R]:
    """Each row (its first column the task id) as `shape`, its assignees as the last field."""
    people = assignees_of(ctx, (row[0] for row in rows))
    return [shape(*row, people.get(row[0], ())) for row in rows]  # type: ignore[call-arg]


def assignee_ids(ctx: Ctx, task_id: int) -> list[int]:
    """The task's assignees' ids, sorted (as the audit records them)."""
    return sorted(ctx.db.scalars(select(TaskAssignee.user_id).where(
        TaskAssignee.task_id == task_id, TaskAssignee.organization_id == ctx.org_id)))


def set_assignees(ctx: Ctx, task: Task, before: list[int], after: list[int]) -> None:
    """Make the task's assignees `after` (they were `before`)."""
    gone, new = set(before) - set(after), set(after) - set(before)
    if gone:
        ctx.db.execute(delete(TaskAssignee).where(
            TaskAssignee.task_id == task.id, TaskAssignee.user_id.in_(gone)))  # type: ignore[attr-defined]
    if new:
        ctx.db.execute(insert(TaskAssignee), [
            {"task_id": task.id, "user_id": uid, "organization_id": task.organization_id}
            for uid in sorted(new)])


def assigned(task_id: Any, who: Any) -> Any:
    """SQL condition: the task has `who` (a user id, or a bind parameter) among its assignees."""
    return exists().where(TaskAssignee.task_id == task_id, TaskAssignee.user_id == who)


def unassigned(task_id: Any) -> Any:
    return ~exists().where(TaskAssignee.task_id == task_id)


def assignee_condition(task_id: Any, value: str) -> Any:
    """The `?assignee=` filter (a user id, or "none"): any of the task's assignees matches."""
    return unassigned(task_id) if value == "none" else assigned(task_id, int(value))
