"""The notifications area's URLs (SPEC §8)."""

from __future__ import annotations

from starlette.routing import Route

from kanvaro.notifications import views
from kanvaro.web import convertors  # noqa: F401 (registers `{x:id}`)

ROUTES: list[Route] = [
    Route("/tasks/{task_id:id}/watch", views.task_watch, methods=["POST"], name="task_watch"),
    Route("/tasks/{task_id:id}/unwatch", views.task_unwatch, methods=["POST"], name="task_unwatch"),
    Route("/notifications", views.notification_list, methods=["GET"], name="notifications"),
    Route("/notifications/read-all", views.notifications_read_all, methods=["POST"],
          name="notifications_read_all"),
    Route("/notifications/{notification_id:id}/read", views.notification_read, methods=["POST"],
          name="notification_read"),
    Route("/account/notifications", views.mail_settings, methods=["GET"],
          name="notification_settings"),
    Route("/account/notifications", views.mail_settings_save, methods=["POST"],
          name="notification_settings_save"),
]
