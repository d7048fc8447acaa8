"""The feeds' own small adapter around the unit of work: no cookie, no CSRF, no session.

A calendar app fetches a feed with nothing but its URL, so the wrapper takes the actor from
the link's token (kanvaro.calendar.auth.CalendarToken) instead of the cookie `@view()`
reads, runs the route on a request thread in a read-only unit of work, and answers errors
through the one renderer. An unknown, remade or turned-off token, a deactivated person, or a
project they may not see now are all the same 404.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from kanvaro import uow
from kanvaro.calendar.auth import CalendarToken
from kanvaro.context import Ctx
from kanvaro.db import is_transient
from kanvaro.errors import KanvaroError, NotFound
from kanvaro.web.convertors import MAX_ID
from kanvaro.web.errors import error_page, request_id
from kanvaro.web.etag import tags

log = logging.getLogger("kanvaro.calendar")
MEDIA_TYPE = "text/calendar; charset=utf-8"
# The link is the secret: no shared cache may keep the answer, and it is asked again each time.
HEADERS = {"Cache-Control": "private, no-cache", "X-Robots-Tag": "noindex"}
Feed = Callable[..., bytes]  # fn(ctx, url, **path_params) -> the iCalendar document


def feed_view(fn: Feed) -> Callable[[Request], Any]:
    """Wrap `fn(ctx, url, **path_params)`; the path's `feed_token` names the actor."""

    @functools.wraps(fn)
    async def endpoint(request: Request) -> Response:
        app = request.app.state.kanvaro
        params = dict(request.path_params)
        token = str(params.pop("feed_token", ""))
        if any(isinstance(v, int) and v > MAX_ID for v in params.values()):
            return error_page(app, request, 404)
        caller = uow.Caller(CalendarToken(token), request_id(request),
                            request.client.host if request.client else "",
                            request.headers.get("user-agent", ""))

        def work(ctx: Ctx) -> tuple[str, bytes | None]:
            actor = ctx.actor
            if actor is None:
                raise NotFound("calendar")
            # What the document depends on, known before building it (a big feed takes
            # seconds): any change the feed could show bumps the organization's revision.
            key = "|".join((request.url.path, app.build, str(ctx.revision), str(actor.id),
                            actor.role, ",".join(sorted(actor.permissions))))
            etag = '"' + hashlib.blake2b(key.encode(), digest_size=12).hexdigest() + '"'
            if etag in tags(request.headers.get("if-none-match", "")):
                return etag, None
            return etag, fn(ctx, app.url, **params)

        try:
            etag, body = await anyio.to_thread.run_sync(
                functools.partial(uow.run, app, caller, work, write=False),
                limiter=app.limiter(False))
        except KanvaroError as exc:
            return error_page(app, request, exc.status_code)
        except Exception as exc:  # logged here, answered with the error page
            if is_transient(exc):
                log.warning("request %s: database unavailable: %s", request_id(request), exc)
                return error_page(app, request, 503)
            log.exception("request %s failed", request_id(request))
            return error_page(app, request, 500)
        if body is None:
            return Response(status_code=304, headers={"ETag": etag, **HEADERS})
        return Response(body, media_type=MEDIA_TYPE, headers={"ETag": etag, **HEADERS})

    endpoint.password_threads = False  # type: ignore[attr-defined]
    return endpoint
