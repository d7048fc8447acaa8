"""The read side of tasks: the loader, the status control's state, the task page, the list
(the board: tasks.board; my tasks: tasks.mine)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import bindparam, case, func, nulls_last, select

from kanvaro.context import Ctx
from kanvaro.enums import PRIORITIES, TASK_STATUSES
from kanvaro.errors import NotFound
from kanvaro.projects.models import Project
from kanvaro.projects.queries import visibility_rule, visible
from kanvaro.stories.models import Story
from kanvaro.tasks.assignees import People, assignee_condition, assignees_of, with_assignees
from kanvaro.tasks.board import pick_assignee
from kanvaro.tasks.models import Task

PAGE_SIZE = 50
COUNT_CAP = 2000
GAP = 1024  # between two ranks (`position`): new tasks go GAP below their column's last
# What a row of a project's task list shows (tasks.controls.task_rows).
LIST_COLUMNS = (Task.id, Task.number, Task.title, Task.status, Task.priority, Task.due_date,
                Task.story_points, Task.comment_count)
PRIORITY_ORDER = case({"critical": 0, "high": 1, "medium": 2, "low": 3}, value=Task.priority, else_=4)


def visible_tasks_clause(ctx: Ctx):  # type: ignore[no-untyped-def]
    return visible(ctx, Task.organization_id, Task.project_id)


def get_task(ctx: Ctx, task_id: int, *, for_update: bool = False) -> Task:
    """The task, if the actor may see its project; NotFound otherwise."""
    stmt = select(Task).where(Task.id == task_id, visible_tasks_clause(ctx))
    task = ctx.db.scalar(stmt.with_for_update(of=Task) if for_update else stmt)
    if task is None:
        raise NotFound("task")
    return task


# -- the status control (the hot path) --------------------------------------------------

@dataclass(frozen=True)
class StatusState:
    """What the status control shows: enough to render it without loading the task again."""

    id: int
    project_id: int
    label: str
    status: str
    version: int


def _status_query(view_all: bool):  # type: ignore[no-untyped-def]
    return (
        select(Task.id, Task.project_id, Project.number, Task.number, Task.status, Task.version)
        .join(Project, Project.id == Task.project_id)
        .where(Task.id == bindparam("task_id"),
               visibility_rule(Task.organization_id, Task.project_id, view_all=view_all,
                               org_id=bindparam("org_id"), user_id=bindparam("user_id")))
    )


# Built once per kind of actor, from the same visibility rule as every loader.
_STATUS = {view_all: _status_query(view_all) for view_all in (True, False)}
_STATUS_LOCKED = {k: v.with_for_update(of=Task) for k, v in _STATUS.items()}


def status_state(ctx: Ctx, task_id: int, *, for_update: bool = False) -> StatusState:
    """The loader of the hot path: a task's status control, or NotFound."""
    actor = ctx.user
    stmt = (_STATUS_LOCKED if for_update else _STATUS)[actor.can("project:view_all")]
    row = ctx.db.connection().execute(
        stmt, {"task_id": task_id, "org_id": actor.organization_id, "user_id": actor.id}
    ).first()
    if row is None:
        raise NotFound("task")
    return StatusState(row[0], row[1], f"{row[2]}.{row[3]}", row[4], row[5])


# -- the task page ----------------------------------------------------------------------

@dataclass(frozen=True)
class TaskPage:
    task: Task
    project: Project
    assignees: People
    story: Story | None
    label: str


def task_page(ctx: Ctx, task_id: int, *, for_edit: bool = False) -> TaskPage:
    """A task with its project, assignees and story, each read within the organization."""
    from kanvaro.permissions import require

    task = get_task(ctx, task_id)
    if for_edit:
        require(ctx.user, "task:update")
    project = ctx.db.scalar(select(Project).where(Project.id == task.project_id,
                                                  Project.organization_id == ctx.org_id))
    assert project is not None  # the loader saw the task through its project
    story = None
    if task.story_id is not None:
        story = ctx.db.scalar(select(Story).where(Story.id == task.story_id,
                                                  Story.organization_id == ctx.org_id))
    assert task.id is not None
    return TaskPage(task, project, assignees_of(ctx, [task.id]).get(task.id, ()), story,
                    f"{project.number}.{task.number}")


# -- a project's task list ----------------------------------------------------------------

def _page(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 100_000))
    except ValueError:
        return 1


