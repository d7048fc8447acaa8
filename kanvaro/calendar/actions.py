"""Making, remaking and turning off one's calendar links (SPEC §13).

The raw token leaves an action once, in its return value, for the page that shows the links;
only its SHA-256 is stored, and an event never carries it.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from kanvaro.accounts.models import User
from kanvaro.calendar.models import CalendarFeedToken
from kanvaro.context import Ctx
from kanvaro.events import CalendarTokenCreated, CalendarTokenRevoked
from kanvaro.security import new_token, token_hash


def make_token(ctx: Ctx) -> str:
    """A new secret for the actor's calendar links; an earlier one stops working."""
    actor = ctx.user
    # Two makes at once (a double submit) queue here rather than both inserting (PostgreSQL).
    ctx.db.execute(select(User.id).where(User.id == actor.id).with_for_update())
    gone = ctx.db.scalar(select(CalendarFeedToken.id).where(
        CalendarFeedToken.user_id == actor.id,
        CalendarFeedToken.organization_id == actor.organization_id))
    if gone is not None:
        ctx.db.execute(delete(CalendarFeedToken).where(CalendarFeedToken.id == gone))
    token = new_token()
    row = CalendarFeedToken(organization_id=actor.organization_id, user_id=actor.id,
                            token_hash=token_hash(token), created_at=ctx.now)
    ctx.db.add(row)
    ctx.db.flush()
    ctx.emit(CalendarTokenCreated(row.id, {"replaced": [None, gone is not None]}))
    return token


def revoke_token(ctx: Ctx) -> bool:
    """Turn the actor's calendar links off; False (and no entry) when there were none."""
    actor = ctx.user
    gone = ctx.db.scalar(select(CalendarFeedToken.id).where(
        CalendarFeedToken.user_id == actor.id,
        CalendarFeedToken.organization_id == actor.organization_id))
    if gone is None:
        return False
    ctx.db.execute(delete(CalendarFeedToken).where(CalendarFeedToken.id == gone))
    ctx.emit(CalendarTokenRevoked(gone))
    return True
