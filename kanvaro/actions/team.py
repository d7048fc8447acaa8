"""The team: invitations, member roles, deactivation and custom roles (SPEC §3 rules)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, update

from kanvaro import audit, mail, mail_secrets
from kanvaro.actions.auth import email_taken, start_session
from kanvaro.context import Ctx
from kanvaro.errors import Forbidden, Invalid, NotFound, Throttled
from kanvaro.forms.team import AcceptForm, CustomRoleForm, InviteForm, MemberRoleForm
from kanvaro.models import CustomRole, Invitation, Organization, User, UserSession
from kanvaro.permissions import PERMISSIONS, ROLE_RANK, ROLES, Actor, require
from kanvaro.security import hash_password, prepare_hash, token_hash
from kanvaro.settings import Settings

INVITATION_TTL = timedelta(days=7)
MAX_TOKEN_LENGTH = 100
# An organization sends at most this many invitations in any hour (docs/decisions.md,
# "Rate limits"): a new organization cannot turn the server into a mailer for strangers.
INVITATIONS_PER_HOUR = 50
INVITATION_WINDOW = timedelta(hours=1)


# -- the rules of SPEC §3 -------------------------------------------------------------


def grantable_roles(actor: Actor) -> list[str]:
    """Built-in roles the actor may hand out: none above their own; a PM only below theirs."""
    rank = ROLE_RANK.get(actor.role, 0)
    if actor.role == "project_manager":
        return [r for r in ROLES if ROLE_RANK[r] < rank]
    return [r for r in ROLES if ROLE_RANK[r] <= rank]


def can_manage(actor: Actor, user: User) -> bool:
    """Nobody changes their own role, nor touches a member ranked above them."""
    return user.id != actor.id and ROLE_RANK.get(user.role, 0) <= ROLE_RANK.get(actor.role, 0)


def _role_error(actor: Actor, role: str | None) -> str | None:
    if role not in ROLES:
        return "Choose a role."
    if role not in grantable_roles(actor):
        if actor.role == "project_manager":
            return "Project managers can invite only team members, clients and viewers."
        return "You cannot grant a role above your own."
    return None


def _missing(actor: Actor, permissions: list[str]) -> list[str]:
    return sorted(set(permissions) - actor.permissions)


def _check_custom_role(ctx: Ctx, form: Any, *, unchanged_id: int | None = None) -> CustomRole | None:
    """The chosen custom role of ctx's organization, or None; errors go on the field."""
    raw = (form.custom_role.data or "").strip()
    if not raw:
        return None
    role = None
    if raw.isdigit() and len(raw) < 18:
        role = ctx.db.scalar(
            select(CustomRole).where(CustomRole.id == int(raw), CustomRole.organization_id == ctx.org_id)
        )
    if role is None:
        form.custom_role.errors = ["Choose one of your organization's custom roles."]
        return None
    missing = _missing(ctx.user, role.permissions)
    if missing and role.id != unchanged_id:
        form.custom_role.errors = [
            "You cannot grant a custom role holding permissions you do not have: " + ", ".join(missing) + "."
        ]
    return role


def custom_roles(ctx: Ctx) -> list[CustomRole]:
    return list(ctx.db.scalars(
        select(CustomRole).where(CustomRole.organization_id == ctx.org_id).order_by(CustomRole.name)
    ))


def _role_choices(ctx: Ctx) -> list[tuple[int, str]]:
    return [(r.id, r.name) for r in custom_roles(ctx) if r.id is not None]


def _lock_org(ctx: Ctx) -> None:
    # Serialises team changes of one organization on PostgreSQL (SQLite's BEGIN IMMEDIATE already does).
    ctx.db.execute(select(Organization.id).where(Organization.id == ctx.org_id).with_for_update())


def _get_user(ctx: Ctx, user_id: int) -> User:
    user = ctx.db.scalar(select(User).where(User.id == user_id, User.organization_id == ctx.org_id))
    if user is None:
        raise NotFound("user")
    return user


def _other_active_owners(ctx: Ctx, user_id: int) -> int:
    ids = ctx.db.scalars(
        select(User.id).where(
            User.organization_id == ctx.org_id, User.role == "owner",
            User.is_active.is_(True), User.id != user_id,  # type: ignore[attr-defined]
        ).with_for_update()
    ).all()
    return len(ids)


# -- forms as the pages show them -----------------------------------------------------


def invite_form(ctx: Ctx, formdata: Any = None) -> InviteForm:
    form = InviteForm(formdata)
    form.set_custom_roles(_role_choices(ctx))
    return form


def member_form(ctx: Ctx, user: User, formdata: Any = None) -> MemberRoleForm:
    data = {"role": user.role, "custom_role": str(user.custom_role_id or "")}
    form = MemberRoleForm(formdata, data=data) if formdata is None else MemberRoleForm(formdata)
    form.set_custom_roles(_role_choices(ctx))
    return form


