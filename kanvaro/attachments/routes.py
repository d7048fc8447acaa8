"""The attachments area's URLs (SPEC §8)."""

from __future__ import annotations

from starlette.routing import Route

from kanvaro.attachments import views
from kanvaro.web import convertors  # noqa: F401 (registers `{x:id}`)

ROUTES: list[Route] = [
    Route("/tasks/{task_id:id}/attachments", views.attachment_add, methods=["POST"],
          name="attachment_add"),
    Route("/attachments/{attachment_id:id}", views.attachment_download, methods=["GET"],
          name="attachment"),
    Route("/attachments/{attachment_id:id}/delete", views.attachment_delete, methods=["POST"],
          name="attachment_delete"),
]
