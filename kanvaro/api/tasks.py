"""/api/v1/projects/{id}/tasks and /api/v1/tasks/{id}, through the tasks' actions.

A PATCH that sends only `status` (and `version`) is the status change, the same action as
the board's control (one read, one update: the hot path); any other PATCH is the edit, with
the task's current values for what it leaves out.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select

from kanvaro.api import paging, schemas
from kanvaro.api.bodies import body_of
from kanvaro.api.endpoint import Answer, Call, Operation, Query
from kanvaro.api.schemas import iso
from kanvaro.context import Ctx
from kanvaro.enums import PRIORITIES, TASK_STATUSES
from kanvaro.errors import Conflict
from kanvaro.inputs import parse
from kanvaro.projects.models import Project
from kanvaro.projects.queries import get_project
from kanvaro.tasks import actions
from kanvaro.tasks.assignees import assignee_condition, assignees_of
from kanvaro.tasks.forms import NewTask, StatusChange, TaskEdit
from kanvaro.tasks.models import Task
from kanvaro.tasks.queries import get_task

LEFT_OUT = ("assignee",)  # the forms' old single assignee: the API says `assignees`
NewTaskBody = body_of(NewTask, "NewTask", leave_out=LEFT_OUT, required=("title",))
TaskPatch = body_of(TaskEdit, "TaskPatch", leave_out=LEFT_OUT)
STATUS_ONLY = frozenset({"status", "version"})
COLUMNS = (Task.id, Task.number, Task.title, Task.description, Task.story_id, Task.priority,
           Task.story_points, Task.due_date, Task.status, Task.completed_at, Task.comment_count,
           Task.created_at, Task.updated_at, Task.version, Task.project_id)


_NAMES = tuple(c.key for c in COLUMNS)


def shown(row: Any, project_number: int, assignees: list[int]) -> dict[str, Any]:
    """A task row (COLUMNS, in their order) as the API shows it; unpacked by position, which
    costs a tenth of reading a row's attributes by name (a list shows 200)."""
    (id_, number, title, description, story, priority, points, due, status, completed,
     comments, created, updated, version, project) = row
    return {
        "id": id_, "key": f"{project_number}.{number}", "project": project, "number": number,
        "title": title, "description": description, "story": story, "assignees": assignees,
        "priority": priority, "story_points": points, "due_date": iso(due), "status": status,
        "completed_at": iso(completed), "comment_count": comments, "created_at": iso(created),
        "updated_at": iso(updated), "version": version,
    }


def _ids(people: Any) -> list[int]:
    return sorted(uid for uid, _ in people)


def one(ctx: Ctx, task: Task) -> dict[str, Any]:
    number = ctx.db.scalar(select(Project.number).where(Project.id == task.project_id))
    row = tuple(getattr(task, name) for name in _NAMES)
    return shown(row, number or 0, _ids(assignees_of(ctx, [task.id]).get(task.id, ())))  # type: ignore[list-item]


# A task the action has just read through its loader, with its project's number: one read.
_AFTER = (select(*COLUMNS, Project.number).join(Project, Project.id == Task.project_id)
          .where(Task.id == bindparam("task_id"), Task.organization_id == bindparam("org_id")))


def after_change(ctx: Ctx, task_id: int) -> dict[str, Any]:
    """The task as an action left it (the status change's answer: a bench row)."""
    *row, project_number = ctx.db.connection().execute(
        _AFTER, {"task_id": task_id, "org_id": ctx.org_id}).one()
    return shown(row, project_number, _ids(assignees_of(ctx, [task_id]).get(task_id, ())))


_LIST = (select(*COLUMNS).where(Task.project_id == bindparam("project_id"),
                                Task.organization_id == bindparam("org_id"),
                                Task.id > bindparam("after")))


