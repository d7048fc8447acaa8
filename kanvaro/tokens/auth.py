"""The bearer token as an authenticator (kanvaro.auth): the JSON API's way in.

A token acts as its person with their permissions as the database holds them now (read in
the request's own transaction, like the session cookie), never more: a deactivated person's
token stops at once, a revoked or expired one is no one, and a `read` token is refused
every write. Each request also counts against the token's rate limit (SPEC §13), with one
upsert of its `api_token_use` row, which holds the last use as well.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session

from kanvaro.accounts.models import User
from kanvaro.columns import aware
from kanvaro.errors import Forbidden, Throttled
from kanvaro.permissions import Actor
from kanvaro.records import OrgRevision
from kanvaro.security import token_hash
from kanvaro.team.models import CustomRole
from kanvaro.tokens.models import ApiToken

PREFIX = "kvp_"
WINDOW = timedelta(minutes=1)


def new_token() -> str:
    """`kvp_` and 40 URL-safe characters: secret scanners know the prefix."""
    return PREFIX + secrets.token_urlsafe(30)


@cache
def _actor_statement():  # type: ignore[no-untyped-def]
    revision = (
        select(func.coalesce(func.sum(OrgRevision.value), 0))
        .where(OrgRevision.organization_id == User.organization_id)
        .scalar_subquery()
    )
    return (
        select(ApiToken.scope, ApiToken.expires_at, User.id, User.organization_id,
               User.name, User.email, User.role, CustomRole.permissions, User.handle, revision)
        .join(User, User.id == ApiToken.user_id)
        .outerjoin(CustomRole, CustomRole.id == User.custom_role_id)
        .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None),  # type: ignore[union-attr]
               User.is_active.is_(True))  # type: ignore[attr-defined]
    )


# One statement for both databases, by the token's hash (a refused request counts too, in a
# transaction of its own: kanvaro.api.endpoint); a new minute starts the count again.
_COUNT = text(
    "INSERT INTO api_token_use (token_id, organization_id, window_start, count, last_used_at) "
    "SELECT id, organization_id, :window, 1, :now FROM api_token WHERE token_hash = :hash "
    "ON CONFLICT (token_id) DO UPDATE SET "
    "count = CASE WHEN api_token_use.window_start = :window THEN api_token_use.count + 1 ELSE 1 END, "
    "window_start = :window, last_used_at = :now "
    "RETURNING count"
)


def count_use(db: Session, raw: str, now: datetime) -> int:
    """This request's number in the token's current minute (0: no such token)."""
    window = now.replace(second=0, microsecond=0)
    found = db.connection().execute(
        _COUNT, {"hash": token_hash(raw), "window": window, "now": now}).scalar()
    return int(found or 0)


@dataclass(frozen=True)
class BearerToken:
    """`Authorization: Bearer kvp_...`; `write` says the request would change something."""

    raw: str
    write: bool = False
    limit: int = 600  # requests a minute
    csrf: bool = False  # a browser never sends it on its own

    def actor(self, db: Session, now: datetime) -> tuple[Actor | None, int]:
        if not self.raw.startswith(PREFIX):
            return None, 0
        row = db.connection().execute(_actor_statement(), {"token_hash": token_hash(self.raw)}).first()
        if row is None:
            return None, 0
        scope, expires, uid, org_id, name, email, role, custom, handle, revision = row
        if (aware(expires) or now) <= now:
            return None, 0
        if count_use(db, self.raw, now) > self.limit:
            window_end = now.replace(second=0, microsecond=0) + WINDOW
            raise Throttled("rate limit", retry_after=max(1, int((window_end - now).total_seconds()) + 1))
        if self.write and scope != "write":
            raise Forbidden("a read token")
        actor = Actor.build(id=uid, organization_id=org_id, name=name, email=email, role=role,
                            custom_permissions=custom or (), handle=handle or "")
        return actor, int(revision or 0)
