"""The accounts area's URLs (SPEC §4, §6)."""

from __future__ import annotations

from starlette.routing import Route

from kanvaro.accounts import views

ROUTES = [
    Route("/", views.home, name="home"),
    Route("/register", views.register_page, methods=["GET"], name="register_page"),
    Route("/register", views.register, methods=["POST"], name="register"),
    Route("/login", views.login_page, methods=["GET"], name="login"),
    Route("/login", views.login, methods=["POST"], name="login_submit"),
    Route("/logout", views.logout, methods=["POST"], name="logout"),
    Route("/account", views.account_page, methods=["GET"], name="account"),
    Route("/account/password", views.password_change, methods=["POST"], name="password_change"),
    Route("/account/theme", views.theme_change, methods=["POST"], name="theme_change"),
    Route("/account/handle", views.handle_change, methods=["POST"], name="handle_change"),
    Route("/account/sessions/end-others", views.end_other_sessions, methods=["POST"],
          name="end_other_sessions"),
]
