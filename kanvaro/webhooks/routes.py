"""The webhooks area's URLs (SPEC §13)."""

from __future__ import annotations

from starlette.routing import Route

from kanvaro.web import convertors  # noqa: F401 (registers `{x:id}`)
from kanvaro.webhooks import views

ROUTES = [
    Route("/settings/webhooks", views.webhooks_page, methods=["GET"], name="webhooks"),
    Route("/settings/webhooks", views.webhook_create, methods=["POST"], name="webhook_create"),
    Route("/settings/webhooks/{webhook_id:id}", views.webhook_page, methods=["GET"], name="webhook"),
    Route("/settings/webhooks/{webhook_id:id}/delete", views.webhook_delete_page, methods=["GET"],
          name="webhook_delete_page"),
    Route("/settings/webhooks/{webhook_id:id}/delete", views.webhook_delete, methods=["POST"],
          name="webhook_delete"),
    Route("/settings/webhooks/{webhook_id:id}/deliveries/{delivery_id:id}/redeliver",
          views.webhook_redeliver, methods=["POST"], name="webhook_redeliver"),
]
