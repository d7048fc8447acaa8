"""Task pages: the board, the task page, create, edit, delete, the status control, and my
tasks."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.responses import Response

from kanvaro.enums import TASK_STATUSES
from kanvaro.errors import Conflict, Invalid
from kanvaro.forms import BaseForm
from kanvaro.inputs import refill
from kanvaro.projects.queries import get_project, project_people
from kanvaro.projects.views import project_page
from kanvaro.tasks import actions, mine
from kanvaro.tasks import board as boards
from kanvaro.tasks import queries as tasks
from kanvaro.tasks.forms import Move, NewTask, StatusChange, TaskEdit
from kanvaro.tasks.sections import task_sections
from kanvaro.web.flash import Flash
from kanvaro.web.shapes import edit_route
from kanvaro.web.view import Web, view


@view()
def board(web: Web, project_id: int) -> Response:
    ctx = web.ctx
    project = get_project(ctx, project_id)
    people = project_people(ctx, project_id)
    found = boards.board(ctx, project, people,
                         boards.pick_assignee(web.request.query_params.get("assignee"), people))
    return web.render("projects/board.html", block="board", project=found.project, view="board",
                      columns=found.columns, counts=found.counts, limit=boards.COLUMN_LIMIT,
                      today=ctx.now.date(), people=people, assignee=found.assignee)


def _shown_filter(web: Web, project_id: int, people: list[tuple[int, str]] | None = None) -> str:
    """The assignee filter of the board an htmx request came from (`HX-Current-URL`)."""
    value = parse_qs(urlsplit(web.hx.current_url or "").query).get("assignee", [""])[0]
    if not value:
        return ""
    return boards.pick_assignee(value, project_people(web.ctx, project_id) if people is None else people)


@view()
def my_tasks(web: Web) -> Response:
    return web.render("tasks/my.html", block="groups", mine=mine.my_tasks(web.ctx),
                      today=web.ctx.now.date())


@view()
def task_create(web: Web, project_id: int) -> Response:
    return edit_route(
        web, lambda: actions.create_task(web.ctx, project_id, web.sent(NewTask)),
        lambda task: _after_create(web, task),
        lambda exc: project_page(
            web, get_project(web.ctx, project_id), http_status=422,
            task_form_=refill(actions.task_form(web.ctx, project_id, web.data()), exc.errors),
            block="projects/_tasks.html#task_form"),
        flash=lambda task: Flash(f"Task “{task.title}” added.",
                                 reopen=f"quick-{task.status}" if web.data().get("next") == "board"
                                 else "task-form"),
    )


def _after_create(web: Web, task: Any) -> str:
    """Back to the form for the next task: the board's quick-add of that column, or the
    project page's form (its title field focused: kanvaro.js)."""
    if web.data().get("next") == "board":
        return web.url("board", project_id=task.project_id) + f"#quick-{task.status}"
    return web.url("project", project_id=task.project_id)


def _page_context(page: tasks.TaskPage, today: Any) -> dict[str, Any]:
    return {"task": page.task, "project": page.project, "assignees": page.assignees,
            "story": page.story, "label": page.label, "today": today}


@view()
def task_detail(web: Web, task_id: int) -> Response:
    page = tasks.task_page(web.ctx, task_id)
    return web.render("tasks/detail.html", block="task", **_page_context(page, web.ctx.now.date()),
                      **task_sections(web.ctx, page.task))


def _form_page(web: Web, task_id: int, form: BaseForm | None = None, http_status: int = 200,
               conflict: bool = False, errors: dict[str, list[str]] | None = None) -> Response:
    """The edit form: as stored, or (`form` None) as sent again."""
    page = tasks.task_page(web.ctx, task_id)
    if form is None:
        form = refill(actions.task_form(web.ctx, page.task.project_id, web.data(),
                                        keep=page.assignees), errors or {},
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
        flash=lambda task: "Task saved.",
    )


@view()
def task_delete(web: Web, task_id: int) -> Response:
    project_id = actions.delete_task(web.ctx, task_id)
    return web.done(web.url("project", project_id=project_id), "Task deleted.")


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


def on_board(web: Web, project_id: int, task_id: int) -> str:
    """The board (with the filter it was shown with), scrolled to the card: where a no-JS
    change on the board comes back to."""
    path = web.url("board", project_id=project_id)
    came = urlsplit(back_to(web, ""))
    return path + (f"?{came.query}" if came.path == path and came.query else "") + f"#task-{task_id}"


def _came_from_board(web: Web, project_id: int) -> bool:
    return urlsplit(back_to(web, "")).path == web.url("board", project_id=project_id)


@view()
def task_move(web: Web, task_id: int) -> Response:
    """A new rank; with htmx the cards of the task's column, so the page stays where it is."""
    sent = web.sent(Move)
    task = actions.move_task(web.ctx, task_id, sent)
    if sent.data.get("view") != "board":
        return web.done(back_to(web, web.url("project", project_id=task.project_id)), "Task moved.")
    if not web.hx.partial:
        return web.done(on_board(web, task.project_id, task.id), "Task moved.")  # type: ignore[arg-type]
    people = project_people(web.ctx, task.project_id)
    found = boards.column(web.ctx, get_project(web.ctx, task.project_id), task.status, people,
                          _shown_filter(web, task.project_id, people))
    return web.render("projects/board.html", block="projects/board.html#cards", project=found.project,
                      cards=found.cards, status=task.status, today=web.ctx.now.date())


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
        said = f"Status set to {TASK_STATUSES[state.status]}."
        if _came_from_board(web, state.project_id):
            return web.done(on_board(web, state.project_id, state.id), said)  # type: ignore[arg-type]
        back = back_to(web, web.url("board", project_id=state.project_id))
        if urlsplit(back).path == web.url("my_tasks"):  # back to the task's own row
            back += f"#task-{state.id}"
        return web.done(back, said)
    # Column counts go out of band only where they are shown: the board (or an unknown page).
    current = web.current_path()
    counts = (boards.column_counts(ctx, state.project_id, _shown_filter(web, state.project_id))
              if not current or current.endswith("/board") else None)
    return web.render("tasks/status.html", block="fragment", http_status=code, state=state,
                      counts=counts)
