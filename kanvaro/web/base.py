"""The view wrapper: session, CSRF, one transaction, and the response's shape."""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import anyio
import anyio.to_thread
from jinja2 import Environment
from sqlalchemy import Engine, bindparam, select, update
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from kanvaro.context import Ctx
from kanvaro.db import is_transient, run_in_transaction
from kanvaro.errors import KanvaroError
from kanvaro.forms.base import FormInput
from kanvaro.htmx import HtmxDetails, details, hx_location, hx_redirect, see_other, vary
from kanvaro.middleware import TooLarge
from kanvaro.models import CustomRole, Organization, User, UserSession
from kanvaro.models.base import aware
from kanvaro.permissions import Actor
from kanvaro.security import (
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    CookieSigner,
    csrf_matches,
    mask_csrf,
    new_csrf_secret,
    password_work,
    token_hash,
)
from kanvaro.settings import PASSWORD_THREADS, Settings
from kanvaro.templating import render_html
from kanvaro.web.bodies import body_is_utf8

log = logging.getLogger("kanvaro.web")
MAX_ID = 2**62
PRIVATE = {"Cache-Control": "private, no-cache", "Vary": "HX-Request, Cookie"}
TOUCH_EVERY = timedelta(minutes=5)

ERROR_TEXT = {
    400: ("Bad request", "The request could not be understood."),
    403: ("Not allowed", "You do not have permission to do that."),
    404: ("Not found", "There is nothing here, or you cannot see it."),
    405: ("Method not allowed", "This address does not accept that kind of request."),
    409: ("Changed meanwhile", "Someone else changed this while you were editing it."),
    413: ("Too large", "What you sent is larger than this server accepts."),
    422: ("Check your input", "Some fields need attention."),
    429: ("Too many attempts", "Too many attempts in a short time; wait a while and try again."),
    500: ("Something went wrong", "The server could not finish your request. Nothing was changed."),
    503: ("Temporarily unavailable", "The service is temporarily unavailable; try again shortly."),
}


@dataclass
class App:
    """What every request shares: settings, engine, templates, cookie signer."""

    settings: Settings
    engine: Engine
    env: Environment
    signer: CookieSigner
    build: str = ""  # changes when templates or static files change: part of every ETag
    _limiters: dict[bool, anyio.CapacityLimiter] = field(default_factory=dict)

    def limiter(self, password: bool) -> anyio.CapacityLimiter:
        """The threads requests run on: few (Settings.request_threads), and apart for the
        views that hash passwords. Made on first use, inside the event loop."""
        limiter = self._limiters.get(password)
        if limiter is None:
            size = PASSWORD_THREADS if password else self.settings.request_threads()
            limiter = self._limiters[password] = anyio.CapacityLimiter(size)
        return limiter


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

    def render(
        self, template: str, *, block: str | None = None, http_status: int = 200, **context: Any
    ) -> Response:
        """The whole page, or the named block of it for a non-boosted htmx request."""
        context.update(web=self, actor=self.ctx.actor, csrf_token=self.csrf_token,
                       request=self.request, hx=self.hx)
        chosen = block if self.hx.partial else None
        if chosen and "#" in chosen:  # a block of an included template: "file.html#block"
            template, chosen = chosen.split("#", 1)
        response = render_html(self.app.env, template, context, block=chosen, status=http_status)
        return vary(response)

    def done(self, url: str) -> Response:
        """After a successful POST: 303 to a page, or HX-Location for htmx."""
        response = hx_location(url) if self.hx.partial else see_other(url)
        return vary(response)

    def error(self, exc: KanvaroError) -> Response:
        status = exc.status_code
        title, text = ERROR_TEXT.get(status, ERROR_TEXT[500])
        return self.render("error.html", block="error", http_status=status, status_code=status,
                           title=title, text=text, request_id=self.ctx.request_id)


def client_addr(request: Request) -> str:
    return request.client.host if request.client else ""


def request_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", ""))


def origin_ok(request: Request, settings: Settings) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return True
    parts = urlsplit(origin)
    host = request.headers.get("host", "")
    if parts.scheme in {"http", "https"} and parts.netloc == host:
        return True
    return origin.rstrip("/") == settings.base_url


