"""Flash messages: what a successful change says on the page it leads to (SPEC §4's 303).

The message rides a short-lived signed cookie across the redirect and is shown, once, by the
next whole page (`role="status"`, focused by kanvaro.js). A page showing one is never cached
nor answered 304, so it cannot come back from a cache."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from kanvaro.web.state import App

FLASH_COOKIE = "kanvaro_flash"
FLASH_MAX_AGE = 120  # seconds: enough for a slow redirect, not to turn up much later


@dataclass(frozen=True)
class Flash:
    message: str
    # the id of a form to show open again, its first field focused ("Add a task" stays open)
    reopen: str = ""
    # a link the inviter copies when mail only goes to the outbox (no SMTP server)
    link: str = ""


def set_flash(app: App, response: Response, flash: Flash) -> Response:
    data = {"kind": "flash", "m": flash.message, "o": flash.reopen, "l": flash.link}
    response.set_cookie(FLASH_COOKIE, app.signer.dumps(data), max_age=FLASH_MAX_AGE,
                        httponly=True, samesite="lax", secure=app.settings.https, path="/")
    return response


def pending(request: Request) -> bool:
    return FLASH_COOKIE in request.cookies


def read_flash(app: App, request: Request) -> Flash | None:
    """The flash the request carries, if any (the page that shows it drops the cookie)."""
    data = app.signer.loads(request.cookies.get(FLASH_COOKIE))
    if data.get("kind") != "flash" or not isinstance(data.get("m"), str):
        return None
    return Flash(data["m"], str(data.get("o") or ""), str(data.get("l") or ""))
