"""The read side of imports: the loader, the upload page, the mapping with its preview."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import defer

from kanvaro.context import Ctx
from kanvaro.errors import NotFound
from kanvaro.forms import BaseForm
from kanvaro.imports.forms import mapping_form
from kanvaro.imports.models import ImportFingerprint, ImportJob
from kanvaro.imports.rows import Resolver, said
from kanvaro.inputs import parse
from kanvaro.permissions import require
from kanvaro.projects.models import Project
from kanvaro.projects.queries import get_project, visible
from kanvaro.tasks.forms import NewTask

PREVIEW_ROWS = 20
RECENT = 10
LABELS = {"mapping": "Waiting for its mapping", "queued": "Queued", "running": "Running",
          "done": "Done", "failed": "Stopped"}


def get_import(ctx: Ctx, import_id: int, *, for_update: bool = False, rows: bool = True) -> ImportJob:
    """The import, if the actor may see its project; NotFound otherwise (a foreign id
    included). `rows=False` leaves the parsed file unread (the progress fragment)."""
    stmt = select(ImportJob).where(ImportJob.id == import_id,
                                   visible(ctx, ImportJob.organization_id, ImportJob.project_id))
    if not rows:
        stmt = stmt.options(defer(ImportJob.rows))  # type: ignore[arg-type]
    job = ctx.db.scalar(stmt.with_for_update(of=ImportJob) if for_update else stmt)
    if job is None:
        raise NotFound("import")
    return job


@dataclass(frozen=True)
class NewImportPage:
    project: Project
    recent: list[ImportJob]


def new_import_page(ctx: Ctx, project_id: int) -> NewImportPage:
    """The upload page of a project, for those who may add tasks, with its latest imports."""
    project = get_project(ctx, project_id)
    require(ctx.user, "task:create")
    recent = list(ctx.db.scalars(
        select(ImportJob).options(defer(ImportJob.rows))  # type: ignore[arg-type]
        .where(ImportJob.project_id == project.id, ImportJob.organization_id == ctx.org_id)
        .order_by(ImportJob.id.desc()).limit(RECENT)))  # type: ignore[union-attr]
    return NewImportPage(project, recent)


@dataclass(frozen=True)
class PreviewRow:
    line: int
    cells: list[str]
    errors: list[str]
    known: bool = False  # imported before: the run will leave it


@dataclass(frozen=True)
class ImportPage:
    job: ImportJob
    project: Project
    form: BaseForm | None = None  # the mapping, while it may change
    header: list[str] = field(default_factory=list)
    preview: list[PreviewRow] = field(default_factory=list)
    skipped: int = 0  # Trello: archived cards left out

    @property
    def status_label(self) -> str:
        return LABELS.get(self.job.status, self.job.status)


def preview(ctx: Ctx, job: ImportJob, mapping: dict[str, str]) -> list[PreviewRow]:
    """The first rows as the import will see them: each with the errors it would be refused
    for (the form's rules and the resolver's), or marked as imported before."""
    resolver = Resolver.load(ctx, job.project_id, mapping, kind=job.kind,
                             names=job.rows.get("names"))
    rows = job.rows["rows"]
    last = rows[PREVIEW_ROWS - 1][0] if len(rows) >= PREVIEW_ROWS else None
    out = [PreviewRow(b["row"], [], [b["reason"]]) for b in job.rows.get("broken", [])
           if last is None or b["row"] < last]
    resolved = [(row, resolver.input(row[1:])) for row in job.rows["rows"][:PREVIEW_ROWS]]
    known = set(ctx.db.scalars(select(ImportFingerprint.fingerprint).where(
        ImportFingerprint.project_id == job.project_id,
        ImportFingerprint.fingerprint.in_([r.fingerprint for _, r in resolved]))))  # type: ignore[attr-defined]
    for row, found in resolved:
        errors = [*found.reasons, *said(parse(NewTask, found.data).errors)]
        out.append(PreviewRow(row[0], [str(c) for c in row[1:]], errors, found.fingerprint in known))
    return sorted(out, key=lambda r: r.line)[:PREVIEW_ROWS]


def import_page(ctx: Ctx, import_id: int, *, errors: dict[str, list[str]] | None = None,
                mapping: dict[str, str] | None = None) -> ImportPage:
    """The import's page: its mapping and preview (`mapping` as sent, with its `errors`),
    its progress, or its report."""
    job = get_import(ctx, import_id)
    require(ctx.user, "task:create")
    project = get_project(ctx, job.project_id)
    header = list(job.rows.get("header", []))
    if job.status != "mapping":
        return ImportPage(job, project, header=header, skipped=int(job.rows.get("skipped", 0)))
    chosen = mapping if mapping is not None else job.mapping
    form = mapping_form(header, chosen, errors) if job.kind == "csv" else None
    usable = chosen if not errors else job.mapping
    return ImportPage(job, project, form, header, preview(ctx, job, usable),
                      int(job.rows.get("skipped", 0)))


def progress(ctx: Ctx, import_id: int) -> ImportPage:
    """The import's progress or report, without reading its rows (the 1 s poll)."""
    job = get_import(ctx, import_id, rows=False)
    require(ctx.user, "task:create")
    return ImportPage(job, get_project(ctx, job.project_id))