# Built once: every request runs it, and building a statement costs more than running it.
_ACTOR = (
    select(
        UserSession.id, UserSession.created_at, UserSession.last_seen_at,
        User.id, User.organization_id, User.name, User.email, User.role,
        CustomRole.permissions, Organization.revision,
    )
    .join(User, User.id == UserSession.user_id)
    .join(Organization, Organization.id == User.organization_id)
    .outerjoin(CustomRole, CustomRole.id == User.custom_role_id)
    .where(UserSession.token_hash == bindparam("token_hash"), User.is_active.is_(True))  # type: ignore[attr-defined]
)
_TOUCH = (
    update(UserSession).where(UserSession.id == bindparam("sid"))
    .values(last_seen_at=bindparam("now"))
)


def load_actor(db: Session, token: str | None, now: datetime) -> tuple[Actor | None, int]:
    """Session, user, custom role and the organization's revision in one query.

    An inactive user, or an expired session, is no one.
    """
    if not token:
        return None, 0
    conn = db.connection()
    row = conn.execute(_ACTOR, {"token_hash": token_hash(token)}).first()
    if row is None:
        return None, 0
    sid, created, seen, uid, org_id, name, email, role, custom, revision = row
    if now - (aware(created) or now) > timedelta(seconds=SESSION_MAX_AGE):
        return None, 0
    if now - (aware(seen) or now) > TOUCH_EVERY:
        conn.execute(_TOUCH, {"sid": sid, "now": now})
    actor = Actor.build(id=uid, organization_id=org_id, name=name, email=email, role=role,
                        custom_permissions=custom or ())
    return actor, revision


def page_href(filters: dict[str, Any]) -> Callable[[int], str]:
    """`href(n)` for the pager macro: page n of the same list, with the filters that are set."""
    kept = {k: v for k, v in filters.items() if v not in (None, "")}
    return lambda n: "?" + urlencode({**kept, "page": n})


def etag_for(app: App, resource: str, actor: Actor, revision: int, csrf_secret: str,
             hx: HtmxDetails, now: datetime) -> str:
    """Everything a logged-in page depends on: the address itself (so one page's tag never
    answers for another, issue 9), the org's data, who asks, the day, the build."""
    key = "|".join((
        resource, app.build, str(revision), str(actor.id), actor.role,
        ",".join(sorted(actor.permissions)),
        csrf_secret, "1" if hx.request else "0", "1" if hx.boosted else "0",
        now.date().isoformat(),
    ))
    return 'W/"' + hashlib.blake2b(key.encode(), digest_size=12).hexdigest() + '"'


def _tags(header: str) -> set[str]:
    """The entity tags of an If-None-Match header."""
    return {tag.strip() for tag in header.split(",") if tag.strip()}


def _cookie(app: App, response: Response, session: str, csrf: str) -> None:
    response.set_cookie(
        SESSION_COOKIE, app.signer.dumps({"s": session, "c": csrf}),
        max_age=SESSION_MAX_AGE, httponly=True, samesite="lax", secure=app.settings.https, path="/",
    )


def bare_error(app: App, request: Request, status: int) -> Response:
    """An error page rendered without the database (CSRF failures, routing errors)."""
    title, text = ERROR_TEXT.get(status, ERROR_TEXT[500])
    hx = details(request)
    ctx = {"title": title, "text": text, "status_code": status, "request_id": request_id(request),
           "actor": None, "csrf_token": "", "request": request, "hx": hx, "web": None}
    return vary(render_html(app.env, "error.html", ctx, block="error" if hx.partial else None,
                            status=status))


Handler = Callable[..., Response]


Prepare = Callable[["Web"], None]


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
                    return bare_error(app, request, 404)
            if any("\x00" in k + v for k, v in request.query_params.multi_items()):
                # No text of the app holds NUL, and PostgreSQL refuses it in a query.
                return bare_error(app, request, 400)
            cookie = app.signer.loads(request.cookies.get(SESSION_COOKIE))
            csrf_secret = cookie.get("c") if isinstance(cookie.get("c"), str) else None
            session_token = cookie.get("s") if isinstance(cookie.get("s"), str) else None
            form = None
            if request.method == "POST":
                body = await request.body()  # form() below reads it from here
                if not body_is_utf8(request.headers.get("content-type", ""), body):
                    return bare_error(app, request, 400)
                try:
                    raw = await request.form(max_files=0, max_fields=2000, max_part_size=app.settings.max_body_bytes)
                except TooLarge:
                    raise
                except Exception:  # noqa: BLE001 (any malformed body: nothing to act on)
                    return bare_error(app, request, 400)
                token = raw.get("csrf_token") or request.headers.get("x-csrf-token")
                if not (csrf_matches(csrf_secret, token if isinstance(token, str) else None)
                        and origin_ok(request, app.settings)):
                    return bare_error(app, request, 403)
                form = FormInput(raw)
            fresh_csrf = csrf_secret is None
            if fresh_csrf:
                csrf_secret = new_csrf_secret()
            args = (app, request, fn, form, session_token, csrf_secret, login)
            if password is None:
                call = functools.partial(_handle, *args)
            else:
                call = functools.partial(_handle_with_passwords, password, *args)
            response = await anyio.to_thread.run_sync(call, limiter=app.limiter(password is not None))
            ctx_new = getattr(response, "_kanvaro_cookie", None)
            if ctx_new is not None:
                _cookie(app, response, *ctx_new)
            elif fresh_csrf:
                _cookie(app, response, session_token or "", csrf_secret)
            return response

        endpoint.password_threads = password is not None  # type: ignore[attr-defined]
        return endpoint

    return decorate


