"""The writing area's URLs: the Markdown preview and the people `@` offers."""

from __future__ import annotations

from starlette.routing import Route

from kanvaro.writing import views

ROUTES = [
    Route("/markdown/preview", views.preview, methods=["POST"], name="markdown_preview"),
    Route("/projects/{project_id:id}/people", views.people, methods=["GET"], name="mention_people"),
]
