"""The export area's URLs (issue 13, item 7)."""

from __future__ import annotations

from starlette.routing import Route

from kanvaro.exports import views
from kanvaro.web import convertors  # noqa: F401 (registers `{x:id}`)

ROUTES = [
    Route("/projects/{project_id:id}/tasks.csv", views.tasks_csv, methods=["GET"], name="tasks_csv"),
]
