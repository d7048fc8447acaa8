"""The calendar area's URLs (SPEC §13, "Calendar feeds")."""

from __future__ import annotations

from starlette.routing import Route

from kanvaro.calendar import views
from kanvaro.web import convertors  # noqa: F401 (registers `{x:id}`)

ROUTES = [
    Route("/account/calendar", views.calendar_page, methods=["GET"], name="calendar"),
    Route("/account/calendar", views.calendar_make, methods=["POST"], name="calendar_make"),
    Route("/account/calendar/revoke", views.calendar_revoke, methods=["POST"],
          name="calendar_revoke"),
    # The token is the credential (kanvaro.calendar.auth); kanvaro.logs keeps it out of logs.
    Route("/calendar/{feed_token}.ics", views.my_feed, methods=["GET"], name="calendar_feed"),
    Route("/projects/{project_id:id}/calendar/{feed_token}.ics", views.project_feed,
          methods=["GET"], name="project_calendar_feed"),
]
