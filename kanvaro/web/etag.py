"""Conditional GET: a page's ETag, and the If-None-Match it answers with 304."""

from __future__ import annotations

import hashlib
from datetime import datetime

from kanvaro.htmx import HtmxDetails
from kanvaro.permissions import Actor

PRIVATE = {"Cache-Control": "private, no-cache", "Vary": "HX-Request, Cookie"}


def etag_for(build: str, resource: str, actor: Actor, revision: int, csrf_secret: str,
             hx: HtmxDetails, now: datetime) -> str:
    """Everything a logged-in page depends on: the address itself (so one page's tag never
    answers for another, issue 9), the org's data, who asks, the day, the build."""
    key = "|".join((
        resource, build, str(revision), str(actor.id), actor.role, actor.theme, str(actor.unread),
        ",".join(sorted(actor.permissions)),
        csrf_secret, "1" if hx.request else "0", "1" if hx.boosted else "0",
        now.date().isoformat(),
    ))
    return 'W/"' + hashlib.blake2b(key.encode(), digest_size=12).hexdigest() + '"'


def tags(header: str) -> set[str]:
    """The entity tags of an If-None-Match header."""
    return {tag.strip() for tag in header.split(",") if tag.strip()}
