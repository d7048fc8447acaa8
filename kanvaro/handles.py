"""Handles: the `@name` a person is mentioned by (SPEC §8), unique per organization.

A handle is made from the name when a person joins (every way of joining inserts a `User`;
the mapper hook below fills an empty handle, so none of them can forget it) and can be
changed at /account.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import event, select

from kanvaro.accounts.models import User

HANDLE_RE = re.compile(r"[a-z0-9][a-z0-9._-]{1,29}")
# In text: `@handle` not preceded by a word character or another @ (so emails stay emails).
MENTION_RE = re.compile(r"(?<![\w@.])@([a-z0-9][a-z0-9._-]{1,29})(?<![._-])", re.IGNORECASE)


def valid_handle(value: str) -> bool:
    return HANDLE_RE.fullmatch(value) is not None


def base_handle(name: str) -> str:
    """`Zoë O'Brien` -> `zoe.o.brien`: ASCII, lower case, at most 26 characters."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9._-]+", ".", text).strip("._-")
    text = re.sub(r"[._-]{2,}", ".", text)[:26].strip("._-")
    return text if len(text) >= 2 else f"user{text}"


def free_handle(conn: Any, org_id: int, name: str) -> str:
    """The name's handle, numbered (`ana2`) if someone in the organization has it already."""
    base = base_handle(name)
    taken = set(conn.execute(
        select(User.handle).where(User.organization_id == org_id,
                                  User.handle.like(f"{base}%"))  # type: ignore[attr-defined]
    ).scalars())
    handle, n = base, 1
    while handle in taken:
        n += 1
        handle = f"{base}{n}"
    return handle


@event.listens_for(User, "before_insert")
def _made_from_the_name(mapper: Any, connection: Any, user: User) -> None:
    if not user.handle:
        user.handle = free_handle(connection, user.organization_id, user.name)
