"""/api/v1/projects/{id}/tasks and /api/v1/tasks/{id}, through the tasks' actions.

A PATCH that sends only `status` (and `version`) is the status change, the same action as
the board's control (one read, one update: the hot path); any other PATCH is the edit, with
the task's current values for what it leaves out.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import String, bindparam, cast, func, literal_column, select

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
from kanvaro.tasks.assignees import assigned, assignee_ids, unassigned
from kanvaro.tasks.forms import NewTask, StatusChange, TaskEdit
from kanvaro.tasks.models import Task, TaskAssignee
from kanvaro.tasks.queries import get_task

LEFT_OUT = ("assignee",)  # the forms' old single assignee: the API says `assignees`
NewTaskBody = body_of(NewTask, "NewTask", leave_out=LEFT_OUT, required=("title",))
TaskPatch = body_of(TaskEdit, "TaskPatch", leave_out=LEFT_OUT)
STATUS_ONLY = frozenset({"status", "version"})
# Each task's assignees come in its own row, as "3,7" (group_concat on SQLite, string_agg on
# PostgreSQL): one statement for a task or a page of them, no second query by ids. Written per
# dialect: SQLAlchemy's aggregate_strings renders its separator anew on every execution.
_AGGREGATE = {"sqlite": func.group_concat(TaskAssignee.user_id),
              "postgresql": func.string_agg(cast(TaskAssignee.user_id, String), literal_column("','"))}
_BASE = (Task.id, Task.number, Task.title, Task.description, Task.story_id, Task.priority,
         Task.story_points, Task.due_date, Task.status, Task.completed_at, Task.comment_count,
         Task.created_at, Task.updated_at, Task.version, Task.project_id)
COLUMNS = {name: (*_BASE, select(agg).where(TaskAssignee.task_id == Task.id)
                  .correlate(Task).scalar_subquery())
           for name, agg in _AGGREGATE.items()}


def shown(row: Any, project_number: int) -> dict[str, Any]:
    """A task row (COLUMNS, in their order) as the API shows it; unpacked by position, which
    costs a tenth of reading a row's attributes by name (a list shows 200)."""
    (id_, number, title, description, story, priority, points, due, status, completed,
     comments, created, updated, version, project, assignees) = row
    return {
        "id": id_, "key": f"{project_number}.{number}", "project": project, "number": number,
        "title": title, "description": description, "story": story,
        "assignees": sorted(map(int, assignees.split(","))) if assignees else [],
        "priority": priority, "story_points": points, "due_date": iso(due), "status": status,
        "completed_at": iso(completed), "comment_count": comments, "created_at": iso(created),
        "updated_at": iso(updated), "version": version,
    }


# A task the caller has read through its loader (or an action has just written), with its
# project's number: one read.
_ONE = {name: select(*columns, Project.number).join(Project, Project.id == Task.project_id)
        .where(Task.id == bindparam("task_id"), Task.organization_id == bindparam("org_id"))
        for name, columns in COLUMNS.items()}


def one(ctx: Ctx, task_id: int) -> dict[str, Any]:
    """The task as the API shows it (the status change's answer: a bench row)."""
    conn = ctx.db.connection()
    *row, project_number = conn.execute(
        _ONE[conn.dialect.name], {"task_id": task_id, "org_id": ctx.org_id}).one()
    return shown(row, project_number)


@cache
def _list_statement(dialect: str, status: bool, priority: bool, assignee: str, story: bool,  # type: ignore[no-untyped-def]
                    q: bool):
    """The list's statement for one combination of filters, built once: each value is a bind
    parameter, so a request executes the very object that was compiled (a statement built
    anew per request costs SQLAlchemy a remap of its result columns, a bench row's 5%)."""
    stmt = select(*COLUMNS[dialect]).where(Task.project_id == bindparam("project_id"),
                                           Task.organization_id == bindparam("org_id"),
                                           Task.id > bindparam("after"))
    if status:
        stmt = stmt.where(Task.status == bindparam("status"))
    if priority:
        stmt = stmt.where(Task.priority == bindparam("priority"))
    if assignee == "none":  # as the HTML list: tasks nobody is assigned
        stmt = stmt.where(unassigned(Task.id))
    elif assignee:
        stmt = stmt.where(assigned(Task.id, bindparam("assignee")))
    if story:
        stmt = stmt.where(Task.story_id == bindparam("story"))
    if q:
        stmt = stmt.where(Task.title.ilike(bindparam("q"), escape="\\"))  # type: ignore[attr-defined]
    return stmt.order_by(Task.id).limit(bindparam("limit"))


def list_tasks(call: Call, project_id: int) -> Answer:
    """A page of the project's tasks, filtered as the project page's list (SPEC §4)."""
    ctx, params = call.ctx, call.params
    project = get_project(ctx, project_id)
    limit, after = paging.window(params)
    values: dict[str, Any] = {"project_id": project.id, "org_id": ctx.org_id, "after": after,
                              "limit": limit + 1}
    values["status"] = paging.choice(params, "status", TASK_STATUSES)
    values["priority"] = paging.choice(params, "priority", PRIORITIES)
    assignee = "none" if params.get("assignee") == "none" else ""
    if not assignee and (who := paging.number(params, "assignee")) is not None:
        assignee, values["assignee"] = "one", who
    values["story"] = paging.number(params, "story")
    if q := paging.text(params, "q", 200):
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        values["q"] = f"%{escaped}%"
    conn = ctx.db.connection()
    stmt = _list_statement(conn.dialect.name, values["status"] is not None, values["priority"] is not None,
                           assignee, values["story"] is not None, bool(q))
    found = conn.execute(stmt, values).all()
    rows = found[:limit]  # the one more says there is a next page
    items = [shown(r, project.number) for r in rows]
    return Answer({"items": items,
                   "next_cursor": paging.encode(rows[-1][0]) if len(found) > limit else None})


def create_task(call: Call, project_id: int) -> Answer:
    task = actions.create_task(call.ctx, project_id, parse(NewTask, call.sent()))
    return Answer(one(call.ctx, task.id), 201, {"Location": call.location("api_task", task_id=task.id)})


def read_task(call: Call, task_id: int) -> Answer:
    return Answer(one(call.ctx, get_task(call.ctx, task_id).id))  # type: ignore[arg-type]


def current_input(ctx: Ctx, task: Task) -> dict[str, Any]:
    """The task as its edit input: a PATCH changes only what it sends."""
    return {"title": task.title, "description": task.description, "story": task.story_id,
            "assignees": assignee_ids(ctx, task.id),  # type: ignore[arg-type]
            "priority": task.priority, "story_points": task.story_points,
            "due_date": task.due_date, "status": task.status}


def update_task(call: Call, task_id: int) -> Answer:
    ctx, sent = call.ctx, call.sent()
    try:
        if "status" in sent and set(sent) <= STATUS_ONLY:
            actions.change_task_status(ctx, task_id, parse(StatusChange, sent))
            return Answer(one(ctx, task_id))
        # Locked: the action's own locked read then sees this same row (one identity).
        task = get_task(ctx, task_id, for_update=True)
        actions.update_task(ctx, task_id, parse(TaskEdit, {**current_input(ctx, task), **sent}))
    except Conflict:
        raise Conflict(one(ctx, get_task(ctx, task_id).id)) from None  # type: ignore[arg-type]
    return Answer(one(ctx, task_id))


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
