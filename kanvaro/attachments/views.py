"""Attachment routes: upload to a task, download, delete (SPEC §8)."""

from __future__ import annotations

from starlette.responses import Response

from kanvaro.attachments import actions, queries
from kanvaro.attachments.content import disposition, served_type, size_text
from kanvaro.attachments.forms import AttachmentForm, Upload
from kanvaro.errors import Invalid
from kanvaro.inputs import refill
from kanvaro.tasks import queries as tasks
from kanvaro.web.shapes import edit_route
from kanvaro.web.view import Web, view


def _before_body(web: Web, task_id: int) -> None:
    """Refused before a byte of the file is read: a hidden task, or no right to attach."""
    actions.may_attach(web.ctx, task_id)


def _upload(web: Web) -> Upload | None:
    sent = web.file("file")
    return None if sent is None else Upload(sent.filename or "", sent.file, sent.size or 0)


def _again(web: Web, task_id: int, exc: Invalid) -> Response:
    """The upload form with its error next to the file field (422): a page of its own, or with
    htmx the form alone."""
    page = tasks.task_page(web.ctx, task_id)
    return web.render("attachments/new.html", block="form", http_status=422,
                      form=refill(AttachmentForm(), exc.errors), task=page.task,
                      project=page.project, label=page.label,
                      limit=size_text(web.ctx.settings.max_upload_bytes))


@view(upload=_before_body)
def attachment_add(web: Web, task_id: int) -> Response:
    return edit_route(
        web, lambda: actions.add_attachment(web.ctx, task_id, _upload(web)),
        lambda attachment: web.url("task", task_id=task_id),
        lambda exc: _again(web, task_id, exc),
        flash=lambda attachment: f"File “{attachment.filename}” attached.",
    )


@view()
def attachment_download(web: Web, attachment_id: int) -> Response:
    found = queries.download(web.ctx, attachment_id)
    return Response(found.content, media_type=served_type(found.content_type), headers={
        "Content-Disposition": disposition(found.filename, found.content_type),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
    })


@view()
def attachment_delete(web: Web, attachment_id: int) -> Response:
    gone = actions.delete_attachment(web.ctx, attachment_id)
    return web.done(web.url("task", task_id=gone.task_id), f"File “{gone.filename}” deleted.")