def _web(
    app: App, request: Request, db: Session, form: FormInput | None,
    session_token: str | None, csrf_secret: str,
) -> tuple[Web, int]:
    """The request as a route sees it, and the organization's revision."""
    now = datetime.now(UTC)
    actor, revision = load_actor(db, session_token, now)
    ctx = Ctx(db=db, actor=actor, now=now, settings=app.settings,
              request_id=request_id(request), client_addr=client_addr(request),
              user_agent=request.headers.get("user-agent", ""))
    web = Web(request=request, app=app, ctx=ctx, hx=details(request), form=form,
              csrf_token=mask_csrf(csrf_secret), session_token=session_token)
    return web, revision


def _handle_with_passwords(
    prepare: Prepare, app: App, request: Request, fn: Handler, form: FormInput | None,
    session_token: str | None, csrf_secret: str, login: bool,
) -> Response:
    """A password view: its argon2 work first, on a read-only transaction, then the request.
    The write transaction (and SQLite's write lock) is not held while argon2 runs."""
    with password_work():
        if form is not None:
            try:
                run_in_transaction(
                    app.engine,
                    lambda db: prepare(_web(app, request, db, form, session_token, csrf_secret)[0]),
                    write=False,
                )
            except Exception as exc:  # noqa: BLE001 (the request itself gives the answer)
                log.debug("request %s: password work ahead refused: %r", request_id(request), exc)
        return _handle(app, request, fn, form, session_token, csrf_secret, login)


def _handle(
    app: App, request: Request, fn: Handler, form: FormInput | None,
    session_token: str | None, csrf_secret: str, login: bool,
) -> Response:
    write = request.method == "POST"

    def work(db: Session) -> Response:
        web, revision = _web(app, request, db, form, session_token, csrf_secret)
        ctx, actor, hx, now = web.ctx, web.ctx.actor, web.hx, web.ctx.now
        if login and actor is None:
            if hx.partial:  # a boosted request is a navigation: it gets the 303 below
                raise _Rollback(vary(hx_redirect("/login")))
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            next_url = target if request.method == "GET" else "/projects"
            raise _Rollback(see_other("/login?next=" + quote(next_url, safe="")))
        etag = None
        if request.method == "GET" and actor is not None:
            # Conditional GET: answered before any rendering when nothing it shows changed.
            resource = request.url.path + "?" + request.url.query
            etag = etag_for(app, resource, actor, revision, csrf_secret, hx, now)
            if etag in _tags(request.headers.get("if-none-match", "")):
                return Response(status_code=304, headers={"ETag": etag, **PRIVATE})
        try:
            response = fn(web, **request.path_params)
        except KanvaroError as exc:
            response = web.error(exc)
        if etag is not None and response.status_code == 200:
            response.headers["ETag"] = etag
            response.headers.update(PRIVATE)
        if ctx.new_session_token is not None:
            response._kanvaro_cookie = (ctx.new_session_token, new_csrf_secret())  # type: ignore[attr-defined]
        elif ctx.ended_session:
            response._kanvaro_cookie = ("", new_csrf_secret())  # type: ignore[attr-defined]
        if response.status_code >= 400 and not ctx.notes.get("commit_on_error"):
            raise _Rollback(response)
        return response

    try:
        return run_in_transaction(app.engine, work, write=write)
    except _Rollback as rb:
        return rb.response
    except Exception as exc:
        if is_transient(exc):  # the database is away: one line, not a trace per request
            log.warning("request %s: database unavailable: %s", request_id(request), exc)
            return bare_error(app, request, 503)
        log.exception("request %s failed", request_id(request))
        return bare_error(app, request, 500)
