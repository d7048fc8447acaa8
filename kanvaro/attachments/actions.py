"""Attaching files to tasks and deleting them (SPEC §8)."""

from __future__ import annotations

from kanvaro import events
from kanvaro.attachments import blobs
from kanvaro.attachments.content import clean_filename, describe
from kanvaro.attachments.forms import EMPTY_FILE, NO_FILE, TooLarge, Upload
from kanvaro.attachments.models import Attachment
from kanvaro.attachments.queries import get_attachment
from kanvaro.context import Ctx
from kanvaro.errors import Invalid
from kanvaro.permissions import require
from kanvaro.tasks.models import Task
from kanvaro.tasks.queries import get_task


def may_attach(ctx: Ctx, task_id: int) -> Task:
    """The task, if the actor may attach files to it: checked before an upload's body is read."""
    task = get_task(ctx, task_id)
    require(ctx.user, "attachment:add")
    return task


def add_attachment(ctx: Ctx, task_id: int, upload: Upload | None) -> Attachment:
    """Attach the file to the task; its bytes are stored once per organization and digest."""
    task = may_attach(ctx, task_id)
    if upload is None or (upload.size == 0 and not upload.filename):
        raise Invalid(errors={"file": [NO_FILE]})  # a form sent without choosing a file
    if upload.size > ctx.settings.max_upload_bytes:
        raise TooLarge()
    content = describe(upload.file)
    if content.size == 0:
        raise Invalid(errors={"file": [EMPTY_FILE]})
    if content.size > ctx.settings.max_upload_bytes:
        raise TooLarge()
    blobs.put(ctx, content, upload.file)
    attachment = Attachment(organization_id=task.organization_id, task_id=task.id,
                            uploader_id=ctx.user.id, filename=clean_filename(upload.filename),
                            size=content.size, content_type=content.content_type,
                            sha256=content.sha256, created_at=ctx.now)
    ctx.db.add(attachment)
    ctx.db.flush()
    assert attachment.id is not None
    ctx.emit(events.AttachmentAdded(attachment.id, {
        "filename": [None, attachment.filename], "size": [None, attachment.size],
        "content_type": [None, attachment.content_type]},
        project_id=task.project_id, task_id=task.id))
    return attachment


def delete_attachment(ctx: Ctx, attachment_id: int) -> Attachment:
    """Delete the attachment (its uploader, or with task:delete), and its blob if it was the last
    to use it; returns the row as it was."""
    attachment, task = get_attachment(ctx, attachment_id, for_update=True)
    if attachment.uploader_id != ctx.user.id:
        require(ctx.user, "task:delete")
    ctx.db.delete(attachment)
    ctx.db.flush()
    blobs.sweep(ctx, [attachment.sha256])
    ctx.emit(events.AttachmentDeleted(attachment.id, {
        "filename": [attachment.filename, None], "size": [attachment.size, None],
        "content_type": [attachment.content_type, None]},
        project_id=task.project_id, task_id=task.id))
    return attachment
