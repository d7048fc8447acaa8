"""The HTML adapter around the unit of work: cookie, CSRF, one transaction, the response's shape.

A route is a plain function `fn(web, **path_params) -> Response`, wrapped by `@view()`. The
wrapper reads and checks the body on the event loop (size, UTF-8, CSRF for a cookie-
authenticated POST), then runs the route on a request thread inside `uow.run`, and answers
every error through the one renderer (kanvaro.web.errors). A refused request (4xx) is rolled
back whole.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import anyio
import anyio.to_thread
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from kanvaro import uow
from kanvaro.auth import SessionCookie
from kanvaro.context import Ctx
from kanvaro.db import is_transient
from kanvaro.errors import KanvaroError
from kanvaro.forms import FormInput
from kanvaro.htmx import HtmxDetails, details, hx_location, hx_redirect, see_other
from kanvaro.inputs import Parsed, T, parse
from kanvaro.permissions import Actor
from kanvaro.security import (
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    csrf_matches,
    mask_csrf,
    new_csrf_secret,
    password_work,
)
from kanvaro.settings import Settings
from kanvaro.templating import render_html
from kanvaro.web.bodies import body_is_utf8
from kanvaro.web.convertors import MAX_ID
from kanvaro.web.errors import error_page, request_id
from kanvaro.web.etag import PRIVATE, etag_for, tags
from kanvaro.web.flash import FLASH_COOKIE, Flash, pending, read_flash, set_flash
from kanvaro.web.state import App

log = logging.getLogger("kanvaro.web")


class _Rollback(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


@dataclass
class Web:
    """One request as a route sees it."""

    request: Request
    app: App
    ctx: Ctx
    hx: HtmxDetails
    form: FormInput | None
    csrf_token: str
    session_token: str | None
    extra_headers: dict[str, str] = field(default_factory=dict)

    @property
    def actor(self) -> Actor | None:
        return self.ctx.actor

    @property
    def db(self) -> Session:
        return self.ctx.db

    def data(self) -> FormInput:
        return self.form if self.form is not None else FormInput(self.request.query_params)

    def sent(self, schema: type[T]) -> Parsed[T]:
        """The body as the input of an action (kanvaro.inputs)."""
        return parse(schema, self.data())
    def url(self, name: str, **params: Any) -> str:
        """The path of the named route (STYLE habit 12)."""
        return self.app.url(name, **params)

    def render(
        self, template: str, *, block: str | None = None, http_status: int = 200, **context: Any
    ) -> Response:
        """The whole page, or the named block of it for a non-boosted htmx request. A whole
        page shows the flash message the request carries, once."""
        flash = None
        if not self.hx.partial and pending(self.request):
            flash = read_flash(self.app, self.request)
        context.update(web=self, actor=self.ctx.actor, csrf_token=self.csrf_token,
                       request=self.request, hx=self.hx, flash=flash)
        chosen = block if self.hx.partial else None
        if chosen and "#" in chosen:  # a block of an included template: "file.html#block"
            template, chosen = chosen.split("#", 1)
        response = render_html(self.app.env, template, context, block=chosen, status=http_status)
        if not self.hx.partial and pending(self.request):
            response.delete_cookie(FLASH_COOKIE, path="/")
            response.headers["Cache-Control"] = "no-store"
        return response

    def done(self, url: str, flash: Flash | str | None = None) -> Response:
        """After a successful POST: 303 to a page, or HX-Location for htmx; `flash`, what the
        next page says of it."""
        response = hx_location(url) if self.hx.partial else see_other(url)
        if flash is not None:
            set_flash(self.app, response, flash if isinstance(flash, Flash) else Flash(flash))
        return response

    def error(self, exc: KanvaroError) -> Response:
        return error_page(self.app, self.request, exc.status_code, actor=self.ctx.actor,
                          csrf_token=self.csrf_token, web=self)

    def current_path(self) -> str:
        """The path of the page an htmx request came from (`HX-Current-URL`), or ""."""
        return urlsplit(self.hx.current_url or "").path


def client_addr(request: Request) -> str:
    return request.client.host if request.client else ""


def origin_ok(request: Request, settings: Settings) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return True
    parts = urlsplit(origin)
    host = request.headers.get("host", "")
    if parts.scheme in {"http", "https"} and parts.netloc == host:
        return True
    return origin.rstrip("/") == settings.base_url


def _cookie(app: App, response: Response, session: str, csrf: str) -> None:
    response.set_cookie(
        SESSION_COOKIE, app.signer.dumps({"s": session, "c": csrf}),
        max_age=SESSION_MAX_AGE, httponly=True, samesite="lax", secure=app.settings.https, path="/",
    )


Handler = Callable[..., Response]
Prepare = Callable[[Web], None]


@dataclass(frozen=True)
class _Call:
    """Everything `_handle` needs of one request, read on the event loop."""

    app: App
    request: Request
    fn: Handler
    form: FormInput | None
    authenticator: SessionCookie
    csrf_secret: str
    login: bool

    @property
    def caller(self) -> uow.Caller:
        return uow.Caller(self.authenticator, request_id(self.request), client_addr(self.request),
                          self.request.headers.get("user-agent", ""))

    def web(self, ctx: Ctx) -> Web:
        return Web(request=self.request, app=self.app, ctx=ctx, hx=details(self.request),
                   form=self.form, csrf_token=mask_csrf(self.csrf_secret),
                   session_token=self.authenticator.token)


def view(
    *, login: bool = True, password: Prepare | None = None
) -> Callable[[Handler], Callable[[Request], Any]]:
    """Wrap a plain route function `fn(web, **path_params) -> Response`.

    `password`, for the views that hash or check a password: a function doing that work ahead
    (an action's prepare_*), run before the write transaction; such views run on threads apart.
    """

    def decorate(fn: Handler) -> Callable[[Request], Any]:
        @functools.wraps(fn)
        async def endpoint(request: Request) -> Response:
            app: App = request.app.state.kanvaro
            for value in request.path_params.values():
                if isinstance(value, int) and value > MAX_ID:
                    return error_page(app, request, 404)
            if any("\x00" in k + v for k, v in request.query_params.multi_items()):
                # No text of the app holds NUL, and PostgreSQL refuses it in a query.
                return error_page(app, request, 400)
            cookie = app.signer.loads(request.cookies.get(SESSION_COOKIE))
            csrf_secret = cookie.get("c") if isinstance(cookie.get("c"), str) else None
            session_token = cookie.get("s") if isinstance(cookie.get("s"), str) else None
            authenticator = SessionCookie(session_token)
            form = None
            if request.method == "POST":
                body = await request.body()  # form() below reads it from here
                if not body_is_utf8(request.headers.get("content-type", ""), body):
                    return error_page(app, request, 400)
                try:
                    raw = await request.form(max_files=0, max_fields=2000,
                                             max_part_size=app.settings.max_body_bytes)
                except Exception:  # noqa: BLE001 (any malformed body: nothing to act on)
                    return error_page(app, request, 400)
                # CSRF guards what a browser sends on its own: the cookie (SPEC §6).
                if authenticator.csrf:
                    token = raw.get("csrf_token") or request.headers.get("x-csrf-token")
                    if not (csrf_matches(csrf_secret, token if isinstance(token, str) else None)
                            and origin_ok(request, app.settings)):
                        return error_page(app, request, 403)
                form = FormInput(raw)
            fresh_csrf = csrf_secret is None
            if csrf_secret is None:
                csrf_secret = new_csrf_secret()
            call = _Call(app, request, fn, form, authenticator, csrf_secret, login)
            work = (functools.partial(_handle, call) if password is None
                    else functools.partial(_handle_with_passwords, password, call))
            response = await anyio.to_thread.run_sync(work, limiter=app.limiter(password is not None))
            ctx_new = getattr(response, "_kanvaro_cookie", None)
            if ctx_new is not None:
                _cookie(app, response, *ctx_new)
            elif fresh_csrf:
                _cookie(app, response, session_token or "", csrf_secret)
            return response

        endpoint.password_threads = password is not None  # type: ignore[attr-defined]
        return endpoint

    return decorate


def _handle_with_passwords(prepare: Prepare, call: _Call) -> Response:
    """A password view: its argon2 work first, on a read-only transaction, then the request.
    The write transaction (and SQLite's write lock) is not held while argon2 runs."""
    with password_work():
        if call.form is not None:
            try:
                uow.run(call.app, call.caller, lambda ctx: prepare(call.web(ctx)), write=False)
            except Exception as exc:  # noqa: BLE001 (the request itself gives the answer)
                log.debug("request %s: password work ahead refused: %r",
                          request_id(call.request), exc)
        return _handle(call)


def _handle(call: _Call) -> Response:
    request = call.request

    def work(ctx: Ctx) -> Response:
        web = call.web(ctx)
        actor, hx = ctx.actor, web.hx
        if call.login and actor is None:
            if hx.partial:  # a boosted request is a navigation: it gets the 303 below
                raise _Rollback(hx_redirect("/login"))
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            next_url = target if request.method == "GET" else "/projects"
            raise _Rollback(see_other("/login?next=" + quote(next_url, safe="")))
        etag = None
        if request.method == "GET" and actor is not None and not pending(request):
            # Conditional GET: answered before any rendering when nothing it shows changed.
            resource = request.url.path + "?" + request.url.query
            etag = etag_for(call.app.build, resource, actor, ctx.revision, call.csrf_secret, hx,
                            ctx.now)
            if etag in tags(request.headers.get("if-none-match", "")):
                return Response(status_code=304, headers={"ETag": etag, **PRIVATE})
        try:
            response = call.fn(web, **request.path_params)
        except KanvaroError as exc:
            response = web.error(exc)
        if etag is not None and response.status_code == 200:
            response.headers["ETag"] = etag
            response.headers.update(PRIVATE)
        if ctx.new_session_token is not None:
            response._kanvaro_cookie = (ctx.new_session_token, new_csrf_secret())  # type: ignore[attr-defined]
        elif ctx.ended_session:
            response._kanvaro_cookie = ("", new_csrf_secret())  # type: ignore[attr-defined]
        if response.status_code >= 400:
            raise _Rollback(response)
        return response

    try:
        return uow.run(call.app, call.caller, work, write=request.method == "POST")
    except _Rollback as rb:
        return rb.response
    except Exception as exc:
        if is_transient(exc):  # the database is away: one line, not a trace per request
            log.warning("request %s: database unavailable: %s", request_id(request), exc)
            return error_page(call.app, request, 503)
        log.exception("request %s failed", request_id(request))
        return error_page(call.app, request, 500)


__all__ = ["Web", "client_addr", "origin_ok", "view"]
