"""The read side of the team: loaders (scoped to the actor's organization) and lookups."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select

from kanvaro import mail_secrets
from kanvaro.accounts.actions import email_taken
from kanvaro.accounts.models import User
from kanvaro.accounts.queries import org_name
from kanvaro.context import Ctx
from kanvaro.errors import Forbidden, NotFound
from kanvaro.permissions import require
from kanvaro.records import EmailOutbox
from kanvaro.security import token_hash
from kanvaro.settings import Settings
from kanvaro.team.forms import CustomRoleForm, InviteForm, MemberRoleForm
from kanvaro.team.models import CustomRole, Invitation
from kanvaro.team.rules import can_manage

MAX_TOKEN_LENGTH = 100


def custom_roles(ctx: Ctx) -> list[CustomRole]:
    return list(ctx.db.scalars(
        select(CustomRole).where(CustomRole.organization_id == ctx.org_id).order_by(CustomRole.name)
    ))


def role_choices(ctx: Ctx) -> list[tuple[int, str]]:
    return [(r.id, r.name) for r in custom_roles(ctx) if r.id is not None]


def get_member(ctx: Ctx, user_id: int) -> User:
    user = ctx.db.scalar(select(User).where(User.id == user_id, User.organization_id == ctx.org_id))
    if user is None:
        raise NotFound("user")
    return user


def get_custom_role(ctx: Ctx, role_id: int) -> CustomRole:
    role = ctx.db.scalar(
        select(CustomRole).where(CustomRole.id == role_id, CustomRole.organization_id == ctx.org_id)
    )
    if role is None:
        raise NotFound("custom role")
    return role


def pending_clause(ctx: Ctx) -> Any:
    return (
        Invitation.accepted_at.is_(None)  # type: ignore[union-attr]
        & Invitation.revoked_at.is_(None)  # type: ignore[union-attr]
        & (Invitation.expires_at > ctx.now)
    )


def find_invitation(ctx: Ctx, token: str) -> Invitation:
    """The pending, unexpired invitation for a token; anything else is NotFound."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise NotFound("invitation")
    invitation = ctx.db.scalar(
        select(Invitation).where(Invitation.token_hash == token_hash(token), pending_clause(ctx))
    )
    if invitation is None or email_taken(ctx, invitation.email):
        raise NotFound("invitation")
    return invitation


def invitation_link(settings: Settings, invitation: Invitation) -> str | None:
    """The invitation's link, made again from its nonce and the secret key; None for an
    invitation that kept no nonce (made before migration 0002)."""
    if not invitation.token_nonce:
        return None
    token = mail_secrets.derive(settings.resolved_secret_key(), "invitation", invitation.token_nonce)
    return f"{settings.base_url}/invitations/{token}"


@dataclass(frozen=True)
class TeamData:
    """What the team page shows, as the actor may see it."""

    users: list[User]
    roles: list[CustomRole]
    role_members: dict[int, int]  # custom role id -> how many hold it
    invitations: list[tuple[Invitation, str | None]]  # pending, with the inviter's name
    mails: list[EmailOutbox]  # undelivered mail, for those who manage roles
    org_name: str


def team_data(ctx: Ctx) -> TeamData:
    """The members, pending invitations, custom roles and undelivered mail of the organization."""
    require(ctx.user, "project:read")
    actor = ctx.user
    users = list(ctx.db.scalars(
        select(User).where(User.organization_id == ctx.org_id)
        .order_by(User.is_active.desc(), User.name, User.id)  # type: ignore[attr-defined]
    ))
    counts = dict(ctx.db.execute(
        select(User.custom_role_id, func.count()).where(
            User.organization_id == ctx.org_id, User.custom_role_id.is_not(None)  # type: ignore[union-attr]
        ).group_by(User.custom_role_id)
    ).all())
    invitations: list[tuple[Invitation, str | None]] = []
    if actor.can("user:invite"):
        inviter = User.__table__.alias("inviter")  # type: ignore[attr-defined]
        invitations = [(inv, name) for inv, name in ctx.db.execute(
            select(Invitation, inviter.c.name).outerjoin(inviter, inviter.c.id == Invitation.invited_by_id)
            .where(Invitation.organization_id == ctx.org_id, Invitation.accepted_at.is_(None),  # type: ignore[union-attr]
                   Invitation.revoked_at.is_(None))  # type: ignore[union-attr]
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())  # type: ignore[union-attr,attr-defined]
        ).all()]
    mails: list[EmailOutbox] = []
    if actor.can("user:manage_roles"):
        mails = list(ctx.db.scalars(
            select(EmailOutbox).where(
                EmailOutbox.organization_id == ctx.org_id,
                or_(EmailOutbox.status == "failed",
                    (EmailOutbox.status != "sent") & (EmailOutbox.last_error != "")),
            ).order_by(EmailOutbox.id.desc()).limit(50)  # type: ignore[union-attr]
        ))
    return TeamData(users, custom_roles(ctx), counts, invitations, mails, org_name(ctx))


