"""The read side of accounts: the people of the actor's organization."""

from __future__ import annotations

from sqlalchemy import select

from kanvaro.accounts.models import Organization, User
from kanvaro.context import Ctx


def org_users(ctx: Ctx, *, active_only: bool = True) -> list[User]:
    stmt = select(User).where(User.organization_id == ctx.org_id)
    if active_only:
        stmt = stmt.where(User.is_active.is_(True))  # type: ignore[attr-defined]
    return list(ctx.db.scalars(stmt.order_by(User.name, User.id)))


def org_name(ctx: Ctx, organization_id: int | None = None) -> str:
    org = organization_id if organization_id is not None else ctx.org_id
    return ctx.db.scalar(select(Organization.name).where(Organization.id == org)) or ""
