"""Answers for requests no view took: an unknown address, a method the address does not take."""

from __future__ import annotations

import logging

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from kanvaro import uow
from kanvaro.auth import SessionCookie
from kanvaro.security import SESSION_COOKIE, mask_csrf
from kanvaro.web.errors import error_page, request_id
from kanvaro.web.state import App
from kanvaro.web.view import client_addr

log = logging.getLogger("kanvaro.web")


async def routing_error(app: App, request: Request, status: int) -> Response:
    """An error page for a request no view took (an unknown address, a method not allowed):
    with the signed-in header when the session cookie names someone (the actor is read on a
    request thread; if the database is away, the page goes without it)."""
    cookie = app.signer.loads(request.cookies.get(SESSION_COOKIE))
    token, secret = cookie.get("s"), cookie.get("c")
    if not (isinstance(token, str) and token and isinstance(secret, str)) or status >= 500:
        return error_page(app, request, status)
    caller = uow.Caller(SessionCookie(token), request_id(request), client_addr(request))
    try:
        actor = await anyio.to_thread.run_sync(
            lambda: uow.run(app, caller, lambda ctx: ctx.actor, write=False),
            limiter=app.limiter(False))
    except Exception as exc:  # noqa: BLE001 (the error page must still be answered)
        log.warning("request %s: no actor for the error page: %r", request_id(request), exc)
        actor = None
    return error_page(app, request, status, actor=actor, csrf_token=mask_csrf(secret))
