"""Cursor pagination (SPEC §13): `?limit=` (1 to 200) and an opaque `?cursor=`.

A cursor names the last id of the page before; lists are in id order, so a page is one
index range whatever its depth, and rows added meanwhile never shift the pages.
"""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import select

from kanvaro.api.endpoint import Query
from kanvaro.errors import Invalid

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
QUERY = (
    Query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
          "How many items a page holds."),
    Query("cursor", {"type": "string"}, "The `next_cursor` of the page before."),
)


def encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode(cursor: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    kind, _, value = text.partition(":")
    if kind != "id" or not (value.isascii() and value.isdigit()) or len(value) > 18:
        return None
    return int(value)


def window(params: Any) -> tuple[int, int]:
    """(limit, the id to start after) of `?limit=` and `?cursor=`, or Invalid."""
    errors: dict[str, list[str]] = {}
    raw = params.get("limit")
    limit = DEFAULT_LIMIT
    if raw is not None:
        if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_LIMIT:
            limit = int(raw)
        else:
            errors["limit"] = [f"A number from 1 to {MAX_LIMIT}."]
    after = 0
    cursor = params.get("cursor")
    if cursor:
        found = decode(cursor)
        if found is None:
            errors["cursor"] = ["Not a cursor this API gave."]
        else:
            after = found
    if errors:
        raise Invalid(errors=errors)
    return limit, after


def listed(ctx: Any, model: Any, cond: Any, params: Any, shape: Any) -> dict[str, Any]:
    """A page of `model` rows matching `cond` (the caller's scoped condition), in id order,
    each as `shape(row)`: the one way the API lists stories, comments and people."""
    limit, after = window(params)
    rows = ctx.db.scalars(select(model).where(cond, model.id > after)
                          .order_by(model.id).limit(limit + 1))
    return page([shape(r) for r in rows], limit)


def page(items: list[dict[str, Any]], limit: int) -> dict[str, Any]:
    """A page of `items` fetched with `limit + 1`: the extra one says there is more."""
    more = len(items) > limit
    items = items[:limit]
    return {"items": items, "next_cursor": encode(items[-1]["id"]) if more and items else None}


def choice(params: Any, name: str, allowed: Any) -> str | None:
    """A filter that must be one of `allowed` (None when not given), or Invalid."""
    value = params.get(name)
    if value is None:
        return None
    if value not in allowed:
        raise Invalid(errors={name: [f"One of: {', '.join(allowed)}."]})
    return str(value)


def text(params: Any, name: str, longest: int) -> str:
    """A text filter (empty when not given), or Invalid when longer than `longest`."""
    value = params.get(name) or ""
    if len(value) > longest:
        raise Invalid(errors={name: [f"At most {longest} characters."]})
    return value.strip()


def number(params: Any, name: str) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise Invalid(errors={name: ["An id (digits)."]})
    return int(value)
