"""Imports: upload a file, choose its mapping, start the job, and its end (SPEC §13).

The rows themselves become tasks through `tasks.actions.create_task`, called by the job
(kanvaro.imports.jobs) as the person who started it: the same permission checks, validation,
audit entries and notifications as the task form.
"""

from __future__ import annotations

import os
import re

from kanvaro import events
from kanvaro.context import Ctx
from kanvaro.errors import Conflict, Forbidden, Invalid, KanvaroError
from kanvaro.imports import reading, trello
from kanvaro.imports.forms import MappingChoice, Upload, checked
from kanvaro.imports.models import ImportJob
from kanvaro.imports.queries import get_import
from kanvaro.imports.rows import guess
from kanvaro.permissions import require
from kanvaro.projects.models import Project
from kanvaro.projects.queries import get_project

TEXT_KINDS = {"", ".csv", ".tsv", ".txt", ".json"}
NOT_CSV = ("Choose a .csv file or a Trello .json export (save a spreadsheet as CSV first).")
REFUSED_KEPT = 1000  # reasons kept for the report; the count covers every refused row
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")


class TooLarge(KanvaroError):
    """A file over KANVARO_MAX_UPLOAD_BYTES."""

    status_code = 413


def may_import(ctx: Ctx, project_id: int) -> Project:
    """The project, if the actor may import into it: checked before an upload's body is read."""
    project = get_project(ctx, project_id)
    require(ctx.user, "task:create")
    return project


def _filename(name: str) -> str:
    base = _UNSAFE.sub("", os.path.basename(name.replace("\\", "/"))).strip()
    return base[:255] or "upload"


def upload_import(ctx: Ctx, project_id: int, upload: Upload | None) -> ImportJob:
    """Read the file into a new import, its mapping guessed from the header names."""
    project = may_import(ctx, project_id)
    if upload is None or (upload.size == 0 and not upload.filename):
        raise Invalid(errors={"file": [reading.NO_FILE]})
    if upload.size > ctx.settings.max_upload_bytes:
        raise TooLarge()
    if os.path.splitext(upload.filename.lower())[1] not in TEXT_KINDS:
        raise Invalid(errors={"file": [NOT_CSV]})
    data = upload.file.read(ctx.settings.max_upload_bytes + 1)
    if len(data) > ctx.settings.max_upload_bytes:
        raise TooLarge()
    try:
        table = reading.read(data)
    except reading.Unreadable as exc:
        raise Invalid(errors={"file": [exc.message]}) from None
    mapping = dict(trello.MAPPING) if table.kind == "trello" else guess(table.header)
    assert project.id is not None
    job = ImportJob(organization_id=ctx.org_id, project_id=project.id, created_by_id=ctx.user.id,
                    kind=table.kind, filename=_filename(upload.filename), rows=table.stored(),
                    mapping=mapping, total=table.total, created_at=ctx.now)
    ctx.db.add(job)
    ctx.db.flush()
    ctx.emit(events.ImportCreated(job.id, {
        "filename": [None, job.filename], "kind": [None, job.kind], "rows": [None, job.total]},
        project_id=project.id))
    return job


def _open(ctx: Ctx, import_id: int) -> ImportJob:
    """The import, for the one who uploaded it: the job acts as that person, so nobody else
    may choose its mapping or start it (others who see the project see its progress)."""
    job = get_import(ctx, import_id, for_update=True)
    require(ctx.user, "task:create")
    if job.created_by_id != ctx.user.id:
        raise Forbidden("another person's import")
    return job


def _mapping(job: ImportJob, choice: MappingChoice) -> dict[str, str]:
    """The mapping sent (or, with none sent, the one saved), checked against the header."""
    sent = choice if choice.columns else MappingChoice(dict(job.mapping))
    mapping, errors = checked(sent, list(job.rows.get("header", [])))
    if errors:
        raise Invalid(errors=errors)
    return mapping


def save_mapping(ctx: Ctx, import_id: int, choice: MappingChoice) -> ImportJob:
    """Save which column goes to which field; the page then previews with it."""
    job = _open(ctx, import_id)
    if job.status != "mapping":
        raise Conflict(current=job)
    if not choice.columns:
        return job
    mapping = _mapping(job, choice)
    if mapping == job.mapping:
        return job
    before, job.mapping = job.mapping, mapping
    ctx.db.flush()
    ctx.emit(events.ImportUpdated(job.id, {"mapping": [before, mapping]}, project_id=job.project_id))
    return job


def run_import(ctx: Ctx, import_id: int, choice: MappingChoice) -> ImportJob:
    """Queue the import with the mapping sent (saved with it); the job does the rows. Asked
    again once queued (a second click), it changes nothing."""
    job = _open(ctx, import_id)
    if job.status != "mapping":
        return job
    mapping = _mapping(job, choice)
    changes: dict[str, list[object]] = {"status": ["mapping", "queued"]}
    if mapping != job.mapping:
        changes["mapping"] = [job.mapping, mapping]
    broken = list(job.rows.get("broken", []))
    job.mapping, job.status = mapping, "queued"
    # The rows refused while reading the file are the report's first: counted as done.
    job.done, job.refused_count, job.refused = len(broken), len(broken), broken[:REFUSED_KEPT]
    ctx.db.flush()
    ctx.emit(events.ImportStarted(job.id, changes, project_id=job.project_id))
    return job


def finish_import(ctx: Ctx, import_id: int, *, error: str = "") -> ImportJob:
    """The job's end (or, with `error`, where it stopped): the report's figures audited."""
    job = get_import(ctx, import_id, for_update=True, rows=False)
    before = job.status
    job.status, job.error, job.finished_at = ("failed" if error else "done"), error[:500], ctx.now
    job.claimed_until = None
    ctx.db.flush()
    changes: dict[str, list[object]] = {
        "status": [before, job.status], "created": [None, job.created],
        "duplicates": [None, job.duplicates], "refused": [None, job.refused_count]}
    if error:
        changes["error"] = [None, job.error]
    ctx.emit(events.ImportFinished(job.id, changes, project_id=job.project_id))
    return job