def task_filters(params: Any, people: list[tuple[int, str]], stories: list[Story]) -> dict[str, str]:
    """The list's filters, each kept only when it names something that exists."""
    f = {k: (params.get(k) or "").strip() for k in ("q", "status", "assignee", "priority", "story", "sort")}
    f["q"] = f["q"][:200]
    if f["status"] not in TASK_STATUSES:
        f["status"] = ""
    if f["priority"] not in PRIORITIES:
        f["priority"] = ""
    f["assignee"] = pick_assignee(f["assignee"], people)
    if f["story"] not in {str(s.id) for s in stories}:
        f["story"] = ""
    if f["sort"] not in {"number", "due_date", "priority"}:
        f["sort"] = "number"
    return f


class ListRow(NamedTuple):
    """What a row of the list shows (tasks.controls.task_rows); all of it keys its drawing."""

    id: int
    number: int
    title: str
    status: str
    priority: str
    due_date: date | None
    story_points: int | None
    comment_count: int
    assignees: People


@dataclass(frozen=True)
class TaskList:
    rows: list[Any]
    filters: dict[str, str]
    kept: dict[str, str]  # the filters that are set, for the pager's links
    page: int
    total: int
    capped: bool

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @property
    def has_next(self) -> bool:
        return self.page * PAGE_SIZE < self.total or (self.capped and len(self.rows) == PAGE_SIZE)


def task_list(ctx: Ctx, project: Project, params: Any, people: list[tuple[int, str]],
              stories: list[Story]) -> TaskList:
    """A page of the project's tasks (project from a loader), filtered and sorted."""
    f = task_filters(params, people, stories)
    page = _page(params.get("page"))
    cond, order = _listed(ctx, project, f)
    # Counting stops at COUNT_CAP, so a search over a huge project costs what a page costs.
    total = ctx.db.scalar(
        select(func.count()).select_from(select(Task.id).where(cond).limit(COUNT_CAP + 1).subquery())
    ) or 0
    # Plain rows, not ORM objects (issue 11: the objects cost a tenth of the page).
    rows = ctx.db.connection().execute(
        select(*LIST_COLUMNS).where(cond).order_by(*order)
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    kept = {k: v for k, v in f.items() if v and not (k == "sort" and v == "number")}
    return TaskList(with_assignees(ctx, rows, ListRow), f, kept, page, min(total, COUNT_CAP),
                    total > COUNT_CAP)


def matching_tasks(ctx: Ctx, project: Project, params: Any, people: list[tuple[int, str]],
                   stories: list[Story], columns: tuple[Any, ...]) -> list[Any]:
    """Every task the list would show with these filters, unpaged, in its order, as plain
    rows of `columns` (the CSV export)."""
    cond, order = _listed(ctx, project, task_filters(params, people, stories))
    return list(ctx.db.connection().execute(select(*columns).where(cond).order_by(*order)).all())


def _listed(ctx: Ctx, project: Project, f: dict[str, str]) -> tuple[Any, list[Any]]:
    """The list's condition and order for the filters `f` (task_filters)."""
    cond = (Task.project_id == project.id) & (Task.organization_id == ctx.org_id)
    if f["q"]:
        escaped = f["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        cond &= Task.title.ilike(f"%{escaped}%", escape="\\")  # type: ignore[attr-defined]
    if f["status"]:
        cond &= Task.status == f["status"]
    if f["priority"]:
        cond &= Task.priority == f["priority"]
    if f["assignee"]:
        cond &= assignee_condition(Task.id, f["assignee"])
    if f["story"]:
        cond &= Task.story_id == int(f["story"])
    order: list[Any] = {
        "number": [Task.number],
        "due_date": [nulls_last(Task.due_date.asc()), Task.number],  # type: ignore[union-attr]
        "priority": [PRIORITY_ORDER, Task.number],
    }[f["sort"]]
    return cond, order


def story_tasks(ctx: Ctx, story: Story) -> list[tuple[Task, People]]:
    """The tasks of a story the caller got from a loader, each with its assignees."""
    found = list(ctx.db.scalars(select(Task).where(
        Task.story_id == story.id, Task.organization_id == ctx.org_id).order_by(Task.number)))
    people = assignees_of(ctx, (t.id for t in found if t.id is not None))
    return [(t, people.get(t.id, ())) for t in found]  # type: ignore[arg-type]
