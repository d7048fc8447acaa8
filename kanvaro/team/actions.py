"""The team: invitations, member roles, deactivation and custom roles (SPEC §3 rules)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, update

from kanvaro import audit, events, mail, mail_secrets
from kanvaro.accounts.actions import start_session
from kanvaro.accounts.models import Organization, User, UserSession
from kanvaro.context import Ctx
from kanvaro.errors import Forbidden, Invalid, NotFound, Throttled
from kanvaro.permissions import PERMISSIONS, ROLES, require
from kanvaro.security import hash_password, prepare_hash
from kanvaro.team.forms import AcceptForm, CustomRoleForm
from kanvaro.team.models import CustomRole, Invitation
from kanvaro.team.queries import (
    find_invitation,
    get_custom_role,
    get_member,
    invite_form,
    member_form,
    pending_clause,
    role_form,
)
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


def invite(ctx: Ctx, data: Mapping[str, Any] | Any) -> tuple[Invitation, str]:
    """Create an invitation and its mail in one transaction; returns it and its token.

    The token is stored nowhere: the invitation keeps its hash and the nonce it is derived
    from, the mail keeps a placeholder that the sender fills in (kanvaro.mail_secrets)."""
    require(ctx.user, "user:invite")
    _lock_org(ctx)  # before counting: two requests cannot both take the last place
    if _invitations_last_hour(ctx) >= INVITATIONS_PER_HOUR:
        raise Throttled("invitations per organization per hour")
    form = invite_form(ctx, data)
    valid = form.validate()
    email = form.email.data or ""
    if valid:
        # An account in another organization is not revealed: the invitation goes out as
        # usual (it cannot be accepted, since an email has one account). docs/security.md
        existing = ctx.db.scalar(select(User).where(User.email == email, User.organization_id == ctx.org_id))
        if existing is not None:
            form.email.errors = ["This person is already a member of your organization."]
        elif ctx.db.scalar(select(func.count()).select_from(Invitation).where(
            Invitation.organization_id == ctx.org_id, func.lower(Invitation.email) == email,
            pending_clause(ctx),
        )):
            form.email.errors = ["An invitation to this address is already pending."]
    refused = role_error(ctx.user, form.role.data)
    if refused:
        form.role.errors = [refused]
    custom = check_custom_role(ctx, form)
    if form.errors:
        raise Invalid(form)
    token, secret = mail_secrets.issue(ctx.settings.resolved_secret_key(), "invitation")
    invitation = Invitation(
        organization_id=ctx.org_id, email=email, role=form.role.data,
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
    mail.enqueue(ctx.db, to=email, subject=f"{ctx.user.name} invited you to {org_name} on Kanvaro",
                 text=text, html=html, organization_id=ctx.org_id, now=ctx.now, secret=secret)
    changes: dict[str, Any] = {"email": [None, email], "role": [None, invitation.role]}
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


def prepare_acceptance(ctx: Ctx, token: str, data: Mapping[str, Any] | Any) -> None:
    """accept_invitation's password hash, done ahead (see actions.auth.prepare_login)."""
    find_invitation(ctx, token)
    form = AcceptForm(data)
    if form.validate():
        prepare_hash(form.password.data)


def accept_invitation(ctx: Ctx, token: str, data: Mapping[str, Any] | Any) -> User:
    """Create the invited user with the invited role, and log them in."""
    invitation = find_invitation(ctx, token)
    form = AcceptForm(data)
    if not form.validate():
        raise Invalid(form)
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
        organization_id=invitation.organization_id, name=form.name.data, email=invitation.email,
        password_hash=hash_password(form.password.data), role=invitation.role,
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


def change_role(ctx: Ctx, user_id: int, data: Mapping[str, Any] | Any) -> User:
    """Set a member's built-in and custom role."""
    user = get_member(ctx, user_id)
    require(ctx.user, "user:manage_roles")
    if user.id == ctx.user.id:
        raise Forbidden("nobody changes their own role")
    if not can_manage(ctx.user, user):
        raise Forbidden("member ranked above the actor")
    form = member_form(ctx, user, data)
    form.validate()
    refused = role_error(ctx.user, form.role.data)
    if refused:
        form.role.errors = [refused]
    custom = check_custom_role(ctx, form, unchanged_id=user.custom_role_id)
    demoting_owner = user.role == "owner" and form.role.data != "owner"
    if not form.errors and demoting_owner and _other_active_owners(ctx, user.id) == 0:  # type: ignore[arg-type]
        form.role.errors = ["The organization needs at least one owner."]
    if form.errors:
        raise Invalid(form)
    before = {"role": user.role, "custom_role": _custom_name(ctx, user.custom_role_id)}
    user.role = form.role.data
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


def _validated_role(ctx: Ctx, data: Any, role_id: int | None) -> CustomRoleForm:
    form = role_form(None, data)
    form.validate()
    _lock_org(ctx)
    if not form.name.errors:
        # Compared in Python: SQLite's lower() folds ASCII letters only.
        wanted = (form.name.data or "").casefold()
        names = ctx.db.execute(
            select(CustomRole.id, CustomRole.name).where(CustomRole.organization_id == ctx.org_id)
        )
        if any(rid != role_id and name.casefold() == wanted for rid, name in names):
            form.name.errors = ["A custom role with this name exists already."]
    chosen = list(dict.fromkeys(form.permissions.data or []))
    unknown = [p for p in chosen if p not in PERMISSIONS]
    missing = missing_permissions(ctx.user, [p for p in chosen if p in PERMISSIONS])
    if unknown:
        form.permissions.errors = ["Choose permissions from the list."]
    elif missing:
        form.permissions.errors = [
            "You cannot grant permissions you do not have: " + ", ".join(missing) + "."
        ]
    form.permissions.data = [p for p in PERMISSIONS if p in chosen]
    if form.errors:
        raise Invalid(form)
    return form


def create_custom_role(ctx: Ctx, data: Mapping[str, Any] | Any) -> CustomRole:
    require(ctx.user, "role:manage")
    form = _validated_role(ctx, data, None)
    role = CustomRole(organization_id=ctx.org_id, name=form.name.data,
                      description=form.description.data or "",
                      permissions=list(form.permissions.data), created_at=ctx.now)
    ctx.db.add(role)
    ctx.db.flush()
    ctx.emit(events.CustomRoleCreated(role.id, {
        "name": [None, role.name], "description": [None, role.description],
        "permissions": [None, role.permissions],
    }))
    return role


def update_custom_role(ctx: Ctx, role_id: int, data: Mapping[str, Any] | Any) -> CustomRole:
    role = get_custom_role(ctx, role_id)
    require(ctx.user, "role:manage")
    form = _validated_role(ctx, data, role_id)
    before = {"name": role.name, "description": role.description, "permissions": list(role.permissions)}
    after = {"name": form.name.data, "description": form.description.data or "",
             "permissions": list(form.permissions.data)}
    role.name, role.description, role.permissions = after["name"], after["description"], after["permissions"]
    ctx.db.flush()
    ctx.emit(events.CustomRoleUpdated(role.id, audit.diff(before, after)))
    return role


def delete_custom_role(ctx: Ctx, role_id: int) -> None:
    """Delete a custom role; members holding it keep only their built-in role."""
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
