"""The activity area's URLs (SPEC §8)."""

from __future__ import annotations

from starlette.routing import Route

from kanvaro.activity import views
from kanvaro.web import convertors  # noqa: F401 (registers `{x:id}`)

ROUTES = [
    Route("/projects/{project_id:id}/activity", views.activity, methods=["GET"], name="project_activity"),
]
