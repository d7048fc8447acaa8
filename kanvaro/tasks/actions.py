"""Tasks: create, edit, change status (the hot path), move (ranks), delete."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update

from kanvaro import audit, events
from kanvaro.columns import apply_edit
from kanvaro.context import Ctx
from kanvaro.errors import expect_version
from kanvaro.inputs import Parsed
from kanvaro.markdown import render
from kanvaro.permissions import require
from kanvaro.projects.models import Project
from kanvaro.projects.queries import get_project, project_people
from kanvaro.stories.queries import project_stories
from kanvaro.tasks.assignees import People, assignee_ids, assignees_of, set_assignees
from kanvaro.tasks.batch import once as _once
from kanvaro.tasks.forms import Move, NewTask, StatusChange, TaskEdit, TaskForm
from kanvaro.tasks.models import Task
from kanvaro.tasks.queries import GAP, StatusState, get_task, status_state

FIELDS = ("title", "description", "story_id", "priority", "story_points", "due_date", "status")
NOT_A_CHOICE = "Not a valid choice."
_MENTION_LINK = re.compile(r'href="/team#member-(\d+)"')


def task_form(ctx: Ctx, project_id: int, formdata: Any = None, *, keep: People = (),
              **kwargs: Any) -> TaskForm:
    """The task form; `keep`: a task's assignees, offered even when no longer members."""
    stories = [(s.id, s.title) for s in project_stories(ctx, project_id) if s.id is not None]
    people = project_people(ctx, project_id)
    known = {uid for uid, _ in people}
    people += [(uid, f"{name} (not a member)") for uid, name in keep if uid not in known]
    return TaskForm(formdata, stories=stories, people=people, **kwargs)


def edit_task_form(ctx: Ctx, task_id: int) -> TaskForm:
    """The task's edit form, filled in, for those who may edit it."""
    task = get_task(ctx, task_id)
    require(ctx.user, "task:update")
    assert task.id is not None
    keep = assignees_of(ctx, [task.id]).get(task.id, ())
    data = {"title": task.title, "description": task.description, "story": task.story_id,
            "assignees": [uid for uid, _ in keep], "priority": task.priority,
            "story_points": task.story_points, "due_date": task.due_date, "status": task.status,
            "version": str(task.version)}
    return task_form(ctx, task.project_id, None, keep=keep, data=data)


def _values(value: NewTask) -> dict[str, Any]:
    """The input by column."""
    return {"title": value.title, "description": value.description, "story_id": value.story,
            "priority": value.priority, "story_points": value.story_points,
            "due_date": value.due_date}


def chosen(data: dict[str, Any]) -> list[int]:
    """The assignees sent, sorted: `assignees`, and the old single `assignee` as one more."""
    ids = {int(uid) for uid in data.get("assignees") or ()}
    if data.get("assignee") is not None:
        ids.add(int(data["assignee"]))
    return sorted(ids)


def _choices(ctx: Ctx, project_id: int) -> tuple[set[int], set[int]]:
    """The ids of the project's people and of its stories."""
    return _once(ctx, f"task_choices:{project_id}", lambda: (
        {uid for uid, _ in project_people(ctx, project_id)},
        {s.id for s in project_stories(ctx, project_id)}))


def _valid(ctx: Ctx, project_id: int, sent: Parsed[Any], before: Iterable[int] = ()) -> Any:
    """The input, its story one of the project's and each assignee it adds one of its people
    (one who stays assigned may have left the project meanwhile)."""
    story = sent.data.get("story")
    people, stories = _choices(ctx, project_id)
    people = people | set(before)
    return sent.valid(
        story=NOT_A_CHOICE if story is not None and story not in stories else None,
        # The old single `assignee` is one of them: its error is theirs too.
        assignees=NOT_A_CHOICE if any(uid not in people for uid in chosen(sent.data)) else None,
    )


def _rendered(ctx: Ctx, text: str, project_id: int, was: str = "") -> tuple[str, frozenset[int]]:
    """The description's HTML, and who it newly mentions: not linked in `was`, the HTML it
    replaces (an edit notifies only those it adds)."""
    rendered = render(ctx, text, project_id=project_id)
    linked = {int(uid) for uid in _MENTION_LINK.findall(was)}
    return rendered.html, frozenset(rendered.mentioned - linked)


