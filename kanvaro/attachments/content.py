"""What a file is, read from its bytes alone: its digest, size and type, and how it is served.

The client's Content-Type and the file's extension are never believed (SPEC §8): a file named
`x.png` holding HTML is text, served as a download. docs/attachments.md gives the rules.
"""

from __future__ import annotations

import codecs
import hashlib
import unicodedata
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import quote

import filetype

CHUNK = 64 * 1024
HEAD = 8192  # what filetype looks at
OCTET = "application/octet-stream"
TEXT = "text/plain"
# Shown in the page and in the browser's own tab; anything else is downloaded.
INLINE = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
MAX_NAME = 255


@dataclass(frozen=True)
class Content:
    sha256: str
    size: int
    content_type: str


def describe(file: BinaryIO) -> Content:
    """Read the file once from its start, in chunks: its SHA-256, size and sniffed type."""
    file.seek(0)
    digest = hashlib.sha256()
    head = bytearray()
    size = 0
    decoder = codecs.getincrementaldecoder("utf-8")()
    text = True
    while chunk := file.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if len(head) < HEAD:
            head += chunk[:HEAD - len(head)]
        if text:
            text = _still_text(decoder, chunk)
    if text:
        text = _still_text(decoder, b"", final=True)
    return Content(digest.hexdigest(), size, sniff(bytes(head), text=text and size > 0))


def _still_text(decoder: codecs.IncrementalDecoder, chunk: bytes, final: bool = False) -> bool:
    if b"\x00" in chunk:
        return False
    try:
        decoder.decode(chunk, final)
    except UnicodeDecodeError:
        return False
    return True


def sniff(head: bytes, *, text: bool) -> str:
    """The type filetype finds in the first bytes; else text/plain for UTF-8 without NUL;
    else application/octet-stream."""
    kind = filetype.guess(head) if head else None
    if kind is not None:
        return str(kind.mime)[:100]
    return TEXT if text else OCTET


def served_type(content_type: str) -> str:
    """The Content-Type a download goes out with (text is UTF-8: that is how it was sniffed)."""
    return f"{TEXT}; charset=utf-8" if content_type == TEXT else content_type


def disposition(filename: str, content_type: str) -> str:
    """Content-Disposition: inline only for the four image types, the name in RFC 8187 form."""
    kind = "inline" if content_type in INLINE else "attachment"
    return f"{kind}; filename*=UTF-8''{quote(filename, safe='')}"


def clean_filename(name: str) -> str:
    """The name as sent, in NFC, without control or format characters (NUL, a right-to-left
    override) and with spaces at the ends trimmed; at most 255 characters, keeping a short
    extension; "file" when nothing is left."""
    name = unicodedata.normalize("NFC", name)
    name = "".join(c for c in name if c == " " or c.isprintable()).strip()
    if not name:
        return "file"
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        ext = dot + ext if stem and len(ext) <= 16 else ""
        name = name[:MAX_NAME - len(ext)].rstrip() + ext
    return name


def size_text(size: int) -> str:
    """"512 bytes", "4.2 kB", "10 MB": decimal units, as the upload limit is given."""
    if size < 1000:
        return f"{size} byte{'' if size == 1 else 's'}"
    value = float(size)
    for unit in ("kB", "MB"):
        value /= 1000
        if value < 999.95:
            return f"{value:.1f}".removesuffix(".0") + f" {unit}"
    return f"{value / 1000:.1f}".removesuffix(".0") + " GB"
