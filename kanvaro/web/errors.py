"""The one error renderer: a page without htmx, a fragment with it (STYLE habit 7)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from kanvaro.htmx import details
from kanvaro.permissions import Actor
from kanvaro.templating import render_html
from kanvaro.web.state import App

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


def request_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", ""))


def error_page(
    app: App, request: Request, status: int, *, actor: Actor | None = None, csrf_token: str = "",
    web: Any = None,
) -> Response:
    """The error page (or its fragment for htmx) for `status`, naming the request id.

    Rendered without the database, so it also serves when the database is away or the
    request never reached a view (CSRF failures, routing errors, a body too large)."""
    title, text = ERROR_TEXT.get(status, ERROR_TEXT[500])
    hx = details(request)
    context = {"title": title, "text": text, "status_code": status,
               "request_id": request_id(request), "actor": actor, "csrf_token": csrf_token,
               "request": request, "hx": hx, "web": web}
    return render_html(app.env, "error.html", context, block="error" if hx.partial else None,
                       status=status)
