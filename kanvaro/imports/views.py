"""Import pages: upload a file, map its columns with a preview, run, watch it, read the report."""

from __future__ import annotations

from starlette.responses import Response

from kanvaro.attachments.content import size_text
from kanvaro.errors import Conflict, Invalid
from kanvaro.imports import actions, queries
from kanvaro.imports.forms import MappingChoice, Upload, UploadForm, checked
from kanvaro.imports.rows import FIELDS
from kanvaro.inputs import refill
from kanvaro.middleware import UPLOAD_PATH
from kanvaro.web.shapes import edit_route
from kanvaro.web.view import Web, view


def _limit(web: Web, project_id: int) -> str:
    """The largest file the upload takes: the Guard lets bodies past max_body_bytes through
    only on the upload routes it knows."""
    settings = web.ctx.settings
    path = web.url("project_import", project_id=project_id)
    return size_text(settings.max_upload_bytes if UPLOAD_PATH.fullmatch(path)
                     else min(settings.max_upload_bytes, settings.max_body_bytes))


def _new_page(web: Web, project_id: int, form: UploadForm | None = None,
              http_status: int = 200) -> Response:
    page = queries.new_import_page(web.ctx, project_id)
    return web.render("imports/new.html", block="form", http_status=http_status,
                      form=form or UploadForm(), project=page.project, recent=page.recent,
                      labels=queries.LABELS, limit=_limit(web, project_id), view="import")


@view()
def import_new(web: Web, project_id: int) -> Response:
    return _new_page(web, project_id)


def _before_body(web: Web, project_id: int) -> None:
    """Refused before a byte of the file is read: a hidden project, or no right to add tasks."""
    actions.may_import(web.ctx, project_id)


def _upload(web: Web) -> Upload | None:
    sent = web.file("file")
    return None if sent is None else Upload(sent.filename or "", sent.file, sent.size or 0)


@view(upload=_before_body)
def import_upload(web: Web, project_id: int) -> Response:
    return edit_route(
        web, lambda: actions.upload_import(web.ctx, project_id, _upload(web)),
        lambda job: web.url("import", import_id=job.id),
        lambda exc: _new_page(web, project_id, refill(UploadForm(), exc.errors), 422),
        flash=lambda job: f"“{job.filename}” read: {job.total:,} row{'' if job.total == 1 else 's'}.",
    )


def _page(web: Web, import_id: int, http_status: int = 200, *,
          errors: dict[str, list[str]] | None = None) -> Response:
    if web.hx.partial and web.request.method == "GET":
        page = queries.progress(web.ctx, import_id)  # the poll: no rows read
    else:
        mapping = None
        if errors is not None:
            job = queries.get_import(web.ctx, import_id)
            mapping, _ = checked(MappingChoice.of(web.data()), list(job.rows.get("header", [])))
        page = queries.import_page(web.ctx, import_id, errors=errors, mapping=mapping)
    return web.render("imports/job.html", block="progress" if page.job.status != "mapping" else "mapping",
                      http_status=http_status, page=page, job=page.job, project=page.project,
                      view="import", running=page.job.status in ("queued", "running"), FIELDS=FIELDS)


@view()
def import_detail(web: Web, import_id: int) -> Response:
    return _page(web, import_id)


def _invalid(web: Web, import_id: int, exc: Invalid) -> Response:
    return _page(web, import_id, 422, errors=exc.errors)


def _conflict(web: Web, import_id: int, exc: Conflict) -> Response:
    return _page(web, import_id, 409)


@view()
def import_save(web: Web, import_id: int) -> Response:
    return edit_route(
        web, lambda: actions.save_mapping(web.ctx, import_id, MappingChoice.of(web.data())),
        lambda job: web.url("import", import_id=job.id) + "#preview",
        lambda exc: _invalid(web, import_id, exc), lambda exc: _conflict(web, import_id, exc),
        flash=lambda job: "Columns saved: the preview below uses them.",
    )


@view()
def import_run(web: Web, import_id: int) -> Response:
    return edit_route(
        web, lambda: actions.run_import(web.ctx, import_id, MappingChoice.of(web.data())),
        lambda job: web.url("import", import_id=job.id),
        lambda exc: _invalid(web, import_id, exc),
        flash=lambda job: "Import started: the tasks appear as it goes.",
    )
