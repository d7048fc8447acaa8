"""The comments area's URLs (SPEC §8)."""

from __future__ import annotations

from starlette.routing import Route

from kanvaro.comments import views
from kanvaro.web import convertors  # noqa: F401 (registers `{x:id}`)

ROUTES = [
    Route("/tasks/{task_id:id}/comments", views.comment_create, methods=["POST"], name="comment_create"),
    Route("/comments/{comment_id:id}", views.comment_update, methods=["POST"], name="comment_update"),
    Route("/comments/{comment_id:id}/edit", views.comment_edit, methods=["GET"], name="comment_edit"),
    Route("/comments/{comment_id:id}/delete", views.comment_delete, methods=["POST"], name="comment_delete"),
]
