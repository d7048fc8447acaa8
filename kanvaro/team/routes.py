"""The team area's URLs (SPEC §4)."""

from __future__ import annotations

from starlette.routing import Route

from kanvaro.team import views
from kanvaro.web import convertors  # noqa: F401 (registers `{x:id}`)

ROUTES = [
    Route("/team", views.team_page, methods=["GET"], name="team"),
    Route("/team/invitations", views.invitation_create, methods=["POST"], name="invitation_create"),
    Route("/team/invitations/{invitation_id:id}/revoke", views.invitation_revoke, methods=["POST"],
          name="invitation_revoke"),
    Route("/invitations/{token:str}", views.invitation_page, methods=["GET"], name="invitation"),
    Route("/invitations/{token:str}", views.invitation_accept, methods=["POST"],
          name="invitation_accept"),
    Route("/team/members/{user_id:id}/role", views.member_role, methods=["POST"], name="member_role"),
    Route("/team/members/{user_id:id}/deactivate", views.member_deactivate_page, methods=["GET"],
          name="member_deactivate_page"),
    Route("/team/members/{user_id:id}/deactivate", views.member_deactivate, methods=["POST"],
          name="member_deactivate"),
    Route("/team/roles", views.role_create, methods=["POST"], name="role_create"),
    Route("/team/roles/{role_id:id}", views.role_update, methods=["POST"], name="role_update"),
    Route("/team/roles/{role_id:id}/delete", views.role_delete_page, methods=["GET"],
          name="role_delete_page"),
    Route("/team/roles/{role_id:id}/delete", views.role_delete, methods=["POST"], name="role_delete"),
]