def completed_at_for(status: str, before: str | None, current: datetime | None, now: datetime) -> datetime | None:
    """Set on entering `completed`, cleared on leaving it, kept while it stays."""
    if status != "completed":
        return None
    return current if before == "completed" and current is not None else now


_NEXT_NUMBER = (update(Project).where(Project.id == bindparam("project_id"))
                .values(task_seq=Project.task_seq + 1).returning(Project.task_seq))
_LAST_POSITION = select(func.max(Task.position)).where(
    Task.project_id == bindparam("project_id"), Task.status == bindparam("status"))


def create_task(ctx: Ctx, project_id: int, sent: Parsed[NewTask]) -> Task:
    project = _once(ctx, f"project:{project_id}", lambda: get_project(ctx, project_id))
    require(ctx.user, "task:create")
    if chosen(sent.data):
        require(ctx.user, "task:assign")
    value: NewTask = _valid(ctx, project_id, sent)
    values = _values(value)
    people = chosen(vars(value))
    assert project.id is not None
    html, mentioned = _rendered(ctx, value.description, project.id)
    conn = ctx.db.connection()  # Core: no ORM bookkeeping for two small statements
    number = conn.execute(_NEXT_NUMBER, {"project_id": project.id}).scalar_one()
    status = value.status
    last = conn.execute(_LAST_POSITION, {"project_id": project.id, "status": status}).scalar()
    task = Task(organization_id=ctx.org_id, project_id=project.id, number=number,
                status=status, position=(last or 0) + GAP, created_by_id=ctx.user.id,
                completed_at=ctx.now if status == "completed" else None,
                created_at=ctx.now, updated_at=ctx.now, description_html=html, **values)
    ctx.db.add(task)
    ctx.db.flush()
    set_assignees(ctx, task, [], people)
    changes = {k: [None, v] for k, v in values.items() if v not in (None, "")}
    if people:
        changes["assignees"] = [None, people]
    if status != "todo":
        changes["status"] = [None, status]
    changes["number"] = [None, f"{project.number}.{number}"]
    ctx.emit(events.TaskCreated(task.id, changes, project_id=task.project_id, mentioned=mentioned))
    return task


def update_task(ctx: Ctx, task_id: int, sent: Parsed[TaskEdit]) -> Task:
    task = get_task(ctx, task_id, for_update=True)
    require(ctx.user, "task:update")
    assert task.id is not None
    was = assignee_ids(ctx, task.id)
    if chosen(sent.data) != was:
        require(ctx.user, "task:assign")
    value: TaskEdit = _valid(ctx, task.project_id, sent, was)
    expect_version(value.version, task.version, task)
    before = {k: getattr(task, k) for k in FIELDS}
    after = _values(value) | {"status": value.status}
    people = chosen(vars(value))
    changes = audit.diff(before, after)
    if people != was:
        changes["assignees"] = [was, people]
    if not changes:
        return task
    mentioned: frozenset[int] = frozenset()
    if "description" in changes:
        after["description_html"], mentioned = _rendered(ctx, value.description, task.project_id,
                                                         task.description_html)
    apply_edit(task, after, ctx.now)
    task.completed_at = completed_at_for(task.status, before["status"], task.completed_at, ctx.now)
    set_assignees(ctx, task, was, people)
    ctx.db.flush()
    ctx.emit(events.TaskUpdated(task.id, changes, project_id=task.project_id, mentioned=mentioned))
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


def change_task_status(ctx: Ctx, task_id: int, sent: Parsed[StatusChange]) -> StatusState:
    """The hottest path: one read, one update, the audit entry; Core statements only."""
    # Locked (PostgreSQL): two concurrent changes must not both read the same "before",
    # or both pass the same version check.
    state = status_state(ctx, task_id, for_update=True)
    require(ctx.user, "task:change_status")
    value = sent.valid()
    expect_version(value.version, state.version, state)
    new = value.status
    if new == state.status:
        return state
    version = ctx.db.connection().execute(_SET_STATUS, {
        "task_id": state.id, "status": new, "now": ctx.now,
        "completed_at": ctx.now if new == "completed" else None,
    }).scalar_one()
    ctx.emit(events.TaskStatusChanged.of(state.id, state.project_id, state.status, new))
    return StatusState(state.id, state.project_id, state.label, new, version)


