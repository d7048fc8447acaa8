"""Task pages: the board, the task page, create, edit, delete, and the status control."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.responses import Response

from kanvaro.errors import Conflict, Invalid
from kanvaro.forms import BaseForm
from kanvaro.htmx import see_other
from kanvaro.inputs import refill
from kanvaro.projects.queries import get_project
from kanvaro.projects.views import project_page
from kanvaro.tasks import actions
from kanvaro.tasks import queries as tasks
from kanvaro.tasks.forms import NewTask, StatusChange, TaskEdit
from kanvaro.web.view import Web, edit_route, view


@view()
def board(web: Web, project_id: int) -> Response:
    found = tasks.board(web.ctx, get_project(web.ctx, project_id))
    return web.render("projects/board.html", block="board", project=found.project, view="board",
                      columns=found.columns, counts=found.counts, limit=tasks.COLUMN_LIMIT,
                      today=web.ctx.now.date())


@view()
def task_create(web: Web, project_id: int) -> Response:
    return edit_route(
        web, lambda: actions.create_task(web.ctx, project_id, web.sent(NewTask)),
        lambda task: web.url("project", project_id=task.project_id),
        lambda exc: project_page(
            web, get_project(web.ctx, project_id), http_status=422,
            task_form_=refill(actions.task_form(web.ctx, project_id, web.data()), exc.errors),
            block="projects/_tasks.html#task_form"),
    )


def _page_context(page: tasks.TaskPage, today: Any) -> dict[str, Any]:
    return {"task": page.task, "project": page.project, "assignee": page.assignee,
            "story": page.story, "label": page.label, "today": today}


@view()
def task_detail(web: Web, task_id: int) -> Response:
    page = tasks.task_page(web.ctx, task_id)
    return web.render("tasks/detail.html", block="task", **_page_context(page, web.ctx.now.date()))


def _form_page(web: Web, task_id: int, form: BaseForm | None = None, http_status: int = 200,
               conflict: bool = False, errors: dict[str, list[str]] | None = None) -> Response:
    """The edit form: as stored, or (`form` None) as sent again."""
    page = tasks.task_page(web.ctx, task_id)
    if form is None:
        form = refill(actions.task_form(web.ctx, page.task.project_id, web.data()), errors or {},
                      version=page.task.version if conflict else None)
    return web.render("tasks/form.html", block="form", http_status=http_status, form=form,
                      version=page.task.version, conflict=conflict,
                      **_page_context(page, web.ctx.now.date()))


@view()
def task_edit(web: Web, task_id: int) -> Response:
    return _form_page(web, task_id, actions.edit_task_form(web.ctx, task_id))


@view()
def task_update(web: Web, task_id: int) -> Response:
    return edit_route(
        web, lambda: actions.update_task(web.ctx, task_id, web.sent(TaskEdit)),
        lambda task: web.url("task", task_id=task.id),
        lambda exc: _form_page(web, task_id, http_status=422, errors=exc.errors),
        lambda exc: _form_page(web, task_id, http_status=409, conflict=True),
    )


@view()
def task_delete(web: Web, task_id: int) -> Response:
    project_id = actions.delete_task(web.ctx, task_id)
    return web.done(web.url("project", project_id=project_id))


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
        state = actions.change_task_status(ctx, task_id, web.sent(StatusChange))
        code = 200
    except Invalid:
        state, code = tasks.status_state(ctx, task_id), 422
    except Conflict as exc:
        state, code = exc.current, 409
    if not web.hx.partial:
        if code != 200:
            return web.error(Invalid(errors={}) if code == 422 else Conflict(state))
        return see_other(back_to(web, web.url("board", project_id=state.project_id)))
    # Column counts go out of band only where they are shown: the board (or an unknown page).
    current = web.current_path()
    counts = tasks.column_counts(ctx, state.project_id) if not current or current.endswith("/board") else None
    return web.render("tasks/status.html", block="fragment", http_status=code, state=state,
                      counts=counts)
