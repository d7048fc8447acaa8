"""The rules of SPEC §3 for the team: who may grant which role, and which custom role."""

from __future__ import annotations

from sqlalchemy import select

from kanvaro.accounts.models import User
from kanvaro.context import Ctx
from kanvaro.permissions import ROLE_RANK, ROLES, Actor, permission_name
from kanvaro.team.models import CustomRole


def grantable_roles(actor: Actor) -> list[str]:
    """Built-in roles the actor may hand out: none above their own; a PM only below theirs."""
    rank = ROLE_RANK.get(actor.role, 0)
    if actor.role == "project_manager":
        return [r for r in ROLES if ROLE_RANK[r] < rank]
    return [r for r in ROLES if ROLE_RANK[r] <= rank]


def can_manage(actor: Actor, user: User) -> bool:
    """Nobody changes their own role, nor touches a member ranked above them."""
    return user.id != actor.id and ROLE_RANK.get(user.role, 0) <= ROLE_RANK.get(actor.role, 0)


def role_error(actor: Actor, role: str | None) -> str | None:
    if role not in ROLES:
        return "Choose a role."
    if role not in grantable_roles(actor):
        if actor.role == "project_manager":
            return "Project managers can invite only team members, clients and viewers."
        return "You cannot grant a role above your own."
    return None


def missing_permissions(actor: Actor, permissions: list[str]) -> list[str]:
    return sorted(set(permissions) - actor.permissions)


def check_custom_role(ctx: Ctx, raw: str | None, *,
                      unchanged_id: int | None = None) -> tuple[CustomRole | None, str | None]:
    """The chosen custom role of ctx's organization (or None), and what is wrong with the
    choice (or None)."""
    raw = (raw or "").strip()
    if not raw:
        return None, None
    role = None
    if raw.isdigit() and len(raw) < 18:
        role = ctx.db.scalar(
            select(CustomRole).where(CustomRole.id == int(raw), CustomRole.organization_id == ctx.org_id)
        )
    if role is None:
        return None, "Choose one of your organization's custom roles."
    missing = missing_permissions(ctx.user, role.permissions)
    if missing and role.id != unchanged_id:
        return role, ("You cannot grant a custom role holding permissions you do not have: "
                      + ", ".join(permission_name(p) for p in missing) + ".")
    return role, None
