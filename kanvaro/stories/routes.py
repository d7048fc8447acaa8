"""The stories area's URLs (SPEC §4)."""

from __future__ import annotations

from starlette.routing import Route

from kanvaro.stories import views
from kanvaro.web import convertors  # noqa: F401 (registers `{x:id}`)

ROUTES = [
    Route("/projects/{project_id:id}/stories", views.story_create, methods=["POST"],
          name="story_create"),
    Route("/stories/{story_id:id}", views.story_detail, methods=["GET"], name="story"),
    Route("/stories/{story_id:id}", views.story_update, methods=["POST"], name="story_update"),
    Route("/stories/{story_id:id}/edit", views.story_edit, methods=["GET"], name="story_edit"),
    Route("/stories/{story_id:id}/delete", views.story_delete, methods=["POST"], name="story_delete"),
]
