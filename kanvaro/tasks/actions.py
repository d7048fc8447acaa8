"""Tasks: create, edit, change status (the hot path), delete."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, update

from kanvaro import audit, events
from kanvaro.columns import apply_edit
from kanvaro.context import Ctx
from kanvaro.errors import Invalid, expect_version
from kanvaro.forms import values_of
from kanvaro.permissions import require
from kanvaro.projects.models import Project
from kanvaro.projects.queries import get_project, project_people
from kanvaro.stories.queries import project_stories
from kanvaro.tasks.forms import StatusForm, TaskForm
from kanvaro.tasks.models import Task
from kanvaro.tasks.queries import StatusState, get_task, status_state

FIELDS = ("title", "description", "story_id", "assignee_id", "priority", "story_points",
          "due_date", "status")


def task_form(ctx: Ctx, project_id: int, formdata: Any = None, **kwargs: Any) -> TaskForm:
    stories = [(s.id, s.title) for s in project_stories(ctx, project_id) if s.id is not None]
    return TaskForm(formdata, stories=stories, people=project_people(ctx, project_id), **kwargs)


def edit_task_form(ctx: Ctx, task_id: int) -> TaskForm:
    """The task's edit form, filled in, for those who may edit it."""
    task = get_task(ctx, task_id)
    require(ctx.user, "task:update")
    data = {"title": task.title, "description": task.description, "story": task.story_id,
            "assignee": task.assignee_id, "priority": task.priority,
            "story_points": task.story_points, "due_date": task.due_date, "status": task.status,
            "version": str(task.version)}
    return task_form(ctx, task.project_id, None, data=data)


def _values(form: TaskForm) -> dict[str, Any]:
    return values_of(form, "title", "description", "priority", "story_points", "due_date",
                     story_id="story", assignee_id="assignee")


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
    ctx.emit(events.TaskCreated(task.id, changes, project_id=task.project_id))
    return task


def update_task(ctx: Ctx, task_id: int, data: Mapping[str, Any] | Any) -> Task:
    task = get_task(ctx, task_id, for_update=True)
    require(ctx.user, "task:update")
    form = task_form(ctx, task.project_id, data)
    if not form.validate():
        raise Invalid(form)
    expect_version(data, task.version, task, form)
    before = {k: getattr(task, k) for k in FIELDS}
    after = _values(form) | {"status": form.status.data}
    if after["assignee_id"] != before["assignee_id"]:
        require(ctx.user, "task:assign")
    changes = audit.diff(before, after)
    if not changes:
        return task
    apply_edit(task, after, ctx.now)
    task.completed_at = completed_at_for(task.status, before["status"], task.completed_at, ctx.now)
    ctx.db.flush()
    ctx.emit(events.TaskUpdated(task.id, changes, project_id=task.project_id))
    return task


def delete_task(ctx: Ctx, task_id: int) -> int:
    """Delete the task; returns its project id."""
    task = get_task(ctx, task_id)
    require(ctx.user, "task:delete")
    project_id, title = task.project_id, task.title
    ctx.db.delete(task)
    ctx.db.flush()
    ctx.emit(events.TaskDeleted(task_id, {"title": [title, None]}, project_id=project_id))
    return project_id


_SET_STATUS = (
    update(Task).where(Task.id == bindparam("task_id"))
    .values(status=bindparam("status"), version=Task.version + 1,
            updated_at=bindparam("now"), completed_at=bindparam("completed_at"))
    .returning(Task.version)
)


def change_task_status(ctx: Ctx, task_id: int, data: Mapping[str, Any] | Any) -> StatusState:
    """The hottest path: one read, one update, the audit entry; Core statements only."""
    # Locked (PostgreSQL): two concurrent changes must not both read the same "before",
    # or both pass the same version check.
    state = status_state(ctx, task_id, for_update=True)
    require(ctx.user, "task:change_status")
    form = StatusForm(data)
    if not form.validate():
        raise Invalid(form)
    expect_version(data, state.version, state, form)
    new = form.status.data
    if new == state.status:
        return state
    version = ctx.db.connection().execute(_SET_STATUS, {
        "task_id": state.id, "status": new, "now": ctx.now,
        "completed_at": ctx.now if new == "completed" else None,
    }).scalar_one()
    ctx.emit(events.TaskStatusChanged.of(state.id, state.project_id, state.status, new))
    return StatusState(state.id, state.project_id, state.label, new, version)
