"""Form bodies are UTF-8 or nothing (issue 9): a bad byte answers 400 before any parsing.

Starlette decodes what it cannot read as U+FFFD (urlencoded) or as Latin-1 (multipart), so a
client's broken bytes would be stored as text nobody typed. The check runs on the body as
sent, which the view wrapper has read anyway (its size is capped by the Guard middleware).
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def body_is_utf8(content_type: str, body: bytes) -> bool:
    """True when every name and value of a form body is UTF-8 text.

    Urlencoded: the body is ASCII (what browsers send) and every percent-decoded name and
    value is UTF-8. Multipart: the routes that read forms take no files, so every byte of the
    body (boundaries, part headers, values) is text and must be UTF-8 as a whole.
    """
    kind = _media_type(content_type)
    if kind == URLENCODED:
        if not body.isascii():
            return False
        return all(_utf8(unquote_to_bytes(piece.replace(b"+", b" ")))
                   for pair in body.split(b"&") for piece in pair.split(b"=", 1))
    if kind == MULTIPART:
        return _utf8(body)
    return True
