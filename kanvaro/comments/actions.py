"""Comments: post, edit (its author, with the version it started from), delete."""

from __future__ import annotations

import re

from sqlalchemy import bindparam, insert, update

from kanvaro import events
from kanvaro.comments.forms import CommentEdit, NewComment
from kanvaro.comments.models import Comment
from kanvaro.comments.queries import Located, get_comment, may_edit
from kanvaro.context import Ctx
from kanvaro.errors import Forbidden, expect_version
from kanvaro.inputs import Parsed
from kanvaro.markdown import render
from kanvaro.permissions import require
from kanvaro.tasks.models import Task
from kanvaro.tasks.queries import status_state

# What the audit row keeps of a body: the comment holds the whole text.
EXCERPT = 280
_MENTION_LINK = re.compile(r'href="/team#member-(\d+)"')

_INSERT = insert(Comment).returning(Comment.id)  # type: ignore[arg-type]
# The count a card shows. Not a new version of the task: an open edit form of the task holds
# nothing a comment changes, so a comment must not turn its save into a conflict.
_COUNT = (update(Task).where(Task.id == bindparam("task_id"))
          .values(comment_count=Task.comment_count + bindparam("by")))


def excerpt(body: str | None) -> str | None:
    if body is None or len(body) <= EXCERPT:
        return body
    return body[:EXCERPT - 1].rstrip() + "\u2026"


def mentioned_in(html: str) -> frozenset[int]:
    """The people a stored rendering links to (kanvaro.markdown links `@handle` so)."""
    return frozenset(int(m) for m in _MENTION_LINK.findall(html))


def add_comment(ctx: Ctx, task_id: int, sent: Parsed[NewComment]) -> Located:
    """A hot path (a bench row): Core statements, one read of the task."""
    task = status_state(ctx, task_id)
    require(ctx.user, "comment:create")
    value = sent.valid()
    shown = render(ctx, value.body, project_id=task.project_id)
    conn = ctx.db.connection()
    comment = Comment(organization_id=ctx.org_id, task_id=task.id, author_id=ctx.user.id,
                      body=value.body, body_html=shown.html, created_at=ctx.now, version=1)
    comment.id = conn.execute(_INSERT, {
        "organization_id": comment.organization_id, "task_id": comment.task_id,
        "author_id": comment.author_id, "body": comment.body, "body_html": comment.body_html,
        "created_at": comment.created_at, "edited_at": None, "version": 1,
    }).scalar_one()
    conn.execute(_COUNT, {"task_id": task.id, "by": 1})
    ctx.emit(events.CommentCreated(comment.id, {"body": [None, excerpt(value.body)]},
                                   project_id=task.project_id, task_id=task.id,
                                   mentioned=shown.mentioned))
    return Located(comment, task.project_id)


def comment_to_edit(ctx: Ctx, comment_id: int) -> Located:
    """The comment, for its author to edit (the edit page; 404 hidden, 403 someone else's)."""
    found = get_comment(ctx, comment_id)
    require(ctx.user, "comment:create")
    if not may_edit(ctx.user, found.comment.author_id):
        raise Forbidden("comment:edit")
    return found


def edit_comment(ctx: Ctx, comment_id: int, sent: Parsed[CommentEdit]) -> Located:
    found = get_comment(ctx, comment_id, for_update=True)
    comment = found.comment
    require(ctx.user, "comment:create")
    if not may_edit(ctx.user, comment.author_id):
        raise Forbidden("comment:edit")
    value = sent.valid()
    expect_version(value.version, comment.version, comment)
    if value.body == comment.body:
        return found
    before, was_mentioned = comment.body, mentioned_in(comment.body_html)
    shown = render(ctx, value.body, project_id=found.project_id)
    comment.body, comment.body_html = value.body, shown.html
    comment.version += 1
    comment.edited_at = ctx.now
    ctx.db.flush()
    ctx.emit(events.CommentUpdated(comment.id, {"body": [excerpt(before), excerpt(value.body)]},
                                   project_id=found.project_id, task_id=comment.task_id,
                                   mentioned=shown.mentioned - was_mentioned))
    return found


def delete_comment(ctx: Ctx, comment_id: int) -> Located:
    """By its author, or with comment:moderate; the comment as it was."""
    found = get_comment(ctx, comment_id, for_update=True)
    comment = found.comment
    # The author's own needs what commenting needs; anyone else's, moderation.
    require(ctx.user, "comment:create" if may_edit(ctx.user, comment.author_id) else "comment:moderate")
    ctx.db.delete(comment)
    ctx.db.flush()
    ctx.db.connection().execute(_COUNT, {"task_id": comment.task_id, "by": -1})
    ctx.emit(events.CommentDeleted(comment.id, {"body": [excerpt(comment.body), None]},
                                   project_id=found.project_id, task_id=comment.task_id))
    return found
