"""Who a calendar link acts as: the person whose token it carries, as they are right now.

A calendar app fetches the feed without a cookie, so the link's secret is the credential; it
resolves to the same `Actor` a session would (role and custom role read in the feed's own
transaction), and the feed's queries then apply the one visibility rule as for that person.
A deactivated person, or a token remade or turned off, is no one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from kanvaro.accounts.models import User
from kanvaro.calendar.models import CalendarFeedToken
from kanvaro.permissions import Actor
from kanvaro.records import OrgRevision
from kanvaro.security import token_hash
from kanvaro.team.models import CustomRole


@cache
def _actor_statement() -> Any:
    revision = (
        select(func.coalesce(func.sum(OrgRevision.value), 0))
        .where(OrgRevision.organization_id == User.organization_id)
        .scalar_subquery()
    )
    return (
        select(User.id, User.organization_id, User.name, User.email, User.role,
               CustomRole.permissions, User.handle, revision)
        .join(CalendarFeedToken, CalendarFeedToken.user_id == User.id)
        .outerjoin(CustomRole, CustomRole.id == User.custom_role_id)
        .where(CalendarFeedToken.token_hash == bindparam("token_hash"),
               CalendarFeedToken.organization_id == User.organization_id,
               User.is_active.is_(True))  # type: ignore[attr-defined]
    )


@dataclass(frozen=True)
class CalendarToken:
    """The secret of a calendar link (`/calendar/{token}.ics`). Read-only: no CSRF question."""

    token: str
    csrf: bool = False

    def actor(self, db: Session, now: datetime) -> tuple[Actor | None, int]:
        if not self.token:
            return None, 0
        row = db.connection().execute(_actor_statement(),
                                      {"token_hash": token_hash(self.token)}).first()
        if row is None:
            return None, 0
        uid, org_id, name, email, role, custom, handle, revision = row
        return (Actor.build(id=uid, organization_id=org_id, name=name, email=email, role=role,
                            custom_permissions=custom or (), handle=handle or ""),
                int(revision or 0))
