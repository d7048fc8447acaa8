"""The tasks area's URLs (SPEC §4, §5, §8)."""

from __future__ import annotations

from starlette.routing import Route

from kanvaro.tasks import views
from kanvaro.web import convertors  # noqa: F401 (registers `{x:id}`)

ROUTES = [
    Route("/projects/{project_id:id}/board", views.board, methods=["GET"], name="board"),
    Route("/projects/{project_id:id}/tasks", views.task_create, methods=["POST"], name="task_create"),
    Route("/tasks/{task_id:id}", views.task_detail, methods=["GET"], name="task"),
    Route("/tasks/{task_id:id}", views.task_update, methods=["POST"], name="task_update"),
    Route("/tasks/{task_id:id}/edit", views.task_edit, methods=["GET"], name="task_edit"),
    Route("/tasks/{task_id:id}/status", views.task_status, methods=["POST"], name="task_status"),
    Route("/tasks/{task_id:id}/move", views.task_move, methods=["POST"], name="task_move"),
    Route("/tasks/{task_id:id}/delete", views.task_delete, methods=["POST"], name="task_delete"),
    Route("/my/tasks", views.my_tasks, methods=["GET"], name="my_tasks"),
]
