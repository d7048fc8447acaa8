"""Tasks: create, edit, change status (the hot path), delete."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, exists, func, select, update

from kanvaro import audit
from kanvaro.context import Ctx
from kanvaro.errors import Conflict, Invalid, NotFound
from kanvaro.forms.tasks import StatusForm, TaskForm
from kanvaro.loaders import (
    get_project,
    get_task,
    project_people,
    project_stories,
)
from kanvaro.models import Project, ProjectMember, Task
from kanvaro.permissions import require

FIELDS = ("title", "description", "story_id", "assignee_id", "priority", "story_points",
          "due_date", "status")


def task_form(ctx: Ctx, project_id: int, formdata: Any = None, **kwargs: Any) -> TaskForm:
    stories = [(s.id, s.title) for s in project_stories(ctx, project_id) if s.id is not None]
    return TaskForm(formdata, stories=stories, people=project_people(ctx, project_id), **kwargs)


def _values(form: TaskForm) -> dict[str, Any]:
    return {
        "title": form.title.data,
        "description": form.description.data or "",
        "story_id": form.story.data,
        "assignee_id": form.assignee.data,
        "priority": form.priority.data,
        "story_points": form.story_points.data,
        "due_date": form.due_date.data,
    }


def completed_at_for(status: str, before: str | None, current: datetime | None, now: datetime) -> datetime | None:
    """Set on entering `completed`, cleared on leaving it, kept while it stays."""
    if status != "completed":
        return None
    return current if before == "completed" and current is not None else now


def create_task(ctx: Ctx, project_id: int, data: Mapping[str, Any] | Any) -> Task:
    project = get_project(ctx, project_id)
    require(ctx.user, "task:create")
    form = task_form(ctx, project_id, data)
    if not form.validate():
        raise Invalid(form)
    values = _values(form)
    if values["assignee_id"] is not None:
        require(ctx.user, "task:assign")
    number = ctx.db.execute(
        update(Project).where(Project.id == project.id)
        .values(task_seq=Project.task_seq + 1)
        .returning(Project.task_seq)
    ).scalar_one()
    task = Task(organization_id=ctx.org_id, project_id=project.id, number=number,
                status="todo", position=number, created_by_id=ctx.user.id,
                created_at=ctx.now, updated_at=ctx.now, **values)
    ctx.db.add(task)
    ctx.db.flush()
    changes = {k: [None, v] for k, v in values.items() if v not in (None, "")}
    changes["number"] = [None, f"{project.number}.{number}"]
    audit.record(ctx, "task.created", "task", task.id, changes)
    return task


def update_task(ctx: Ctx, task_id: int, data: Mapping[str, Any] | Any) -> Task:
    task = get_task(ctx, task_id, for_update=True)
    require(ctx.user, "task:update")
    form = task_form(ctx, task.project_id, data)
    if not form.validate():
        raise Invalid(form)
    expected = data.get("version") if hasattr(data, "get") else None
    if expected is not None and str(expected) != str(task.version):
        raise Conflict(task, form)
    before = {k: getattr(task, k) for k in FIELDS}
    after = _values(form) | {"status": form.status.data}
    if after["assignee_id"] != before["assignee_id"]:
        require(ctx.user, "task:assign")
    changes = audit.diff(before, after)
    if not changes:
        return task
    for key, value in after.items():
        setattr(task, key, value)
    task.completed_at = completed_at_for(task.status, before["status"], task.completed_at, ctx.now)
    task.version += 1
    task.updated_at = ctx.now
    ctx.db.flush()
    audit.record(ctx, "task.updated", "task", task.id, changes)
    return task


def delete_task(ctx: Ctx, task_id: int) -> int:
    """Delete the task; returns its project id."""
    task = get_task(ctx, task_id)
    require(ctx.user, "task:delete")
    project_id, title = task.project_id, task.title
    ctx.db.delete(task)
    ctx.db.flush()
    audit.record(ctx, "task.deleted", "task", task_id, {"title": [title, None]})
    return project_id


@dataclass(frozen=True)
class StatusState:
    """What the status control shows: enough to render it without loading the task again."""

    id: int
    project_id: int
    label: str
    status: str
    version: int


def _status_query(view_all: bool):  # type: ignore[no-untyped-def]
    stmt = (
        select(Task.id, Task.project_id, Project.number, Task.number, Task.status, Task.version)
        .join(Project, Project.id == Task.project_id)
        .where(Task.id == bindparam("task_id"), Task.organization_id == bindparam("org_id"))
    )
    if not view_all:
        stmt = stmt.where(exists().where(ProjectMember.project_id == Task.project_id,
                                         ProjectMember.user_id == bindparam("user_id")))
    return stmt


# The hot path's statements, built once (the same rule as loaders.visible_tasks_clause).
_STATUS = {view_all: _status_query(view_all) for view_all in (True, False)}
_STATUS_LOCKED = {k: v.with_for_update(of=Task) for k, v in _STATUS.items()}
_SET_STATUS = (
    update(Task).where(Task.id == bindparam("task_id"))
    .values(status=bindparam("status"), version=Task.version + 1,
            updated_at=bindparam("now"), completed_at=bindparam("completed_at"))
    .returning(Task.version)
)
_COUNTS = (
    select(Task.status, func.count()).where(Task.project_id == bindparam("project_id"))
    .group_by(Task.status)
)


def status_state(ctx: Ctx, task_id: int, *, for_update: bool = False) -> StatusState:
    actor = ctx.user
    stmt = (_STATUS_LOCKED if for_update else _STATUS)[actor.can("project:view_all")]
    row = ctx.db.connection().execute(
        stmt, {"task_id": task_id, "org_id": actor.organization_id, "user_id": actor.id}
    ).first()
    if row is None:
        raise NotFound("task")
    return StatusState(row[0], row[1], f"{row[2]}.{row[3]}", row[4], row[5])


def change_task_status(ctx: Ctx, task_id: int, data: Mapping[str, Any] | Any) -> StatusState:
    """The hottest path: one read, one update, the audit entry; Core statements only."""
    # Locked (PostgreSQL): two concurrent changes must not both read the same "before",
    # or both pass the same version check.
    state = status_state(ctx, task_id, for_update=True)
    require(ctx.user, "task:change_status")
    form = StatusForm(data)
    if not form.validate():
        raise Invalid(form)
    expected = data.get("version") if hasattr(data, "get") else None
    if expected and expected != str(state.version):
        raise Conflict(state, form)
    new = form.status.data
    if new == state.status:
        return state
    version = ctx.db.connection().execute(_SET_STATUS, {
        "task_id": state.id, "status": new, "now": ctx.now,
        "completed_at": ctx.now if new == "completed" else None,
    }).scalar_one()
    audit.record(ctx, "task.status_changed", "task", state.id, {"status": [state.status, new]})
    return StatusState(state.id, state.project_id, state.label, new, version)


def column_counts(ctx: Ctx, project_id: int) -> dict[str, int]:
    """Tasks per status; project_id must come from a scoped loader (it is not re-checked,
    so the count is answered from the (project, status, position) index alone)."""
    rows = ctx.db.connection().execute(_COUNTS, {"project_id": project_id})
    return {status: count for status, count in rows}
