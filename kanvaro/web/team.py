"""Team pages: members, invitations, custom roles, and accepting an invitation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from starlette.responses import Response

from kanvaro.actions import team as actions
from kanvaro.errors import Invalid
from kanvaro.forms.team import AcceptForm, set_ids
from kanvaro.models import CustomRole, EmailOutbox, Invitation, Organization, User
from kanvaro.models.base import aware
from kanvaro.permissions import ROLES, require
from kanvaro.web.base import Web, view


def _narrow_roles(web: Web, form: Any) -> Any:
    """Offer only the roles the actor may grant (plus what was chosen, so it shows again)."""
    allowed = set(actions.grantable_roles(web.ctx.user)) | {form.role.data}
    form.role.choices = [c for c in form.role.choices if c.value in allowed]
    return form


def _team_page(
    web: Web, *, http_status: int = 200, block: str = "content", invite: Any = None,
    member_errors: tuple[int, Any] | None = None, new_role: Any = None,
    role_errors: tuple[int, Any] | None = None,
) -> Response:
    ctx, actor = web.ctx, web.ctx.user
    roles = actions.custom_roles(ctx)
    role_names = {r.id: r.name for r in roles}
    users = list(web.db.scalars(
        select(User).where(User.organization_id == ctx.org_id)
        .order_by(User.is_active.desc(), User.name, User.id)  # type: ignore[attr-defined]
    ))
    members = []
    for user in users:
        form = None
        if actor.can("user:manage_roles") and actions.can_manage(actor, user) and user.is_active:
            if member_errors and member_errors[0] == user.id:
                form = member_errors[1]
            else:
                form = actions.member_form(ctx, user)
            set_ids(_narrow_roles(web, form), f"member-{user.id}")
        members.append({"user": user, "custom_role": role_names.get(user.custom_role_id),
                        "form": form,
                        "can_deactivate": actor.can("user:deactivate") and user.is_active
                        and actions.can_manage(actor, user)})
    counts = dict(web.db.execute(
        select(User.custom_role_id, func.count()).where(
            User.organization_id == ctx.org_id, User.custom_role_id.is_not(None)  # type: ignore[union-attr]
        ).group_by(User.custom_role_id)
    ).all())
    role_rows = []
    for role in roles:
        form = None
        if actor.can("role:manage"):
            form = role_errors[1] if role_errors and role_errors[0] == role.id else actions.role_form(role)
            set_ids(form, f"role-{role.id}")
        role_rows.append({"role": role, "members": counts.get(role.id, 0), "form": form,
                          "open": bool(role_errors and role_errors[0] == role.id)})
    invitations: list[dict[str, Any]] = []
    if actor.can("user:invite"):
        inviter = User.__table__.alias("inviter")
        rows = web.db.execute(
            select(Invitation, inviter.c.name).outerjoin(inviter, inviter.c.id == Invitation.invited_by_id)
            .where(Invitation.organization_id == ctx.org_id, Invitation.accepted_at.is_(None),  # type: ignore[union-attr]
                   Invitation.revoked_at.is_(None))  # type: ignore[union-attr]
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())  # type: ignore[union-attr,attr-defined]
        ).all()
        grantable = set(actions.grantable_roles(actor))
        for inv, inviter_name in rows:
            expires = aware(inv.expires_at)
            invitations.append({"inv": inv, "inviter": inviter_name, "custom_role": role_names.get(inv.custom_role_id),
                                "expired": expires is not None and expires <= ctx.now,
                                "can_revoke": inv.role in grantable})
        invite = invite if invite is not None else actions.invite_form(ctx)
        set_ids(_narrow_roles(web, invite), "invite")
    if new_role is None and actor.can("role:manage"):
        new_role = actions.role_form()
    if new_role is not None:
        set_ids(new_role, "new-role")
    mails: list[EmailOutbox] = []
    if actor.can("user:manage_roles"):
        mails = list(web.db.scalars(
            select(EmailOutbox).where(
                EmailOutbox.organization_id == ctx.org_id,
                or_(EmailOutbox.status == "failed",
                    (EmailOutbox.status != "sent") & (EmailOutbox.last_error != "")),
            ).order_by(EmailOutbox.id.desc()).limit(50)  # type: ignore[union-attr]
        ))
    org_name = web.db.scalar(select(Organization.name).where(Organization.id == ctx.org_id))
    return web.render(
        "team/index.html", block=block, http_status=http_status, members=members,
        invitations=invitations, invite=invite, custom_roles=role_rows, new_role=new_role,
        mails=mails, org_name=org_name, ROLES=ROLES,
    )


@view()
def team(web: Web) -> Response:
    require(web.ctx.user, "project:read")
    return _team_page(web)


@view()
def invitation_create(web: Web) -> Response:
    try:
        actions.invite(web.ctx, web.data())
    except Invalid as exc:
        return _team_page(web, http_status=422, block="invite_form", invite=exc.form)
    return web.done("/team")


@view()
def invitation_revoke(web: Web, invitation_id: int) -> Response:
    actions.revoke_invitation(web.ctx, invitation_id)
    return web.done("/team")


@view()
def member_role(web: Web, user_id: int) -> Response:
    try:
        actions.change_role(web.ctx, user_id, web.data())
    except Invalid as exc:
        return _team_page(web, http_status=422, block="members", member_errors=(user_id, exc.form))
    return web.done("/team")


@view()
def member_deactivate(web: Web, user_id: int) -> Response:
    actions.deactivate(web.ctx, user_id)
    return web.done("/team")


@view()
def role_create(web: Web) -> Response:
    try:
        actions.create_custom_role(web.ctx, web.data())
    except Invalid as exc:
        return _team_page(web, http_status=422, block="roles", new_role=exc.form)
    return web.done("/team")


@view()
def role_update(web: Web, role_id: int) -> Response:
    try:
        actions.update_custom_role(web.ctx, role_id, web.data())
    except Invalid as exc:
        return _team_page(web, http_status=422, block="roles", role_errors=(role_id, exc.form))
    return web.done("/team")


@view()
def role_delete(web: Web, role_id: int) -> Response:
    actions.delete_custom_role(web.ctx, role_id)
    return web.done("/team")


def _accept_page(web: Web, invitation: Invitation, form: AcceptForm, http_status: int = 200) -> Response:
    org_name = web.db.scalar(select(Organization.name).where(Organization.id == invitation.organization_id))
    custom = None
    if invitation.custom_role_id is not None:
        custom = web.db.scalar(select(CustomRole.name).where(CustomRole.id == invitation.custom_role_id))
    response = web.render("team/accept.html", block="form", http_status=http_status, form=form,
                          invitation=invitation, org_name=org_name, custom_role=custom,
                          token=web.request.path_params["token"])
    response.headers["Cache-Control"] = "no-store"  # the address holds a secret token
    return response


@view(login=False)
def invitation_page(web: Web, token: str) -> Response:
    invitation = actions.find_invitation(web.ctx, token)
    form = AcceptForm()
    return _accept_page(web, invitation, form)


@view(login=False, password=lambda web: actions.prepare_acceptance(
    web.ctx, web.request.path_params["token"], web.data()))
def invitation_accept(web: Web, token: str) -> Response:
    try:
        actions.accept_invitation(web.ctx, token, web.data())
    except Invalid as exc:
        invitation = actions.find_invitation(web.ctx, token)
        exc.form.password.data = ""
        return _accept_page(web, invitation, exc.form, http_status=422)
    return web.done("/projects")
