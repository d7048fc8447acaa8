"""/api/v1/tasks/{id}/comments and /api/v1/comments/{id}, through the comments' actions."""

from __future__ import annotations

from typing import Any

from kanvaro.api import paging, schemas
from kanvaro.api.bodies import body_of
from kanvaro.api.endpoint import Answer, Call, Operation
from kanvaro.api.schemas import iso
from kanvaro.comments import actions
from kanvaro.comments.forms import CommentEdit, NewComment
from kanvaro.comments.models import Comment
from kanvaro.comments.queries import get_comment
from kanvaro.errors import Conflict
from kanvaro.inputs import parse
from kanvaro.tasks.queries import get_task

NewCommentBody = body_of(NewComment, "NewComment", required=("body",))
CommentPatch = body_of(CommentEdit, "CommentPatch", required=("body",))


def shown(c: Any) -> dict[str, Any]:
    return {"id": c.id, "task": c.task_id, "author": c.author_id, "body": c.body,
            "created_at": iso(c.created_at),
            "edited_at": iso(c.edited_at), "version": c.version}


def list_comments(call: Call, task_id: int) -> Answer:
    ctx = call.ctx
    task = get_task(ctx, task_id)
    return Answer(paging.listed(ctx, Comment, (Comment.organization_id == ctx.org_id)
                                & (Comment.task_id == task.id), call.params, shown))


def create_comment(call: Call, task_id: int) -> Answer:
    found = actions.add_comment(call.ctx, task_id, parse(NewComment, call.sent()))
    return Answer(shown(found.comment), 201,
                  {"Location": call.location("api_comment", comment_id=found.comment.id)})


def read_comment(call: Call, comment_id: int) -> Answer:
    return Answer(shown(get_comment(call.ctx, comment_id).comment))


def update_comment(call: Call, comment_id: int) -> Answer:
    try:
        found = actions.edit_comment(call.ctx, comment_id, parse(CommentEdit, call.sent()))
    except Conflict as exc:
        raise Conflict(shown(exc.current)) from None
    return Answer(shown(found.comment))


def delete_comment(call: Call, comment_id: int) -> Answer:
    actions.delete_comment(call.ctx, comment_id)
    return Answer(None, 204)


OPERATIONS = (
    Operation("GET", "/tasks/{task_id:id}/comments", list_comments, "List a task's comments",
              schemas.Page[schemas.Comment], query=paging.QUERY, tag="comments",
              name="api_comments"),
    Operation("POST", "/tasks/{task_id:id}/comments", create_comment, "Comment on a task",
              schemas.Comment, body=NewCommentBody, status=201, tag="comments",
              name="api_comment_create"),
    Operation("GET", "/comments/{comment_id:id}", read_comment, "Read a comment",
              schemas.Comment, tag="comments", name="api_comment"),
    Operation("PATCH", "/comments/{comment_id:id}", update_comment, "Edit one's own comment",
              schemas.Comment, body=CommentPatch, tag="comments", name="api_comment_update"),
    Operation("DELETE", "/comments/{comment_id:id}", delete_comment,
              "Delete a comment (one's own, or with comment:moderate)", None, status=204,
              tag="comments", name="api_comment_delete"),
)
