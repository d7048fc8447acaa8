"""Register, log in, log out, and one's own account."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.responses import Response

from kanvaro.accounts import actions
from kanvaro.accounts.forms import (
    Credentials,
    HandleChoice,
    HandleForm,
    LoginForm,
    PasswordChange,
    PasswordForm,
    RegisterForm,
    Registration,
    ThemeChoice,
    ThemeForm,
)
from kanvaro.accounts.models import User
from kanvaro.errors import Invalid
from kanvaro.inputs import refill
from kanvaro.web.shapes import edit_route
from kanvaro.web.view import Web, view


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
    return web.done(web.url("projects") if web.actor else web.url("login"))


@view(login=False)
def register_page(web: Web) -> Response:
    if web.actor:
        return web.done(web.url("projects"))
    return web.render("auth/register.html", block="form", form=RegisterForm(),
                      signup_open=web.app.settings.allow_signup)


@view(login=False, password=lambda web: actions.prepare_register(web.ctx, web.sent(Registration)))
def register(web: Web) -> Response:
    return edit_route(
        web, lambda: actions.register(web.ctx, web.sent(Registration)), lambda _: web.url("projects"),
        lambda exc: web.render("auth/register.html", block="form", http_status=422,
                               form=refill(RegisterForm(web.data()), exc.errors), signup_open=True),
    )


@view(login=False)
def login_page(web: Web) -> Response:
    asked = web.request.query_params.get("next")
    next_url = safe_next(asked)
    if web.actor:
        return web.done(next_url)
    # No `next` asked for: none sent, so the login lands where the person's work is.
    form = LoginForm({"next": next_url if asked else ""})
    form.email.errors, form.password.errors = [], []
    return web.render("auth/login.html", block="form", form=form,
                      signup_open=web.app.settings.allow_signup)


@view(login=False, password=lambda web: actions.prepare_login(web.ctx, web.sent(Credentials)))
def login(web: Web) -> Response:
    data = web.data()

    def refused(exc: Invalid) -> Response:
        form = refill(LoginForm(data), exc.errors)
        form.next.data = safe_next(data.get("next")) if data.get("next") else ""
        return web.render("auth/login.html", block="form", http_status=422, form=form,
                          signup_open=web.app.settings.allow_signup)

    return edit_route(web, lambda: actions.login(web.ctx, web.sent(Credentials),
                                                 previous_token=web.session_token),
                      lambda user: safe_next(data.get("next")) if data.get("next")
                      else landing(web, user), refused)


def landing(web: Web, user: User) -> str:
    """Where a login without `next` lands: my tasks when I have open ones, else the projects."""
    from kanvaro.tasks.mine import has_open_tasks  # late: accounts sit below the tasks area

    return web.url("my_tasks") if has_open_tasks(web.ctx, user) else web.url("projects")


@view(login=False)
def logout(web: Web) -> Response:
    if web.session_token:
        actions.logout(web.ctx, web.session_token)
    return web.done(web.url("login"))


def account(web: Web, block: str, *, http_status: int = 200, **context: object) -> Response:
    """The account page, or one of its blocks, with each form as sent or fresh."""
    context.setdefault("form", PasswordForm())
    context.setdefault("theme_form", ThemeForm(data={"theme": web.ctx.user.theme}))
    context.setdefault("handle_form", HandleForm(data={"handle": web.ctx.user.handle}))
    return web.render("auth/account.html", block=block, http_status=http_status, **context)


@view()
def account_page(web: Web) -> Response:
    ended = web.request.query_params.get("ended", "")
    return account(web, "form", changed=web.request.query_params.get("changed") == "1",
                      ended=int(ended) if ended.isdigit() and len(ended) < 6 else None)


@view(password=lambda web: actions.prepare_password_change(web.ctx, web.sent(PasswordChange)))
def password_change(web: Web) -> Response:
    return edit_route(
        web, lambda: actions.change_password(web.ctx, web.sent(PasswordChange), web.session_token),
        lambda _: web.url("account") + "?changed=1",
        lambda exc: account(web, "form", http_status=422,
                            form=refill(PasswordForm(web.data()), exc.errors)),
    )


@view()
def theme_change(web: Web) -> Response:
    try:
        actions.change_theme(web.ctx, web.sent(ThemeChoice))
    except Invalid as exc:
        return account(web, "theme", http_status=422,
                       theme_form=refill(ThemeForm(web.data()), exc.errors))
    return web.done(web.url("account"), flash="Theme saved.")


@view()
def handle_change(web: Web) -> Response:
    return edit_route(
        web, lambda: actions.change_handle(web.ctx, web.sent(HandleChoice)),
        lambda _: web.url("account"),
        lambda exc: account(web, "handle", http_status=422,
                            handle_form=refill(HandleForm(web.data()), exc.errors)),
        flash=lambda handle: f"Your handle is @{handle}.",
    )


@view()
def end_other_sessions(web: Web) -> Response:
    ended = actions.end_other_sessions(web.ctx, web.session_token)
    return web.done(web.url("account") + f"?ended={ended}")
