"""The read side of personal access tokens: the loader and one's own list.

Only the person a token acts as ever sees it (SPEC §13): no permission lets anyone else list
or revoke it, within the organization either; the loader answers 404 for anyone else's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from kanvaro.columns import aware
from kanvaro.context import Ctx
from kanvaro.errors import NotFound
from kanvaro.tokens.models import ApiToken, ApiTokenUse

# The page lists this many, newest first; only tokens not revoked nor expired count towards
# MAX_LIVE, so the list is never cut short of one that still works.
LISTED = 100
MAX_LIVE = 50


@dataclass(frozen=True)
class TokenRow:
    """One line of the list: `state` is "active", "expired" or "revoked"."""

    id: int
    name: str
    scope: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    state: str

    @property
    def active(self) -> bool:
        return self.state == "active"


def _mine(ctx: Ctx) -> tuple[object, ...]:
    return (ApiToken.organization_id == ctx.org_id, ApiToken.user_id == ctx.user.id)


def get_token(ctx: Ctx, token_id: int) -> ApiToken:
    """One of the actor's own tokens; NotFound for anyone else's."""
    found = ctx.db.scalar(select(ApiToken).where(ApiToken.id == token_id, *_mine(ctx)))
    if found is None:
        raise NotFound("api token")
    return found


def state_of(expires_at: datetime, revoked_at: datetime | None, now: datetime) -> str:
    if revoked_at is not None:
        return "revoked"
    return "expired" if (aware(expires_at) or now) <= now else "active"


def my_tokens(ctx: Ctx) -> list[TokenRow]:
    """The actor's tokens, newest first, with when each was last used (never: None)."""
    stmt = (
        select(ApiToken.id, ApiToken.name, ApiToken.scope, ApiToken.created_at,
               ApiToken.expires_at, ApiToken.revoked_at, ApiTokenUse.last_used_at)
        .outerjoin(ApiTokenUse, ApiTokenUse.token_id == ApiToken.id)
        .where(*_mine(ctx))
        .order_by(ApiToken.id.desc())  # type: ignore[union-attr]
        .limit(LISTED)
    )
    return [TokenRow(tid, name, scope, aware(created), aware(expires), aware(revoked),  # type: ignore[arg-type]
                     aware(used), state_of(expires, revoked, ctx.now))
            for tid, name, scope, created, expires, revoked, used in ctx.db.execute(stmt)]


def live_count(ctx: Ctx) -> int:
    """How many of the actor's tokens still work (not revoked, not expired)."""
    return int(ctx.db.scalar(select(func.count()).select_from(ApiToken).where(
        *_mine(ctx), ApiToken.revoked_at.is_(None), ApiToken.expires_at > ctx.now)) or 0)  # type: ignore[union-attr]
