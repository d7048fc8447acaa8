"""Pure ASGI middleware: request ids, security headers, the body size limit."""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("kanvaro")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


def _vary_hx(headers: list[tuple[bytes, bytes]]) -> None:
    """Every answer of the app depends on HX-Request (page or fragment, 303 or HX-Location):
    say so once, here, for caches (SPEC §4)."""
    for i, (name, value) in enumerate(headers):
        if name.lower() == b"vary":
            if b"hx-request" not in value.lower():
                headers[i] = (name, value + b", HX-Request")
            return
    headers.append((b"vary", b"HX-Request"))


# The routes whose body may pass max_body: a file up to max_upload (an attachment, SPEC §8; a
# file to import, §13), with room for the form's other fields and the multipart framing
# around it. Its exact file size is checked once the body is parsed (kanvaro.web.reading);
# this bound is what is ever read of a body.
UPLOAD_PATH = re.compile(r"/tasks/[0-9]+/attachments|/projects/[0-9]+/import")
UPLOAD_SLACK = 64 * 1024


class TooLarge(Exception):
    pass


class Guard:
    """Gives each request an id, adds the security headers, refuses oversized bodies."""

    def __init__(self, app: ASGIApp, max_body: int, on_error: Any, max_upload: int = 0) -> None:
        self.app = app
        self.max_body = max_body
        self.upload_body = max(max_body, max_upload + UPLOAD_SLACK) if max_upload else max_body
        self.on_error = on_error

    def limit(self, scope: Scope) -> int:
        """How many bytes of body this request may send."""
        if scope.get("method") == "POST" and UPLOAD_PATH.fullmatch(scope.get("path", "")):
            return self.upload_body
        return self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = secrets.token_hex(8)
        static = scope.get("path", "").startswith("/static/")
        scope.setdefault("state", {})["request_id"] = rid
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers.extend(h for h in HEADERS if h[0] not in present)
                if not static:
                    _vary_hx(headers)
                headers.append((b"x-request-id", rid.encode()))
                message["headers"] = headers
            await send(message)

        limit = self.limit(scope)
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await self.on_error(scope, send_wrapper, 413)
            return
        received = 0

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise TooLarge()
            return message

        try:
            await self.app(scope, receive_limited, send_wrapper)
        except TooLarge:
            if not started:
                await self.on_error(scope, send_wrapper, 413)
        except Exception:
            # Handled here rather than by Starlette's outermost error middleware, so the
            # 500 page still carries the request id and the security headers.
            log.exception("request %s failed", rid)
            if not started:
                await self.on_error(scope, send_wrapper, 500)