def list_tasks(call: Call, project_id: int) -> Answer:
    """A page of the project's tasks, filtered as the project page's list (SPEC §4)."""
    ctx, params = call.ctx, call.params
    project = get_project(ctx, project_id)
    limit, after = paging.window(params)
    stmt = _LIST
    if status := paging.choice(params, "status", TASK_STATUSES):
        stmt = stmt.where(Task.status == status)
    if priority := paging.choice(params, "priority", PRIORITIES):
        stmt = stmt.where(Task.priority == priority)
    if params.get("assignee") == "none":  # as the HTML list: tasks nobody is assigned
        stmt = stmt.where(assignee_condition(Task.id, "none"))
    elif (who := paging.number(params, "assignee")) is not None:
        stmt = stmt.where(assignee_condition(Task.id, str(who)))
    if (story := paging.number(params, "story")) is not None:
        stmt = stmt.where(Task.story_id == story)
    if q := paging.text(params, "q", 200):
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Task.title.ilike(f"%{escaped}%", escape="\\"))  # type: ignore[attr-defined]
    rows = ctx.db.connection().execute(
        stmt.order_by(Task.id).limit(limit + 1),
        {"project_id": project.id, "org_id": ctx.org_id, "after": after}).all()
    people = assignees_of(ctx, [r.id for r in rows[:limit]])
    items = [shown(r, project.number, _ids(people.get(r.id, ()))) for r in rows]
    return Answer(paging.page(items, limit))


def create_task(call: Call, project_id: int) -> Answer:
    task = actions.create_task(call.ctx, project_id, parse(NewTask, call.sent()))
    return Answer(one(call.ctx, task), 201, {"Location": call.location("api_task", task_id=task.id)})


def read_task(call: Call, task_id: int) -> Answer:
    return Answer(one(call.ctx, get_task(call.ctx, task_id)))


def current_input(ctx: Ctx, task: Task) -> dict[str, Any]:
    """The task as its edit input: a PATCH changes only what it sends."""
    return {"title": task.title, "description": task.description, "story": task.story_id,
            "assignees": _ids(assignees_of(ctx, [task.id]).get(task.id, ())),  # type: ignore[list-item]
            "priority": task.priority, "story_points": task.story_points,
            "due_date": task.due_date, "status": task.status}


def update_task(call: Call, task_id: int) -> Answer:
    ctx, sent = call.ctx, call.sent()
    try:
        if "status" in sent and set(sent) <= STATUS_ONLY:
            actions.change_task_status(ctx, task_id, parse(StatusChange, sent))
            return Answer(after_change(ctx, task_id))
        # Locked: the action's own locked read then sees this same row (one identity).
        task = get_task(ctx, task_id, for_update=True)
        task = actions.update_task(ctx, task_id, parse(TaskEdit, {**current_input(ctx, task), **sent}))
    except Conflict:
        raise Conflict(one(ctx, get_task(ctx, task_id))) from None
    return Answer(one(ctx, task))


def delete_task(call: Call, task_id: int) -> Answer:
    actions.delete_task(call.ctx, task_id)
    return Answer(None, 204)


LIST_QUERY = (
    *paging.QUERY,
    Query("status", {"type": "string", "enum": list(TASK_STATUSES)}),
    Query("priority", {"type": "string", "enum": list(PRIORITIES)}),
    Query("assignee", {"anyOf": [{"type": "integer", "minimum": 1}, {"const": "none"}]},
          "Tasks with this user among their assignees; `none`: tasks nobody is assigned."),
    Query("story", {"type": "integer", "minimum": 1}),
    Query("q", {"type": "string", "maxLength": 200}, "Title contains."),
)
OPERATIONS = (
    Operation("GET", "/projects/{project_id:id}/tasks", list_tasks, "List a project's tasks",
              schemas.Page[schemas.Task], query=LIST_QUERY, tag="tasks", name="api_tasks"),
    Operation("POST", "/projects/{project_id:id}/tasks", create_task, "Create a task",
              schemas.Task, body=NewTaskBody, status=201, tag="tasks", name="api_task_create"),
    Operation("GET", "/tasks/{task_id:id}", read_task, "Read a task", schemas.Task,
              tag="tasks", name="api_task"),
    Operation("PATCH", "/tasks/{task_id:id}", update_task,
              "Change a task (sending only status and version is the status change)", schemas.Task,
              body=TaskPatch, tag="tasks", name="api_task_update"),
    Operation("DELETE", "/tasks/{task_id:id}", delete_task, "Delete a task", None, status=204,
              tag="tasks", name="api_task_delete"),
)