# -- ranks (SPEC §10) -------------------------------------------------------------------
# `POST /tasks/{id}/move` up, down, to the top or bottom of its group, or before another task
# of the group. One rank (`position`) orders the board's columns and the backlog; ranks leave
# gaps, so a move writes one row, and only when a gap has closed is the group renumbered, once.

WHERE = ("up", "down", "top", "bottom")


def _group(ctx: Ctx, task: Task, view: str) -> list[tuple[int, int]]:
    """(id, position) of the task's group, in rank order: its board column, or for the
    backlog the project's open tasks (sprints will narrow it to the task's sprint)."""
    stmt = select(Task.id, Task.position).where(Task.project_id == task.project_id,
                                                Task.organization_id == ctx.org_id)
    if view == "board":
        stmt = stmt.where(Task.status == task.status)
    else:
        stmt = stmt.where(Task.status != "completed")
    rows = ctx.db.execute(stmt.order_by(Task.position, Task.number).with_for_update())
    return [(r[0], r[1]) for r in rows]


def _renumber(ctx: Ctx, order: list[int]) -> dict[int, int]:
    ranks = {tid: (i + 1) * GAP for i, tid in enumerate(order)}
    ctx.db.connection().execute(
        update(Task).where(Task.id == bindparam("tid")).values(position=bindparam("rank")),
        [{"tid": tid, "rank": rank} for tid, rank in ranks.items()],
    )
    return ranks


def _target_index(value: Move, order: list[int], task_id: int) -> int | str:
    """Where the task goes in the group without it: an index, or an error message."""
    here = order.index(task_id)
    rest = [t for t in order if t != task_id]
    if value.before is not None:
        if value.before == task_id or value.before not in rest:
            return "Choose a task of the same group."
        return rest.index(value.before)
    return {"top": 0, "bottom": len(rest), "up": max(here - 1, 0),
            "down": min(here + 1, len(rest))}[value.to]


def move_task(ctx: Ctx, task_id: int, sent: Parsed[Move]) -> Task:
    """Give the task a new rank in its group; a move to where it already is changes nothing."""
    task = get_task(ctx, task_id, for_update=True)
    require(ctx.user, "task:change_status")
    to, before = sent.data.get("to"), sent.data.get("before")
    value = sent.valid(
        to="Choose up, down, top or bottom." if before is None and to not in WHERE else None,
        view=None if sent.data.get("view") in ("board", "backlog") else "Choose board or backlog.")
    group = _group(ctx, task, value.view)
    order = [tid for tid, _ in group]
    if task.id not in order:  # a completed task in the backlog view: not in that group
        order.append(task.id)  # type: ignore[arg-type]
    target = _target_index(value, order, task.id)  # type: ignore[arg-type]
    if isinstance(target, str):
        sent.valid(before=target)
    assert isinstance(target, int)
    rest = [t for t in order if t != task.id]
    if rest[:target] + [task.id] + rest[target:] == order:  # type: ignore[operator]
        return task
    ranks = dict(group)
    above = ranks[rest[target - 1]] if target > 0 else None
    below = ranks[rest[target]] if target < len(rest) else None
    if above is not None and below is not None and below - above < 2:
        ranks = _renumber(ctx, rest[:target] + [task.id] + rest[target:])  # type: ignore[operator]
        new = ranks[task.id]  # type: ignore[index]
    elif above is None and below is None:
        new = task.position
    else:
        new = (below - GAP if above is None else above + GAP if below is None  # type: ignore[operator]
               else (above + below) // 2)
    before_rank = task.position
    # Not a new version: a rank is not what an open edit form holds, so it must not turn
    # someone's save into a conflict.
    task.position = new
    ctx.db.flush()
    ctx.emit(events.TaskMoved(task.id, {"position": [before_rank, new]}, project_id=task.project_id))
    return task
