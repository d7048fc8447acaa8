"""The read side of attachments: the loader, the task page's list, a download."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from kanvaro.accounts.models import User
from kanvaro.attachments.content import INLINE, size_text
from kanvaro.attachments.forms import AttachmentForm
from kanvaro.attachments.models import Attachment, Blob
from kanvaro.context import Ctx
from kanvaro.errors import NotFound
from kanvaro.tasks.models import Task
from kanvaro.tasks.queries import visible_tasks_clause


def get_attachment(ctx: Ctx, attachment_id: int, *,
                   for_update: bool = False) -> tuple[Attachment, Task]:
    """The attachment and its task, if the actor may see the task; NotFound otherwise."""
    stmt = (select(Attachment, Task).join(Task, Task.id == Attachment.task_id)
            .where(Attachment.id == attachment_id, Attachment.organization_id == ctx.org_id,
                   visible_tasks_clause(ctx)))
    found = ctx.db.execute(stmt.with_for_update(of=Attachment) if for_update else stmt).first()
    if found is None:
        raise NotFound("attachment")
    return found[0], found[1]


@dataclass(frozen=True)
class Row:
    """One file in the task page's list."""

    id: int
    filename: str
    size: int
    content_type: str
    uploader: str | None
    created_at: datetime
    can_delete: bool

    @property
    def size_text(self) -> str:
        return size_text(self.size)

    @property
    def is_image(self) -> bool:
        """Shown as a thumbnail: one of the types served inline."""
        return self.content_type in INLINE


@dataclass(frozen=True)
class TaskFiles:
    """The task page's section: its files, and what the upload form says."""

    rows: list[Row]
    can_add: bool
    limit: str
    form: AttachmentForm = field(default_factory=AttachmentForm)


_LIST = (
    select(Attachment.id, Attachment.filename, Attachment.size, Attachment.content_type,
           Attachment.uploader_id, User.name, Attachment.created_at)
    .outerjoin(User, User.id == Attachment.uploader_id)
)


def task_attachments(ctx: Ctx, task: Task) -> TaskFiles:
    """The task's attachments, oldest first (task from a scoped loader): one statement."""
    actor = ctx.user
    may_delete = actor.can("task:delete")
    rows = ctx.db.execute(_LIST.where(Attachment.organization_id == task.organization_id,
                                      Attachment.task_id == task.id)
                          .order_by(Attachment.id)).all()
    return TaskFiles(
        rows=[Row(r.id, r.filename, r.size, r.content_type, r.name, r.created_at,
                  may_delete or r.uploader_id == actor.id) for r in rows],
        can_add=actor.can("attachment:add"), limit=size_text(ctx.settings.max_upload_bytes))


@dataclass(frozen=True)
class Download:
    filename: str
    content_type: str
    content: bytes


def download(ctx: Ctx, attachment_id: int) -> Download:
    """The file's name, type and bytes, if the actor may see its task; NotFound otherwise.

    Read whole, in one statement (at most KANVARO_MAX_UPLOAD_BYTES): the transaction and the
    request thread end before the bytes go out, however slowly the client reads them."""
    row = ctx.db.execute(
        select(Attachment.filename, Attachment.content_type, Blob.content)
        .join(Task, Task.id == Attachment.task_id)
        .join(Blob, (Blob.organization_id == Attachment.organization_id)
              & (Blob.sha256 == Attachment.sha256))
        .where(Attachment.id == attachment_id, Attachment.organization_id == ctx.org_id,
               visible_tasks_clause(ctx))
    ).first()
    if row is None:
        raise NotFound("attachment")
    return Download(row.filename, row.content_type, bytes(row.content))
