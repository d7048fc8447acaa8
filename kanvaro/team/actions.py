"""The team: invitations, member roles, deactivation and custom roles (SPEC §3 rules)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, update

from kanvaro import audit, events, mail, mail_secrets
from kanvaro.accounts.actions import start_session
from kanvaro.accounts.models import Organization, User, UserSession
from kanvaro.context import Ctx
from kanvaro.errors import Forbidden, NotFound, Throttled
from kanvaro.inputs import Parsed
from kanvaro.permissions import PERMISSIONS, ROLES, permission_name, require
from kanvaro.security import hash_password, prepare_hash
from kanvaro.team.forms import Acceptance, NewInvitation, RoleChange, RoleDefinition
from kanvaro.team.models import CustomRole, Invitation
from kanvaro.team.queries import find_invitation, get_custom_role, get_member, pending_clause
from kanvaro.team.rules import (
    can_manage,
    check_custom_role,
    grantable_roles,
    missing_permissions,
    role_error,
)

INVITATION_TTL = timedelta(days=7)
# An organization sends at most this many invitations in any hour (docs/decisions.md,
# "Rate limits"): a new organization cannot turn the server into a mailer for strangers.
INVITATIONS_PER_HOUR = 50
INVITATION_WINDOW = timedelta(hours=1)


def _lock_org(ctx: Ctx) -> None:
    # Serialises team changes of one organization on PostgreSQL (SQLite's BEGIN IMMEDIATE already does).
    ctx.db.execute(select(Organization.id).where(Organization.id == ctx.org_id).with_for_update())


def _other_active_owners(ctx: Ctx, user_id: int) -> int:
    ids = ctx.db.scalars(
        select(User.id).where(
            User.organization_id == ctx.org_id, User.role == "owner",
            User.is_active.is_(True), User.id != user_id,  # type: ignore[attr-defined]
        ).with_for_update()
    ).all()
    return len(ids)


# -- invitations ----------------------------------------------------------------------


def _invitations_last_hour(ctx: Ctx) -> int:
    return ctx.db.scalar(select(func.count()).select_from(Invitation).where(
        Invitation.organization_id == ctx.org_id,
        Invitation.created_at > ctx.now - INVITATION_WINDOW,
    )) or 0


def invite(ctx: Ctx, sent: Parsed[NewInvitation]) -> tuple[Invitation, str]:
    """Create an invitation and its mail in one transaction; returns it and its token.

    The token is stored nowhere: the invitation keeps its hash and the nonce it is derived
    from, the mail keeps a placeholder that the sender fills in (kanvaro.mail_secrets)."""
    require(ctx.user, "user:invite")
    _lock_org(ctx)  # before counting: two requests cannot both take the last place
    if _invitations_last_hour(ctx) >= INVITATIONS_PER_HOUR:
        raise Throttled("invitations per organization per hour")
    email = sent.data["email"] or ""
    taken = None
    if "email" not in sent.errors:
        # An account in another organization is not revealed: the invitation goes out as
        # usual (it cannot be accepted, since an email has one account). docs/security.md
        if ctx.db.scalar(select(User).where(User.email == email, User.organization_id == ctx.org_id)):
            taken = "This person is already a member of your organization."
        elif ctx.db.scalar(select(func.count()).select_from(Invitation).where(
            Invitation.organization_id == ctx.org_id, func.lower(Invitation.email) == email,
            pending_clause(ctx),
        )):
            taken = "An invitation to this address is already pending."
    custom, custom_refused = check_custom_role(ctx, sent.data["custom_role"])
    value = sent.valid(email=taken, role=role_error(ctx.user, sent.data["role"]),
                       custom_role=custom_refused)
    token, secret = mail_secrets.issue(ctx.settings.resolved_secret_key(), "invitation")
    invitation = Invitation(
        organization_id=ctx.org_id, email=value.email, role=value.role,
        custom_role_id=custom.id if custom else None, token_hash=secret.hash,
        token_nonce=secret.nonce, invited_by_id=ctx.user.id, created_at=ctx.now,
        expires_at=ctx.now + INVITATION_TTL,
    )
    ctx.db.add(invitation)
    ctx.db.flush()
    org_name = ctx.db.scalar(select(Organization.name).where(Organization.id == ctx.org_id)) or ""
    context = {
        "inviter_name": ctx.user.name, "organization_name": org_name,
        "role_label": ROLES[invitation.role].lower() + (f" ({custom.name})" if custom else ""),
        "link": f"{ctx.settings.base_url}/invitations/{mail_secrets.placeholder(secret.nonce)}",
        "expires_at": invitation.expires_at,
    }
    text, html = mail.render("invitation", **context)
    mail.enqueue(ctx.db, to=value.email, subject=f"{ctx.user.name} invited you to {org_name} on Kanvaro",
                 text=text, html=html, organization_id=ctx.org_id, now=ctx.now, secret=secret)
    changes: dict[str, Any] = {"email": [None, value.email], "role": [None, invitation.role]}
    if custom:
        changes["custom_role"] = [None, custom.name]
    ctx.emit(events.InvitationCreated(invitation.id, changes))
    return invitation, token


def revoke_invitation(ctx: Ctx, invitation_id: int) -> Invitation:
    """Revoke an invitation not yet accepted; one the actor could not have sent stays."""
    require(ctx.user, "user:invite")
    invitation = ctx.db.scalar(select(Invitation).where(
        Invitation.id == invitation_id, Invitation.organization_id == ctx.org_id,
        Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None),  # type: ignore[union-attr]
    ))
    if invitation is None:
        raise NotFound("invitation")
    if invitation.role not in grantable_roles(ctx.user):
        raise Forbidden("invitation above the actor's role")
    invitation.revoked_at = ctx.now
    ctx.db.flush()
    ctx.emit(events.InvitationRevoked(invitation.id,
                 {"status": ["pending", "revoked"]}))
    return invitation


def prepare_acceptance(ctx: Ctx, token: str, sent: Parsed[Acceptance]) -> None:
    """accept_invitation's password hash, done ahead (see accounts.actions.prepare_login)."""
    find_invitation(ctx, token)
    if not sent.errors:
        prepare_hash(sent.data["password"])