@dataclass(frozen=True)
class Deactivation:
    """What deactivating a member changes: the confirmation page says so."""

    user: User
    open_tasks: int  # assigned to them and not completed: they stay assigned
    projects: int  # projects they are a member of: they stay listed there


def deactivation(ctx: Ctx, user_id: int) -> Deactivation:
    """The member and what deactivating them touches, for those who may deactivate them."""
    from kanvaro.projects.models import ProjectMember  # late: the team builds on no area
    from kanvaro.tasks.models import Task, TaskAssignee

    user = get_member(ctx, user_id)
    require(ctx.user, "user:deactivate")
    if not can_manage(ctx.user, user):
        raise Forbidden("cannot deactivate oneself or a member ranked above")
    count = func.count()
    tasks = ctx.db.scalar(select(count).select_from(TaskAssignee).join(
        Task, Task.id == TaskAssignee.task_id).where(
        TaskAssignee.organization_id == ctx.org_id, TaskAssignee.user_id == user.id,
        Task.status != "completed")) or 0
    projects = ctx.db.scalar(select(count).select_from(ProjectMember).where(
        ProjectMember.organization_id == ctx.org_id, ProjectMember.user_id == user.id)) or 0
    return Deactivation(user, tasks, projects)


@dataclass(frozen=True)
class RoleDeletion:
    """What deleting a custom role changes: who holds it, which invitations carry it."""

    role: CustomRole
    holders: list[str]  # names of the members who lose its permissions
    invitations: int  # pending invitations that will invite with the built-in role only


def role_deletion(ctx: Ctx, role_id: int) -> RoleDeletion:
    """The custom role and whom deleting it touches, for those who manage roles."""
    role = get_custom_role(ctx, role_id)
    require(ctx.user, "role:manage")
    holders = list(ctx.db.scalars(select(User.name).where(
        User.organization_id == ctx.org_id, User.custom_role_id == role.id)
        .order_by(User.name, User.id)))
    invitations = ctx.db.scalar(select(func.count()).select_from(Invitation).where(
        Invitation.organization_id == ctx.org_id, Invitation.custom_role_id == role.id,
        pending_clause(ctx))) or 0
    return RoleDeletion(role, holders, invitations)


@dataclass(frozen=True)
class AcceptPage:
    invitation: Invitation
    org_name: str
    custom_role: str | None


def accept_page(ctx: Ctx, token: str) -> AcceptPage:
    """The pending invitation a token names, with what its page shows; NotFound otherwise."""
    invitation = find_invitation(ctx, token)
    custom = None
    if invitation.custom_role_id is not None:
        custom = ctx.db.scalar(select(CustomRole.name).where(
            CustomRole.id == invitation.custom_role_id,
            CustomRole.organization_id == invitation.organization_id))
    return AcceptPage(invitation, org_name(ctx, invitation.organization_id), custom)


# -- forms as the pages show them -----------------------------------------------------


def invite_form(ctx: Ctx, formdata: Any = None) -> InviteForm:
    form = InviteForm(formdata)
    form.set_custom_roles(role_choices(ctx))
    return form


def member_form(ctx: Ctx, user: User, formdata: Any = None) -> MemberRoleForm:
    data = {"role": user.role, "custom_role": str(user.custom_role_id or "")}
    form = MemberRoleForm(formdata, data=data) if formdata is None else MemberRoleForm(formdata)
    form.set_custom_roles(role_choices(ctx))
    return form


def role_form(role: CustomRole | None = None, formdata: Any = None) -> CustomRoleForm:
    if formdata is not None or role is None:
        return CustomRoleForm(formdata)
    return CustomRoleForm(data={"name": role.name, "description": role.description,
                                "permissions": list(role.permissions)})
