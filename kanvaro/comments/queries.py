"""The read side of comments: the loader, who may change one, a task's thread."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import select

from kanvaro.comments.models import Comment
from kanvaro.context import Ctx
from kanvaro.errors import NotFound
from kanvaro.permissions import Actor
from kanvaro.projects.queries import visible
from kanvaro.tasks.models import Task


def may_edit(actor: Actor, author_id: int | None) -> bool:
    """Only its author edits a comment (SPEC §8), while they may comment at all."""
    return author_id is not None and author_id == actor.id and actor.can("comment:create")


def may_delete(actor: Actor, author_id: int | None) -> bool:
    """Its author, or whoever moderates comments."""
    return may_edit(actor, author_id) or actor.can("comment:moderate")


@dataclass(frozen=True)
class Located:
    """A comment and where it is: its task's project (for mentions and the audit row)."""

    comment: Comment
    project_id: int


def get_comment(ctx: Ctx, comment_id: int, *, for_update: bool = False) -> Located:
    """The comment, if the actor may see its task; NotFound otherwise."""
    stmt = (select(Comment, Task.project_id).join(Task, Task.id == Comment.task_id)  # type: ignore[arg-type]
            .where(Comment.id == comment_id, Comment.organization_id == ctx.org_id,
                   visible(ctx, Task.organization_id, Task.project_id)))
    row = ctx.db.execute(stmt.with_for_update(of=Comment) if for_update else stmt).first()
    if row is None:
        raise NotFound("comment")
    return Located(row[0], row[1])


@dataclass(frozen=True)
class Shown:
    """A comment as a page shows it: its author's name, and what the reader may do with it."""

    kind: ClassVar[str] = "comment"
    id: int
    task_id: int
    author_id: int | None
    author_name: str | None
    body: str
    body_html: str
    created_at: datetime
    edited_at: datetime | None
    version: int
    can_edit: bool
    can_delete: bool

    @classmethod
    def of(cls, actor: Actor, c: Any, author_name: str | None) -> Shown:
        return cls(c.id, c.task_id, c.author_id, author_name, c.body, c.body_html, c.created_at,
                   c.edited_at, c.version, may_edit(actor, c.author_id),
                   may_delete(actor, c.author_id))


_THREAD = (Comment.id, Comment.task_id, Comment.author_id, Comment.body, Comment.body_html,
           Comment.created_at, Comment.edited_at, Comment.version)


def task_comments(ctx: Ctx, task: Task) -> list[Any]:
    """The task's comments, oldest first, as plain rows (task from a scoped loader)."""
    return list(ctx.db.connection().execute(
        select(*_THREAD).where(Comment.organization_id == ctx.org_id, Comment.task_id == task.id)
        .order_by(Comment.id)))
