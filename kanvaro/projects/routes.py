"""The projects area's URLs (SPEC §4)."""

from __future__ import annotations

from starlette.routing import Route

from kanvaro.projects import views
from kanvaro.web import convertors  # noqa: F401 (registers `{x:id}`)

ROUTES = [
    Route("/projects", views.project_list, methods=["GET"], name="projects"),
    Route("/projects", views.project_create, methods=["POST"], name="project_create"),
    Route("/projects/new", views.project_new, methods=["GET"], name="project_new"),
    Route("/projects/{project_id:id}", views.project_detail, methods=["GET"], name="project"),
    Route("/projects/{project_id:id}", views.project_update, methods=["POST"], name="project_update"),
    Route("/projects/{project_id:id}/edit", views.project_edit, methods=["GET"], name="project_edit"),
    Route("/projects/{project_id:id}/delete", views.project_delete_page, methods=["GET"],
          name="project_delete_page"),
    Route("/projects/{project_id:id}/delete", views.project_delete, methods=["POST"],
          name="project_delete"),
]
