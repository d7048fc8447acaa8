"""Team pages: members, invitations, custom roles, and accepting an invitation."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from kanvaro.columns import aware
from kanvaro.inputs import refill
from kanvaro.permissions import ROLES, by_area
from kanvaro.team import actions
from kanvaro.team import queries as team
from kanvaro.team.forms import (
    Acceptance,
    AcceptForm,
    NewInvitation,
    RoleChange,
    RoleDefinition,
    set_ids,
)
from kanvaro.team.rules import can_manage, grantable_roles
from kanvaro.web.flash import Flash
from kanvaro.web.shapes import edit_route
from kanvaro.web.view import Web, view


def _narrow_roles(web: Web, form: Any) -> Any:
    """Offer only the roles the actor may grant (plus what was chosen, so it shows again)."""
    allowed = set(grantable_roles(web.ctx.user)) | {form.role.data}
    form.role.choices = [c for c in form.role.choices if c.value in allowed]
    return form


Errors = dict[str, list[str]]


def _team_page(
    web: Web, *, http_status: int = 200, block: str = "content", invite: Errors | None = None,
    member_errors: tuple[int, Errors] | None = None, new_role: Errors | None = None,
    role_errors: tuple[int, Errors] | None = None,
) -> Response:
    """The team page; the form named by `invite`, `member_errors`, `new_role` or
    `role_errors` shown as sent, with those errors."""
    ctx, actor = web.ctx, web.ctx.user
    data = team.team_data(ctx)
    role_names = {r.id: r.name for r in data.roles}
    members = []
    for user in data.users:
        form = None
        if actor.can("user:manage_roles") and can_manage(actor, user) and user.is_active:
            if member_errors and member_errors[0] == user.id:
                form = refill(team.member_form(ctx, user, web.data()), member_errors[1])
            else:
                form = team.member_form(ctx, user)
            set_ids(_narrow_roles(web, form), f"member-{user.id}")
            # Inline in the row: each control, and the error summary, names the person.
            form.role.label.text = f"Role of {user.name}"
            form.custom_role.label.text = f"Custom role of {user.name}"
        members.append({"user": user, "custom_role": role_names.get(user.custom_role_id),
                        "form": form,
                        "can_deactivate": actor.can("user:deactivate") and user.is_active
                        and can_manage(actor, user)})
    role_rows = []
    for role in data.roles:
        form = None
        if actor.can("role:manage"):
            form = (refill(team.role_form(None, web.data()), role_errors[1])
                    if role_errors and role_errors[0] == role.id else team.role_form(role))
            set_ids(form, f"role-{role.id}")
        role_rows.append({"role": role, "members": data.role_members.get(role.id, 0), "form": form,  # type: ignore[arg-type]
                          "permissions": by_area(role.permissions),
                          "open": bool(role_errors and role_errors[0] == role.id)})
    invitations: list[dict[str, Any]] = []
    if actor.can("user:invite"):
        grantable = set(grantable_roles(actor))
        for inv, inviter_name in data.invitations:
            expires = aware(inv.expires_at)
            invitations.append({"inv": inv, "inviter": inviter_name,
                                "custom_role": role_names.get(inv.custom_role_id),
                                "expired": expires is not None and expires <= ctx.now,
                                "can_revoke": inv.role in grantable})
    invite_form = None
    if actor.can("user:invite"):
        invite_form = (refill(team.invite_form(ctx, web.data()), invite) if invite is not None
                       else team.invite_form(ctx))
        set_ids(_narrow_roles(web, invite_form), "invite")
    role_form = None
    if actor.can("role:manage"):
        role_form = (refill(team.role_form(None, web.data()), new_role) if new_role is not None
                     else team.role_form())
        set_ids(role_form, "new-role")
    return web.render(
        "team/index.html", block=block, http_status=http_status, members=members,
        invitations=invitations, invite=invite_form, custom_roles=role_rows, new_role=role_form,
        mails=data.mails, org_name=data.org_name, ROLES=ROLES, permission_areas=by_area(),
    )


@view()
def team_page(web: Web) -> Response:
    return _team_page(web)



@view()
def invitation_create(web: Web) -> Response:
    return edit_route(web, lambda: actions.invite(web.ctx, web.sent(NewInvitation)),
                      lambda _: web.url("team"),
                      lambda exc: _team_page(web, http_status=422, block="invite_form",
                                             invite=exc.errors),
                      flash=lambda made: _invitation_sent(web, *made))


def _invitation_sent(web: Web, invitation: Any, token: str) -> Flash:
    """"Invitation sent to …"; with no SMTP server the mail only waits in the outbox, so the
    inviter gets the link to pass on (docs/decisions.md, "Invitation link")."""
    if web.app.settings.smtp_url:
        return Flash(f"Invitation sent to {invitation.email}.")
    return Flash(f"Invitation to {invitation.email} created. This server sends no mail: "
                 "copy the link and pass it on yourself.",
                 link=f"{web.app.settings.base_url}{web.url('invitation', token=token)}")


@view()
def invitation_revoke(web: Web, invitation_id: int) -> Response:
    invitation = actions.revoke_invitation(web.ctx, invitation_id)
    return web.done(web.url("team"), f"Invitation to {invitation.email} revoked.")


@view()
def member_role(web: Web, user_id: int) -> Response:
    return edit_route(web, lambda: actions.change_role(web.ctx, user_id, web.sent(RoleChange)),
                      lambda _: web.url("team"),
                      lambda exc: _team_page(web, http_status=422, block="members",
                                             member_errors=(user_id, exc.errors)),
                      flash=lambda user: f"Role of {user.name} saved.")


@view()
def member_deactivate_page(web: Web, user_id: int) -> Response:
    """The question before a member is deactivated: what they keep and lose (decisions.md)."""
    return web.render("team/deactivate.html", found=team.deactivation(web.ctx, user_id))


@view()
def member_deactivate(web: Web, user_id: int) -> Response:
    user = actions.deactivate(web.ctx, user_id)
    return web.done(web.url("team"), f"{user.name} deactivated and logged out.")


@view()
def role_create(web: Web) -> Response:
    return edit_route(web, lambda: actions.create_custom_role(web.ctx, web.sent(RoleDefinition)),
                      lambda _: web.url("team"),
                      lambda exc: _team_page(web, http_status=422, block="roles",
                                             new_role=exc.errors),
                      flash=lambda role: f"Custom role “{role.name}” created.")


@view()
def role_update(web: Web, role_id: int) -> Response:
    return edit_route(web, lambda: actions.update_custom_role(web.ctx, role_id,
                                                              web.sent(RoleDefinition)),
                      lambda _: web.url("team"),
                      lambda exc: _team_page(web, http_status=422, block="roles",
                                             role_errors=(role_id, exc.errors)),
                      flash=lambda role: f"Custom role “{role.name}” saved.")


@view()
def role_delete_page(web: Web, role_id: int) -> Response:
    """The question before a custom role goes: who loses its permissions (decisions.md)."""
    found = team.role_deletion(web.ctx, role_id)
    return web.render("team/role_delete.html", found=found,
                      permissions=by_area(found.role.permissions))


@view()
def role_delete(web: Web, role_id: int) -> Response:
    name, holders = actions.delete_custom_role(web.ctx, role_id)
    fallback = ("" if not holders else "; its member keeps only their built-in role"
                if holders == 1 else f"; its {holders} members keep only their built-in role")
    return web.done(web.url("team"), f"Custom role “{name}” deleted{fallback}.")


def _accept_page(web: Web, token: str, form: AcceptForm, http_status: int = 200) -> Response:
    page = team.accept_page(web.ctx, token)
    response = web.render("team/accept.html", block="form", http_status=http_status, form=form,
                          invitation=page.invitation, org_name=page.org_name,
                          custom_role=page.custom_role, token=token)
    response.headers["Cache-Control"] = "no-store"  # the address holds a secret token
    return response


@view(login=False)
def invitation_page(web: Web, token: str) -> Response:
    return _accept_page(web, token, AcceptForm())


@view(login=False, password=lambda web: actions.prepare_acceptance(
    web.ctx, web.request.path_params["token"], web.sent(Acceptance)))
def invitation_accept(web: Web, token: str) -> Response:
    return edit_route(web, lambda: actions.accept_invitation(web.ctx, token, web.sent(Acceptance)),
                      lambda _: web.url("projects"),
                      lambda exc: _accept_page(web, token, refill(AcceptForm(web.data()), exc.errors),
                                               http_status=422))
