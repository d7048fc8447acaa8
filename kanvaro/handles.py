"""Handles: the `@name` a person is mentioned by (SPEC §8), unique per organization.

A handle is made from the name when a person joins (every way of joining adds a `User`; the
flush hook below fills each empty handle, so none of them can forget it) and can be changed
at /account.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from kanvaro.accounts.models import User

HANDLE_RE = re.compile(r"[a-z0-9][a-z0-9._-]{1,29}")
# In text: `@handle` not preceded by a word character or another @ (so emails stay emails).
# Greedy: "@ana." may name the handle "ana." or, at the end of a sentence, "ana"
# (candidates() gives both; the longest one that is a handle wins).
MENTION_RE = re.compile(r"(?<![\w@.])@([a-z0-9][a-z0-9._-]{1,29})", re.IGNORECASE)
HANDLE_HELP = ("Use 2 to 30 characters: lower-case letters, digits, dots, dashes or "
               "underscores, starting with a letter or digit.")


def valid_handle(value: str) -> bool:
    return HANDLE_RE.fullmatch(value) is not None


def candidates(word: str) -> list[str]:
    """The handles `@word` may mean, longest first: itself, then without trailing `._-`."""
    word = word.lower()
    bare = word.rstrip("._-")
    return [word] if bare == word or len(bare) < 2 else [word, bare]


def base_handle(name: str) -> str:
    """`Zoë O'Brien` -> `zoe.o.brien`: ASCII, lower case, at most 26 characters."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9._-]+", ".", text).strip("._-")
    text = re.sub(r"[._-]{2,}", ".", text)[:26].strip("._-")
    return text if len(text) >= 2 else f"user{text}"


def free_handle(conn: Any, org_id: int, name: str, also: set[str] = frozenset()) -> str:  # type: ignore[assignment]
    """The name's handle, numbered (`ana2`) if someone in the organization has it already
    (or it is among `also`, handles given out in the same flush)."""
    base = base_handle(name)
    taken = set(conn.execute(
        select(User.handle).where(User.organization_id == org_id,
                                  User.handle.like(f"{base}%"))  # type: ignore[attr-defined]
    ).scalars()) | set(also)
    handle, n = base, 1
    while handle in taken:
        n += 1
        handle = f"{base}{n}"
    return handle


@event.listens_for(Session, "before_flush")
def _made_from_the_name(session: Session, flush_context: Any, instances: Any) -> None:
    """Before the INSERTs of a flush, so that two people named alike joining in one flush
    (ORM inserts are batched) still get `ana` and `ana2`."""
    new = [o for o in session.new if isinstance(o, User)]
    if not any(not u.handle for u in new):
        return
    given: dict[int, set[str]] = {}
    for user in new:
        if user.handle:
            given.setdefault(user.organization_id, set()).add(user.handle)
    conn = session.connection()
    for user in new:
        if not user.handle:
            mine = given.setdefault(user.organization_id, set())
            user.handle = free_handle(conn, user.organization_id, user.name, mine)
            mine.add(user.handle)
