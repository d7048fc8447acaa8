"""Who is asking: one small interface, whatever the credential.

A unit of work asks its `Authenticator` for the actor inside its own transaction, so the
permissions it acts on are the ones the database holds right now (SPEC §3). The session
cookie is the one credential today; a bearer token (SPEC §13) is another class here, and the
background loops and the CLI act as a fixed actor or as nobody.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from kanvaro.columns import aware
from kanvaro.permissions import Actor
from kanvaro.records import OrgRevision
from kanvaro.security import SESSION_MAX_AGE, token_hash


class Authenticator(Protocol):
    """Resolves the actor of a request; `csrf` says whether its unsafe requests need a CSRF
    token (a cookie is sent by the browser on its own; a bearer token is not)."""

    csrf: bool

    def actor(self, db: Session, now: datetime) -> tuple[Actor | None, int]:
        """The actor (or None) and the revision of their organization's data."""
        ...


def _models():  # type: ignore[no-untyped-def]
    # The accounts area's tables; imported late, as the kernel sits below the areas.
    from kanvaro.accounts.models import User, UserSession
    from kanvaro.team.models import CustomRole

    return CustomRole, User, UserSession


def _actor_query():  # type: ignore[no-untyped-def]
    custom_role, user, user_session = _models()
    from kanvaro.notifications.models import Notification

    # The header's unread count, read with the actor: no statement of its own on any page.
    unread = (
        select(func.count()).select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))  # type: ignore[union-attr]
        .scalar_subquery()
    )
    revision = (
        select(func.coalesce(func.sum(OrgRevision.value), 0))
        .where(OrgRevision.organization_id == user.organization_id)
        .scalar_subquery()
    )
    return (
        select(
            user_session.id, user_session.created_at, user_session.last_seen_at,
            user.id, user.organization_id, user.name, user.email, user.role,
            custom_role.permissions, user.theme, revision, user.handle, unread,
        )
        .join(user, user.id == user_session.user_id)
        .outerjoin(custom_role, custom_role.id == user.custom_role_id)
        .where(user_session.token_hash == bindparam("token_hash"), user.is_active.is_(True))
    )


_STATEMENTS: dict[str, object] = {}  # built once, on first use: building costs more than running
TOUCH_EVERY = timedelta(minutes=5)


def _statements() -> tuple[object, object]:
    if not _STATEMENTS:
        _, _, user_session = _models()
        _STATEMENTS["actor"] = _actor_query()
        _STATEMENTS["touch"] = (
            update(user_session).where(user_session.id == bindparam("sid"))
            .values(last_seen_at=bindparam("now"))
        )
    return _STATEMENTS["actor"], _STATEMENTS["touch"]


def load_actor(db: Session, token: str | None, now: datetime) -> tuple[Actor | None, int]:
    """Session, user, custom role and the organization's revision in one query.

    An inactive user, or an expired session, is no one.
    """
    if not token:
        return None, 0
    actor_stmt, touch = _statements()
    conn = db.connection()
    row = conn.execute(actor_stmt, {"token_hash": token_hash(token)}).first()  # type: ignore[call-overload]
    if row is None:
        return None, 0
    sid, created, seen, uid, org_id, name, email, role, custom, theme, revision, handle, unread = row
    if now - (aware(created) or now) > timedelta(seconds=SESSION_MAX_AGE):
        return None, 0
    if now - (aware(seen) or now) > TOUCH_EVERY:
        conn.execute(touch, {"sid": sid, "now": now})  # type: ignore[call-overload]
    actor = Actor.build(id=uid, organization_id=org_id, name=name, email=email, role=role,
                        custom_permissions=custom or (), theme=theme or "system",
                        handle=handle or "", unread=int(unread or 0))
    return actor, int(revision or 0)


@dataclass(frozen=True)
class SessionCookie:
    """The browser's session (SPEC §6): the token named by the signed cookie."""

    token: str | None
    csrf: bool = True

    def actor(self, db: Session, now: datetime) -> tuple[Actor | None, int]:
        return load_actor(db, self.token, now)


@dataclass(frozen=True)
class Nobody:
    """No one is logged in: the CLI, the sender loops, a page before login."""

    csrf: bool = True

    def actor(self, db: Session, now: datetime) -> tuple[Actor | None, int]:
        return None, 0


@dataclass(frozen=True)
class AsActor:
    """A known actor, already read (tests, the CLI acting for a person)."""

    who: Actor
    csrf: bool = False

    def actor(self, db: Session, now: datetime) -> tuple[Actor | None, int]:
        return self.who, 0
