"""The route table: every URL of SPEC §4."""

from __future__ import annotations

from starlette.routing import Route

from kanvaro.web import auth, projects

ROUTES = [
    Route("/", auth.home),
    Route("/register", auth.register_page, methods=["GET"]),
    Route("/register", auth.register, methods=["POST"]),
    Route("/login", auth.login_page, methods=["GET"]),
    Route("/login", auth.login, methods=["POST"]),
    Route("/logout", auth.logout, methods=["POST"]),
    Route("/projects", projects.project_list, methods=["GET"]),
    Route("/projects", projects.project_create, methods=["POST"]),
    Route("/projects/new", projects.project_new, methods=["GET"]),
    Route("/projects/{project_id:int}", projects.project_detail, methods=["GET"]),
    Route("/projects/{project_id:int}", projects.project_update, methods=["POST"]),
    Route("/projects/{project_id:int}/edit", projects.project_edit, methods=["GET"]),
    Route("/projects/{project_id:int}/delete", projects.project_delete, methods=["POST"]),
]
