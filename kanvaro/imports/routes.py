"""The imports area's URLs (SPEC §13)."""

from __future__ import annotations

from starlette.routing import Route

from kanvaro.imports import views
from kanvaro.web import convertors  # noqa: F401 (registers `{x:id}`)

ROUTES: list[Route] = [
    Route("/projects/{project_id:id}/import", views.import_new, methods=["GET"],
          name="project_import"),
    Route("/projects/{project_id:id}/import", views.import_upload, methods=["POST"],
          name="project_import_upload"),
    Route("/imports/{import_id:id}", views.import_detail, methods=["GET"], name="import"),
    Route("/imports/{import_id:id}", views.import_save, methods=["POST"], name="import_save"),
    Route("/imports/{import_id:id}/run", views.import_run, methods=["POST"], name="import_run"),
]
