"""The audit log's URL (SPEC §4)."""

from __future__ import annotations

from starlette.routing import Route

from kanvaro.audit_log import views

ROUTES = [Route("/audit", views.audit_log, methods=["GET"], name="audit")]
