"""The HTML adapter around the unit of work: cookie, CSRF, one transaction, the response's shape.

A route is a plain function `fn(web, **path_params) -> Response`, wrapped by `@view()`. The
wrapper reads and checks the body on the event loop (size, UTF-8, CSRF for a cookie-
authenticated POST; kanvaro.web.reading), then runs the route on a request thread inside
`uow.run`, and answers every error through the one renderer (kanvaro.web.errors). A refused
request (4xx) is rolled back whole. An upload route (`@view(upload=check)`) takes one file
instead of a form: its `check` refuses what it can before a byte of the body is read.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

import anyio
import anyio.to_thread
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from kanvaro import uow
from kanvaro.auth import SessionCookie
from kanvaro.context import Ctx
from kanvaro.db import is_transient
from kanvaro.errors import KanvaroError
from kanvaro.forms import FormInput
from kanvaro.htmx import HtmxDetails, details, hx_redirect, see_other
from kanvaro.security import (
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    mask_csrf,
    new_csrf_secret,
    password_work,
)
from kanvaro.web.convertors import MAX_ID
from kanvaro.web.errors import error_page, request_id
from kanvaro.web.etag import PRIVATE, etag_for, tags
from kanvaro.web.flash import pending
from kanvaro.web.reading import files_of, origin_ok, read_post
from kanvaro.web.route import Web
from kanvaro.web.state import App

log = logging.getLogger("kanvaro.web")


class _Rollback(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def client_addr(request: Request) -> str:
    return request.client.host if request.client else ""


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
    revisioned: bool = True
    files: tuple[tuple[str, UploadFile], ...] = ()

    @property
    def caller(self) -> uow.Caller:
        return uow.Caller(self.authenticator, request_id(self.request), client_addr(self.request),
                          self.request.headers.get("user-agent", ""))

    def web(self, ctx: Ctx) -> Web:
        return Web(request=self.request, app=self.app, ctx=ctx, hx=details(self.request),
                   form=self.form, csrf_token=mask_csrf(self.csrf_secret),
                   session_token=self.authenticator.token, files=self.files)


def view(
    *, login: bool = True, password: Prepare | None = None, upload: Handler | None = None,
    revisioned: bool = True,
) -> Callable[[Handler], Callable[[Request], Any]]:
    """Wrap a plain route function `fn(web, **path_params) -> Response`.

    `password`, for the views that hash or check a password: a function doing that work ahead
    (an action's prepare_*), run before the write transaction; such views run on threads apart.

    `upload`, for a route taking a file (multipart, one file, up to KANVARO_MAX_UPLOAD_BYTES:
    kanvaro.web.reading): `upload(web, **path_params)` runs before the body is read, on a
    read-only transaction, and refuses what it can (an action's loader and permission check:
    404, 403); not logged in, the request goes to the login page unread. The CSRF token and
    Origin are then checked as for every POST.

    `revisioned=False`, for a page showing what changes without the organization's revision
    (a token's last use, written by the API): it gets no ETag and is never answered 304.
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
            fresh_csrf = csrf_secret is None
            secret = csrf_secret if csrf_secret is not None else new_csrf_secret()
            call = _Call(app, request, fn, None, authenticator, secret, login, revisioned)
            raw: FormData | None = None
            try:
                if request.method == "POST":
                    if upload is not None:
                        early = await anyio.to_thread.run_sync(
                            functools.partial(_ahead, call, upload), limiter=app.limiter(False))
                        if early is not None:
                            return early
                    read = await read_post(request, app.settings, upload=upload is not None,
                                           csrf=authenticator.csrf, secret=csrf_secret)
                    if isinstance(read, int):
                        return error_page(app, request, read)
                    raw = read
                    call = replace(call, form=FormInput(raw), files=files_of(raw))
                work = (functools.partial(_handle, call) if password is None
                        else functools.partial(_handle_with_passwords, password, call))
                response = await anyio.to_thread.run_sync(work, limiter=app.limiter(password is not None))
            finally:
                if raw is not None:
                    await raw.close()  # an upload's spooled files
            ctx_new = getattr(response, "_kanvaro_cookie", None)
            if ctx_new is not None:
                _cookie(app, response, *ctx_new)
            elif fresh_csrf:
                _cookie(app, response, session_token or "", secret)
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
            raise _Rollback(_to_login(request, hx))
        etag = None
        if request.method == "GET" and call.revisioned and actor is not None and not pending(request):
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
    except Exception as exc:  # noqa: BLE001 (logged there)
        return _failed(call, exc)


def _ahead(call: _Call, check: Handler) -> Response | None:
    """An upload's checks before its body is read: None to go on, else the answer."""

    def work(ctx: Ctx) -> Response | None:
        web = call.web(ctx)
        if ctx.actor is None:
            return _to_login(call.request, web.hx) if call.login else None
        try:
            check(web, **call.request.path_params)
        except KanvaroError as exc:
            return web.error(exc)
        return None

    try:
        return uow.run(call.app, call.caller, work, write=False)
    except Exception as exc:  # noqa: BLE001 (logged there)
        return _failed(call, exc)


def _to_login(request: Request, hx: HtmxDetails) -> Response:
    """Not logged in: to the login page, back here afterwards if this was a page."""
    if hx.partial:  # a boosted request is a navigation: it gets the 303 below
        return hx_redirect("/login")
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    next_url = target if request.method == "GET" else "/projects"
    return see_other("/login?next=" + quote(next_url, safe=""))


def _failed(call: _Call, exc: Exception) -> Response:
    request = call.request
    if is_transient(exc):  # the database is away: one line, not a trace per request
        log.warning("request %s: database unavailable: %s", request_id(request), exc)
        return error_page(call.app, request, 503)
    log.exception("request %s failed", request_id(request))
    return error_page(call.app, request, 500)


__all__ = ["Web", "client_addr", "origin_ok", "view"]