def role_form(role: CustomRole | None = None, formdata: Any = None) -> CustomRoleForm:
    if formdata is not None or role is None:
        return CustomRoleForm(formdata)
    return CustomRoleForm(data={"name": role.name, "description": role.description,
                                "permissions": list(role.permissions)})


# -- invitations ----------------------------------------------------------------------


def _pending_clause(ctx: Ctx) -> Any:
    return (
        Invitation.accepted_at.is_(None)  # type: ignore[union-attr]
        & Invitation.revoked_at.is_(None)  # type: ignore[union-attr]
        & (Invitation.expires_at > ctx.now)
    )


def invitation_link(settings: Settings, invitation: Invitation) -> str | None:
    """The invitation's link, made again from its nonce and the secret key; None for an
    invitation that kept no nonce (made before migration 0002)."""
    if not invitation.token_nonce:
        return None
    token = mail_secrets.derive(settings.resolved_secret_key(), "invitation", invitation.token_nonce)
    return f"{settings.base_url}/invitations/{token}"


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
            _pending_clause(ctx),
        )):
            form.email.errors = ["An invitation to this address is already pending."]
    role_error = _role_error(ctx.user, form.role.data)
    if role_error:
        form.role.errors = [role_error]
    custom = _check_custom_role(ctx, form)
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
    audit.record(ctx, "invitation.created", "invitation", invitation.id, changes)
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
    audit.record(ctx, "invitation.revoked", "invitation", invitation.id,
                 {"status": ["pending", "revoked"]})
    return invitation


def find_invitation(ctx: Ctx, token: str) -> Invitation:
    """The pending, unexpired invitation for a token; anything else is NotFound."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise NotFound("invitation")
    invitation = ctx.db.scalar(
        select(Invitation).where(Invitation.token_hash == token_hash(token), _pending_clause(ctx))
    )
    if invitation is None or email_taken(ctx, invitation.email):
        raise NotFound("invitation")
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
        .where(Invitation.id == invitation.id, _pending_clause(ctx))
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
    audit.record(
        ctx, "invitation.accepted", "invitation", invitation.id,
        {"email": [None, user.email], "user_id": [None, user.id], "role": [None, user.role]},
        organization_id=invitation.organization_id, actor_id=user.id,
    )
    start_session(ctx, user.id)
    return user


# -- members --------------------------------------------------------------------------


def _custom_name(ctx: Ctx, role_id: int | None) -> str | None:
    if role_id is None:
        return None
    return ctx.db.scalar(select(CustomRole.name).where(CustomRole.id == role_id))


def change_role(ctx: Ctx, user_id: int, data: Mapping[str, Any] | Any) -> User:
    """Set a member's built-in and custom role."""
    user = _get_user(ctx, user_id)
    require(ctx.user, "user:manage_roles")
    if user.id == ctx.user.id:
        raise Forbidden("nobody changes their own role")
    if not can_manage(ctx.user, user):
        raise Forbidden("member ranked above the actor")
    form = member_form(ctx, user, data)
    form.validate()
    role_error = _role_error(ctx.user, form.role.data)
    if role_error:
        form.role.errors = [role_error]
    custom = _check_custom_role(ctx, form, unchanged_id=user.custom_role_id)
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
        audit.record(ctx, "user.role_changed", "user", user.id, changes)
    return user


def deactivate(ctx: Ctx, user_id: int) -> User:
    """Deactivate a member and end their sessions: it shows on their very next request."""
    user = _get_user(ctx, user_id)
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
    audit.record(ctx, "user.deactivated", "user", user.id, {"is_active": [True, False]})
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
    missing = _missing(ctx.user, [p for p in chosen if p in PERMISSIONS])
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


def get_custom_role(ctx: Ctx, role_id: int) -> CustomRole:
    role = ctx.db.scalar(
        select(CustomRole).where(CustomRole.id == role_id, CustomRole.organization_id == ctx.org_id)
    )
    if role is None:
        raise NotFound("custom role")
    return role


def create_custom_role(ctx: Ctx, data: Mapping[str, Any] | Any) -> CustomRole:
    require(ctx.user, "role:manage")
    form = _validated_role(ctx, data, None)
    role = CustomRole(organization_id=ctx.org_id, name=form.name.data,
                      description=form.description.data or "",
                      permissions=list(form.permissions.data), created_at=ctx.now)
    ctx.db.add(role)
    ctx.db.flush()
    audit.record(ctx, "role.created", "role", role.id, {
        "name": [None, role.name], "description": [None, role.description],
        "permissions": [None, role.permissions],
    })
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
    audit.record(ctx, "role.updated", "role", role.id, audit.diff(before, after))
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
    audit.record(ctx, "role.deleted", "role", role_id, {
        "name": [name, None], "permissions": [permissions, None], "members": [holders, []],
    })
