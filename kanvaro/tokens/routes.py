"""The personal access tokens' URLs (SPEC §13)."""

from __future__ import annotations

from starlette.routing import Route

from kanvaro.tokens import views
from kanvaro.web import convertors  # noqa: F401 (registers `{x:id}`)

ROUTES: list[Route] = [
    Route("/account/tokens", views.token_list, methods=["GET"], name="tokens"),
    Route("/account/tokens", views.token_create, methods=["POST"], name="token_create"),
    Route("/account/tokens/{token_id:id}/revoke", views.token_revoke, methods=["POST"],
          name="token_revoke"),
]
