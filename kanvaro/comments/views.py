"""Comment routes: post (a fragment with htmx), the edit page and its save, delete."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Environment
from markupsafe import Markup
from starlette.responses import Response

from kanvaro.comments import actions
from kanvaro.comments.forms import CommentEdit, CommentForm, NewComment, comment_form
from kanvaro.comments.queries import Located, Shown
from kanvaro.errors import Conflict, Invalid
from kanvaro.inputs import refill
from kanvaro.tasks.queries import task_page
from kanvaro.web.view import Web, view


def _shown(web: Web, found: Located) -> Shown:
    """The actor's own comment, as the thread shows it."""
    return Shown.of(web.ctx.user, found.comment, web.ctx.user.name)


_TOKEN = "kanvaro-csrf-token-here"  # where the request's own CSRF token goes


@lru_cache(maxsize=1024)
def _empty_form(env: Environment, task_id: int, project_id: int) -> str:
    return env.get_template("comments/_empty_form.html").render(
        form=comment_form(), task_id=task_id, project_id=project_id, csrf_token=_TOKEN)


def empty_form(web: Web, task_id: int, project_id: int) -> Markup:
    """The emptied form an htmx comment post answers with (a bench row: issue 12). It is
    the same for every post on a task but for the CSRF token, so it is drawn once per task
    and the token put in: a third of the post's time went to drawing it."""
    return Markup(_empty_form(web.app.env, task_id, project_id).replace(_TOKEN, web.csrf_token))


@view()
def comment_create(web: Web, task_id: int) -> Response:
    try:
        found = actions.add_comment(web.ctx, task_id, web.sent(NewComment))
    except Invalid as exc:
        return _new_page(web, task_id, refill(comment_form(web.data()), exc.errors))
    if not web.hx.partial:
        return web.done(web.url("task", task_id=task_id) + f"#comment-{found.comment.id}",
                        "Comment added.")
    # The new comment joins the thread out of band; the form comes back empty.
    return web.render("comments/posted.html", c=_shown(web, found),
                      empty_form=empty_form(web, task_id, found.project_id))


def _new_page(web: Web, task_id: int, form: CommentForm) -> Response:
    """The form as sent, with its errors: a page of its own without JS, the form with htmx."""
    page = task_page(web.ctx, task_id)
    return web.render("comments/new.html", block="form", http_status=422, form=form,
                      task=page.task, project=page.project, label=page.label)


def _edit_page(web: Web, found: Located, form: CommentForm, http_status: int = 200,
               conflict: bool = False) -> Response:
    comment = found.comment
    page = task_page(web.ctx, comment.task_id)
    return web.render("comments/edit.html", block="item", http_status=http_status, form=form,
                      c=_shown(web, found), task=page.task, project=page.project,
                      label=page.label, conflict=conflict)


def _sent(web: Web, comment_id: int, errors: dict[str, list[str]], version: int | None = None) -> CommentForm:
    return refill(comment_form(web.data(), field_id=f"comment-{comment_id}-body"), errors,
                  version=version)


@view()
def comment_edit(web: Web, comment_id: int) -> Response:
    found = actions.comment_to_edit(web.ctx, comment_id)
    form = comment_form(None, field_id=f"comment-{comment_id}-body",
                        data={"body": found.comment.body, "version": found.comment.version})
    return _edit_page(web, found, form)


@view()
def comment_update(web: Web, comment_id: int) -> Response:
    try:
        found = actions.edit_comment(web.ctx, comment_id, web.sent(CommentEdit))
    except Invalid as exc:
        return _edit_page(web, actions.comment_to_edit(web.ctx, comment_id),
                          _sent(web, comment_id, exc.errors), 422)
    except Conflict as exc:
        current: Any = exc.current
        return _edit_page(web, actions.comment_to_edit(web.ctx, comment_id),
                          _sent(web, comment_id, {}, version=current.version), 409, conflict=True)
    if not web.hx.partial:
        return web.done(web.url("task", task_id=found.comment.task_id) + f"#comment-{comment_id}",
                        "Comment saved.")
    return web.render("comments/saved.html", c=_shown(web, found), said="Comment saved.")


@view()
def comment_delete(web: Web, comment_id: int) -> Response:
    found = actions.delete_comment(web.ctx, comment_id)
    if not web.hx.partial:
        return web.done(web.url("task", task_id=found.comment.task_id) + "#timeline",
                        "Comment deleted.")
    # The comment's element is replaced by nothing; the announcement says why.
    return web.render("comments/saved.html", c=None, said="Comment deleted.")
