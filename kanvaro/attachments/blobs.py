"""The bytes of attachments: one row per organization and SHA-256, kept while one uses it.

Concurrency (PostgreSQL, READ COMMITTED): an upload writes its blob with an upsert, which
takes the row's lock (or waits for it); a sweep locks the blobs it means to delete, in one
order, and deletes them in a later statement that looks again for attachments using them.
So an upload sharing a blob with an attachment being deleted either comes first (the sweep,
waiting for its lock, then sees the new attachment and keeps the blob) or after (its upsert,
waiting for the sweep, inserts the blob again). SQLite has one writer at a time.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from sqlalchemy import delete, exists, select
from sqlalchemy.dialects import postgresql, sqlite

from kanvaro.attachments.content import Content
from kanvaro.attachments.models import Attachment, Blob
from kanvaro.context import Ctx

_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def put(ctx: Ctx, content: Content, file: BinaryIO) -> None:
    """The blob of `content` exists (already, or from `file`) until this transaction ends."""
    file.seek(0)
    insert: Any = _INSERT[ctx.db.get_bind().dialect.name](Blob)
    stmt = insert.values(organization_id=ctx.org_id, sha256=content.sha256, size=content.size,
                         content=file.read())
    # DO UPDATE, not DO NOTHING: it locks an existing row against a sweep (module docstring).
    ctx.db.execute(stmt.on_conflict_do_update(index_elements=["organization_id", "sha256"],
                                              set_={"size": stmt.excluded.size}))


def _unused() -> Any:
    return ~exists().where(Attachment.organization_id == Blob.organization_id,
                           Attachment.sha256 == Blob.sha256)


def sweep(ctx: Ctx, shas: list[str] | None = None) -> int:
    """Delete the organization's blobs no attachment uses (of `shas`, or all); how many went."""
    where = [Blob.organization_id == ctx.org_id, _unused()]
    if shas is not None:
        where.append(Blob.sha256.in_(shas))  # type: ignore[attr-defined]
    candidates = list(ctx.db.scalars(
        select(Blob.sha256).where(*where).order_by(Blob.sha256).with_for_update()))
    if not candidates:
        return 0
    result = ctx.db.execute(delete(Blob).where(
        Blob.organization_id == ctx.org_id, Blob.sha256.in_(candidates), _unused()))  # type: ignore[attr-defined]
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
