"""A POST's body, read and checked on the event loop: a form of text fields, or an upload of
one file; then its CSRF token and Origin (SPEC §6).

A form is read whole (the Guard caps it at KANVARO_MAX_BODY_BYTES) and must be UTF-8
(kanvaro.web.bodies). An upload (the routes of `@view(upload=...)`) is multipart only and read
by Starlette's own parser, which spools the file to a temporary file past 1 MB, so it is never
held whole in memory; the Guard caps its body at KANVARO_MAX_UPLOAD_BYTES and a little more,
and the file itself is held to the limit here.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from kanvaro.middleware import TooLarge
from kanvaro.security import csrf_matches
from kanvaro.settings import Settings
from kanvaro.web.bodies import MULTIPART, body_is_utf8

# An upload's text fields beside its file (the CSRF token, and room for a client's extras),
# held in memory: so few and short that they never add up to much.
UPLOAD_FIELDS = 50
UPLOAD_FIELD_BYTES = 16 * 1024


async def read_post(request: Request, settings: Settings, *, upload: bool, csrf: bool,
                    secret: str | None) -> FormData | int:
    """The body, or the status that refuses it (400, 403, 413). `csrf`: the request comes with
    the session cookie, which a browser sends on its own, so it must carry the token of
    `secret` (field `csrf_token` or header X-CSRF-Token) and no foreign Origin."""
    form = await (read_upload if upload else read_form)(request, settings)
    if isinstance(form, int) or not csrf:
        return form
    token = form.get("csrf_token") or request.headers.get("x-csrf-token")
    if csrf_matches(secret, token if isinstance(token, str) else None) and origin_ok(request, settings):
        return form
    await form.close()
    return 403


def origin_ok(request: Request, settings: Settings) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return True
    parts = urlsplit(origin)
    host = request.headers.get("host", "")
    if parts.scheme in {"http", "https"} and parts.netloc == host:
        return True
    return origin.rstrip("/") == settings.base_url


async def read_form(request: Request, settings: Settings) -> FormData | int:
    """The form, or the status that refuses it (400)."""
    body = await request.body()  # form() below reads it from here
    if not body_is_utf8(request.headers.get("content-type", ""), body):
        return 400
    try:
        return await request.form(max_files=0, max_fields=2000,
                                  max_part_size=settings.max_body_bytes)
    except Exception:  # noqa: BLE001 (any malformed body: nothing to act on)
        return 400


async def read_upload(request: Request, settings: Settings) -> FormData | int:
    """The fields and the one file of an upload, or the status that refuses it (400, 413).

    Part names and text fields are decoded by Starlette (UTF-8, else Latin-1): they are the
    CSRF token and the file's name, which the attachments area cleans (docs/attachments.md)."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";", 1)[0].strip().lower() != MULTIPART:
        return 400
    try:
        form = await request.form(max_files=1, max_fields=UPLOAD_FIELDS,
                                  max_part_size=UPLOAD_FIELD_BYTES)
    except TooLarge:  # the Guard's count: it answers 413
        raise
    except Exception:  # noqa: BLE001 (malformed, more than one file, a field too long)
        return 400
    if any(isinstance(v, UploadFile) and (v.size or 0) > settings.max_upload_bytes
           for _, v in form.multi_items()):
        await form.close()
        return 413
    return form


def files_of(form: FormData | None) -> tuple[tuple[str, UploadFile], ...]:
    """The files of a body, by field name."""
    if form is None:
        return ()
    return tuple((k, v) for k, v in form.multi_items() if isinstance(v, UploadFile))
