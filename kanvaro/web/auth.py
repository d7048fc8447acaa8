"""Register, log in, log out."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.responses import Response

from kanvaro.actions import auth
from kanvaro.errors import Invalid
from kanvaro.forms.auth import LoginForm, PasswordForm, RegisterForm
from kanvaro.web.base import Web, view


def safe_next(value: str | None, default: str = "/projects") -> str:
    """Only same-site absolute paths; anything else (//evil, http://…, \\) goes home."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in value):
        return default
    return value


@view(login=False)
def home(web: Web) -> Response:
    return web.done("/projects" if web.actor else "/login")


@view(login=False)
def register_page(web: Web) -> Response:
    if web.actor:
        return web.done("/projects")
    return web.render("auth/register.html", block="form", form=RegisterForm(),
                      signup_open=web.app.settings.allow_signup)


@view(login=False, password=lambda web: auth.prepare_register(web.ctx, web.data()))
def register(web: Web) -> Response:
    try:
        auth.register(web.ctx, web.data())
    except Invalid as exc:
        return web.render("auth/register.html", block="form", http_status=422, form=exc.form,
                          signup_open=True)
    return web.done("/projects")


@view(login=False)
def login_page(web: Web) -> Response:
    next_url = safe_next(web.request.query_params.get("next"))
    if web.actor:
        return web.done(next_url)
    form = LoginForm({"next": next_url})
    form.email.errors, form.password.errors = [], []
    return web.render("auth/login.html", block="form", form=form,
                      signup_open=web.app.settings.allow_signup)


@view(login=False, password=lambda web: auth.prepare_login(web.ctx, web.data()))
def login(web: Web) -> Response:
    data = web.data()
    try:
        auth.login(web.ctx, data, previous_token=web.session_token)
    except Invalid as exc:
        exc.form.next.data = safe_next(data.get("next"))
        return web.render("auth/login.html", block="form", http_status=422, form=exc.form,
                          signup_open=web.app.settings.allow_signup)
    return web.done(safe_next(data.get("next")))


@view(login=False)
def logout(web: Web) -> Response:
    if web.session_token:
        auth.logout(web.ctx, web.session_token)
    return web.done("/login")


@view()
def account_page(web: Web) -> Response:
    ended = web.request.query_params.get("ended", "")
    return web.render("auth/account.html", block="form", form=PasswordForm(),
                      changed=web.request.query_params.get("changed") == "1",
                      ended=int(ended) if ended.isdigit() and len(ended) < 6 else None)


@view()
def end_other_sessions(web: Web) -> Response:
    ended = auth.end_other_sessions(web.ctx, web.session_token)
    return web.done(f"/account?ended={ended}")


@view(password=lambda web: auth.prepare_password_change(web.ctx, web.data()))
def password_change(web: Web) -> Response:
    try:
        auth.change_password(web.ctx, web.data(), web.session_token)
    except Invalid as exc:
        return web.render("auth/account.html", block="form", http_status=422, form=exc.form)
    return web.done("/account?changed=1")