def accept_invitation(ctx: Ctx, token: str, sent: Parsed[Acceptance]) -> User:
    """Create the invited user with the invited role, and log them in."""
    invitation = find_invitation(ctx, token)
    value = sent.valid()
    # Conditional: of two concurrent acceptances, only one matches.
    taken = ctx.db.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, pending_clause(ctx))
        .values(accepted_at=ctx.now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        raise NotFound("invitation")
    invitation.accepted_at = ctx.now
    user = User(
        organization_id=invitation.organization_id, name=value.name, email=invitation.email,
        password_hash=hash_password(value.password), role=invitation.role,
        custom_role_id=invitation.custom_role_id, is_active=True, created_at=ctx.now,
    )
    ctx.db.add(user)
    ctx.db.flush()
    assert user.id is not None
    ctx.emit(events.InvitationAccepted(invitation.id,
        {"email": [None, user.email], "user_id": [None, user.id], "role": [None, user.role]},
        organization_id=invitation.organization_id, actor_id=user.id,
    ))
    start_session(ctx, user.id)
    return user


# -- members --------------------------------------------------------------------------


def _custom_name(ctx: Ctx, role_id: int | None) -> str | None:
    if role_id is None:
        return None
    return ctx.db.scalar(select(CustomRole.name).where(CustomRole.id == role_id))


def change_role(ctx: Ctx, user_id: int, sent: Parsed[RoleChange]) -> User:
    """Set a member's built-in and custom role."""
    user = get_member(ctx, user_id)
    require(ctx.user, "user:manage_roles")
    if user.id == ctx.user.id:
        raise Forbidden("nobody changes their own role")
    if not can_manage(ctx.user, user):
        raise Forbidden("member ranked above the actor")
    role = sent.data["role"]
    refused = role_error(ctx.user, role)
    custom, custom_refused = check_custom_role(ctx, sent.data["custom_role"],
                                               unchanged_id=user.custom_role_id)
    if (not (refused or custom_refused or sent.errors) and user.role == "owner"
            and role != "owner" and _other_active_owners(ctx, user.id) == 0):  # type: ignore[arg-type]
        refused = "The organization needs at least one owner."
    value = sent.valid(role=refused, custom_role=custom_refused)
    before = {"role": user.role, "custom_role": _custom_name(ctx, user.custom_role_id)}
    user.role = value.role
    user.custom_role_id = custom.id if custom else None
    ctx.db.flush()
    changes = audit.diff(before, {"role": user.role, "custom_role": custom.name if custom else None})
    if changes:
        ctx.emit(events.RoleChanged(user.id, changes))
    return user


def deactivate(ctx: Ctx, user_id: int) -> User:
    """Deactivate a member and end their sessions: it shows on their very next request."""
    user = get_member(ctx, user_id)
    require(ctx.user, "user:deactivate")
    if not can_manage(ctx.user, user):
        raise Forbidden("cannot deactivate oneself or a member ranked above")
    if not user.is_active:
        return user
    if user.role == "owner" and _other_active_owners(ctx, user.id) == 0:  # type: ignore[arg-type]
        raise Forbidden("the last owner stays")
    user.is_active = False
    ctx.db.execute(delete(UserSession).where(UserSession.user_id == user.id))
    ctx.db.flush()
    ctx.emit(events.UserDeactivated(user.id, {"is_active": [True, False]}))
    return user


# -- custom roles ---------------------------------------------------------------------


def _valid_role(ctx: Ctx, sent: Parsed[RoleDefinition], role_id: int | None) -> RoleDefinition:
    """The definition, its name unique in the organization and its permissions the actor's;
    the permissions in the order of PERMISSIONS."""
    _lock_org(ctx)
    taken = None
    if "name" not in sent.errors:
        # Compared in Python: SQLite's lower() folds ASCII letters only.
        wanted = (sent.data["name"] or "").casefold()
        names = ctx.db.execute(
            select(CustomRole.id, CustomRole.name).where(CustomRole.organization_id == ctx.org_id)
        )
        if any(rid != role_id and name.casefold() == wanted for rid, name in names):
            taken = "A custom role with this name exists already."
    chosen = list(dict.fromkeys(sent.data["permissions"] or []))
    unknown = [p for p in chosen if p not in PERMISSIONS]
    missing = missing_permissions(ctx.user, [p for p in chosen if p in PERMISSIONS])
    refused = ("Choose permissions from the list." if unknown else
               "You cannot grant permissions you do not have: "
               + ", ".join(permission_name(p) for p in missing) + "."
               if missing else None)
    value = sent.valid(name=taken, permissions=refused)
    return dataclasses.replace(value, permissions=[p for p in PERMISSIONS if p in chosen])


def create_custom_role(ctx: Ctx, sent: Parsed[RoleDefinition]) -> CustomRole:
    require(ctx.user, "role:manage")
    value = _valid_role(ctx, sent, None)
    role = CustomRole(organization_id=ctx.org_id, name=value.name, description=value.description,
                      permissions=value.permissions, created_at=ctx.now)
    ctx.db.add(role)
    ctx.db.flush()
    ctx.emit(events.CustomRoleCreated(role.id, {
        "name": [None, role.name], "description": [None, role.description],
        "permissions": [None, role.permissions],
    }))
    return role


def update_custom_role(ctx: Ctx, role_id: int, sent: Parsed[RoleDefinition]) -> CustomRole:
    role = get_custom_role(ctx, role_id)
    require(ctx.user, "role:manage")
    value = _valid_role(ctx, sent, role_id)
    before = {"name": role.name, "description": role.description, "permissions": list(role.permissions)}
    after = {"name": value.name, "description": value.description,
             "permissions": list(value.permissions)}
    role.name, role.description, role.permissions = after["name"], after["description"], after["permissions"]
    ctx.db.flush()
    ctx.emit(events.CustomRoleUpdated(role.id, audit.diff(before, after)))
    return role


def delete_custom_role(ctx: Ctx, role_id: int) -> tuple[str, int]:
    """Delete a custom role; members holding it keep only their built-in role. Returns its
    name and how many members held it (for the flash message)."""
    role = get_custom_role(ctx, role_id)
    require(ctx.user, "role:manage")
    holders = sorted(ctx.db.scalars(select(User.id).where(
        User.organization_id == ctx.org_id, User.custom_role_id == role.id)))
    ctx.db.execute(update(User).where(User.organization_id == ctx.org_id, User.custom_role_id == role.id)
                   .values(custom_role_id=None))
    ctx.db.execute(update(Invitation).where(Invitation.organization_id == ctx.org_id,
                                            Invitation.custom_role_id == role.id)
                   .values(custom_role_id=None))
    name, permissions = role.name, list(role.permissions)
    ctx.db.delete(role)
    ctx.db.flush()
    ctx.emit(events.CustomRoleDeleted(role_id, {
        "name": [name, None], "permissions": [permissions, None], "members": [holders, []],
    }))
    return name, len(holders)
