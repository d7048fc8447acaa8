"""Task and story pages: the project's task list, the board, task and story pages, status changes."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import bindparam, case, func, nulls_last, select, union_all
from starlette.responses import Response

from kanvaro.actions import stories as story_actions
from kanvaro.actions import tasks as actions
from kanvaro.errors import Conflict, Invalid
from kanvaro.forms.tasks import StoryForm, TaskForm
from kanvaro.htmx import see_other, vary
from kanvaro.loaders import get_project, get_story, get_task, project_people, project_stories
from kanvaro.models import Project, Story, Task, User
from kanvaro.models.work import PRIORITIES, TASK_STATUSES
from kanvaro.permissions import require
from kanvaro.web.base import Web, page_href, view

PAGE_SIZE = 50
COUNT_CAP = 2000
COLUMN_LIMIT = 100
PRIORITY_ORDER = case({"critical": 0, "high": 1, "medium": 2, "low": 3}, value=Task.priority, else_=4)


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
    if f["assignee"] not in {"", "none"} and f["assignee"] not in {str(uid) for uid, _ in people}:
        f["assignee"] = ""
    if f["story"] not in {str(s.id) for s in stories}:
        f["story"] = ""
    if f["sort"] not in {"number", "due_date", "priority"}:
        f["sort"] = "number"
    return f


def project_page(
    web: Web, project: Project, *, task_form: TaskForm | None = None,
    story_form: StoryForm | None = None, http_status: int = 200, block: str | None = None,
) -> Response:
    """The project page: facts, stories, and its tasks as a filtered, paginated list."""
    ctx = web.ctx
    assert project.id is not None
    stories = project_stories(ctx, project.id)
    people = project_people(ctx, project.id)
    members = [name for _, name in people]
    params = web.request.query_params
    f = task_filters(params, people, stories)
    page = _page(params.get("page"))
    cond = (Task.project_id == project.id) & (Task.organization_id == ctx.org_id)
    if f["q"]:
        escaped = f["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        cond &= Task.title.ilike(f"%{escaped}%", escape="\\")  # type: ignore[attr-defined]
    if f["status"]:
        cond &= Task.status == f["status"]
    if f["priority"]:
        cond &= Task.priority == f["priority"]
    if f["assignee"] == "none":
        cond &= Task.assignee_id.is_(None)  # type: ignore[union-attr]
    elif f["assignee"]:
        cond &= Task.assignee_id == int(f["assignee"])
    if f["story"]:
        cond &= Task.story_id == int(f["story"])
    order: list[Any] = {
        "number": [Task.number],
        "due_date": [nulls_last(Task.due_date.asc()), Task.number],  # type: ignore[union-attr]
        "priority": [PRIORITY_ORDER, Task.number],
    }[f["sort"]]
    # Counting stops at COUNT_CAP, so a search over a huge project costs what a page costs.
    total = ctx.db.scalar(
        select(func.count()).select_from(select(Task.id).where(cond).limit(COUNT_CAP + 1).subquery())
    ) or 0
    rows = ctx.db.execute(
        select(Task, User.name).outerjoin(User, User.id == Task.assignee_id)
        .where(cond).order_by(*order).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    kept = {k: v for k, v in f.items() if v and not (k == "sort" and v == "number")}

    if task_form is None and ctx.user.can("task:create"):
        task_form = TaskForm(stories=[(s.id, s.title) for s in stories if s.id is not None],
                             people=people)
    return web.render(
        "projects/detail.html", block=block or "projects/_tasks.html#task_list",
        http_status=http_status, project=project, view="list", members=members,
        stories=stories, people=people, f=f, filtered=bool(kept.keys() - {"sort"}),
        tasks=rows, total=min(total, COUNT_CAP), capped=total > COUNT_CAP, page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        has_next=page * PAGE_SIZE < total or (total > COUNT_CAP and len(rows) == PAGE_SIZE),
        page_href=page_href(kept), today=ctx.now.date(),
        task_form=task_form or TaskForm(stories=[], people=[]),
        story_form=story_form or StoryForm(),
    )


BOARD_COLUMNS = (Task.id, Task.number, Task.title, Task.priority, Task.status, Task.due_date,
                 Task.story_points, User.name.label("assignee"))


def _board_query():  # type: ignore[no-untyped-def]
    # Each column walks the (project, status, position) index and stops at its limit.
    firsts = [
        select(Task.id).where(Task.project_id == bindparam("project_id"), Task.status == status)
        .order_by(Task.position, Task.number).limit(COLUMN_LIMIT).subquery()
        for status in TASK_STATUSES
    ]
    # Joined from the chosen ids, so the database looks each card up by its key. Written as
    # `Task.id IN (...) AND organization_id = ...`, SQLite walked the organization's index
    # instead: every task of the organization, 10 ms at 100,000 tasks.
    shown = union_all(*[select(first.c.id) for first in firsts]).subquery("shown")
    return (
        select(*BOARD_COLUMNS).select_from(shown).join(Task, Task.id == shown.c.id)
        .outerjoin(User, User.id == Task.assignee_id)
        .where(Task.organization_id == bindparam("org_id"))
        .order_by(Task.position, Task.number)
    )


_BOARD = _board_query()  # built once: building it cost as much as running it


@view()
def board(web: Web, project_id: int) -> Response:
    """One column per status, at most COLUMN_LIMIT cards each, in two queries whatever the size."""
    ctx = web.ctx
    project = get_project(ctx, project_id)
    rows = ctx.db.connection().execute(
        _BOARD, {"project_id": project.id, "org_id": ctx.org_id}
    ).all()
    columns: dict[str, list[Any]] = {s: [] for s in TASK_STATUSES}
    for row in rows:
        columns[row.status].append(row)
    counts = actions.column_counts(ctx, project.id)  # type: ignore[arg-type]
    return web.render("projects/board.html", block="board", project=project, view="board",
                      columns=columns, counts=counts, limit=COLUMN_LIMIT, today=ctx.now.date())


@view()
def task_create(web: Web, project_id: int) -> Response:
    try:
        task = actions.create_task(web.ctx, project_id, web.data())
    except Invalid as exc:
        project = get_project(web.ctx, project_id)
        return project_page(web, project, task_form=exc.form, http_status=422,
                            block="projects/_tasks.html#task_form")
    return web.done(f"/projects/{task.project_id}")


@view()
def story_create(web: Web, project_id: int) -> Response:
    try:
        story_actions.create_story(web.ctx, project_id, web.data())
    except Invalid as exc:
        project = get_project(web.ctx, project_id)
        return project_page(web, project, story_form=exc.form, http_status=422,
                            block="projects/_tasks.html#story_form")
    return web.done(f"/projects/{project_id}")


def _task_context(web: Web, task: Task) -> dict[str, Any]:
    project = web.db.get(Project, task.project_id)
    assert project is not None
    assignee = web.db.get(User, task.assignee_id) if task.assignee_id else None
    story = web.db.get(Story, task.story_id) if task.story_id else None
    return {"task": task, "project": project, "assignee": assignee, "story": story,
            "label": f"{project.number}.{task.number}", "today": web.ctx.now.date()}


@view()
def task_detail(web: Web, task_id: int) -> Response:
    task = get_task(web.ctx, task_id)
    return web.render("tasks/detail.html", block="task", **_task_context(web, task))


def _task_edit_form(web: Web, task: Task) -> TaskForm:
    data = {"title": task.title, "description": task.description, "story": task.story_id,
            "assignee": task.assignee_id, "priority": task.priority,
            "story_points": task.story_points, "due_date": task.due_date, "status": task.status}
    return actions.task_form(web.ctx, task.project_id, None, data=data)


@view()
def task_edit(web: Web, task_id: int) -> Response:
    task = get_task(web.ctx, task_id)
    require(web.ctx.user, "task:update")
    return web.render("tasks/form.html", block="form", form=_task_edit_form(web, task),
                      version=task.version, **_task_context(web, task))


@view()
def task_update(web: Web, task_id: int) -> Response:
    try:
        task = actions.update_task(web.ctx, task_id, web.data())
    except Invalid as exc:
        task = get_task(web.ctx, task_id)
        return web.render("tasks/form.html", block="form", http_status=422, form=exc.form,
                          version=web.data().get("version") or task.version,
                          **_task_context(web, task))
    except Conflict as exc:
        task = exc.current
        return web.render("tasks/form.html", block="form", http_status=409, form=exc.form,
                          version=task.version, conflict=True, **_task_context(web, task))
    return web.done(f"/tasks/{task.id}")


@view()
def task_delete(web: Web, task_id: int) -> Response:
    project_id = actions.delete_task(web.ctx, task_id)
    return web.done(f"/projects/{project_id}")


def back_to(web: Web, default: str) -> str:
    """The same-site page the request came from (Referer), else default."""
    referer = web.request.headers.get("referer")
    if not referer:
        return default
    parts = urlsplit(referer)
    if parts.netloc != web.request.headers.get("host") or not parts.path.startswith("/"):
        return default
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    # "//host" and "/\host" are read by browsers as another site.
    if target.startswith("//") or "\\" in target or any(ord(c) < 32 for c in target):
        return default
    return target


@view()
def task_status(web: Web, task_id: int) -> Response:
    ctx = web.ctx
    try:
        state = actions.change_task_status(ctx, task_id, web.data())
        code = 200
    except Invalid:
        state, code = actions.status_state(ctx, task_id), 422
    except Conflict as exc:
        state, code = exc.current, 409
    if not web.hx.partial:
        if code != 200:
            return web.error(Invalid(None) if code == 422 else Conflict(state, None))
        return vary(see_other(back_to(web, f"/projects/{state.project_id}/board")))
    # Column counts go out of band only where they are shown: the board (or an unknown page).
    current = urlsplit(web.request.headers.get("hx-current-url", "")).path
    counts = actions.column_counts(ctx, state.project_id) if not current or current.endswith("/board") else None
    return web.render("tasks/status.html", block="fragment", http_status=code, state=state,
                      counts=counts)


@view()
def story_detail(web: Web, story_id: int) -> Response:
    story = get_story(web.ctx, story_id)
    project = web.db.get(Project, story.project_id)
    tasks = web.db.execute(
        select(Task, User.name).outerjoin(User, User.id == Task.assignee_id)
        .where(Task.story_id == story.id, Task.organization_id == web.ctx.org_id)
        .order_by(Task.number)
    ).all()
    return web.render("stories/detail.html", block="story", story=story, project=project,
                      tasks=tasks, today=web.ctx.now.date())


def _story_edit_form(story: Story) -> StoryForm:
    data = {k: getattr(story, k) for k in story_actions.FIELDS}
    return StoryForm(None, data=data)


@view()
def story_edit(web: Web, story_id: int) -> Response:
    story = get_story(web.ctx, story_id)
    require(web.ctx.user, "story:update")
    project = web.db.get(Project, story.project_id)
    return web.render("stories/form.html", block="form", form=_story_edit_form(story),
                      story=story, project=project, version=story.version)


@view()
def story_update(web: Web, story_id: int) -> Response:
    try:
        story = story_actions.update_story(web.ctx, story_id, web.data())
    except Invalid as exc:
        story = get_story(web.ctx, story_id)
        return web.render("stories/form.html", block="form", http_status=422, form=exc.form,
                          story=story, project=web.db.get(Project, story.project_id),
                          version=web.data().get("version") or story.version)
    except Conflict as exc:
        story = exc.current
        return web.render("stories/form.html", block="form", http_status=409, form=exc.form,
                          story=story, project=web.db.get(Project, story.project_id),
                          version=story.version, conflict=True)
    return web.done(f"/stories/{story.id}")


@view()
def story_delete(web: Web, story_id: int) -> Response:
    project_id = story_actions.delete_story(web.ctx, story_id)
    return web.done(f"/projects/{project_id}")

