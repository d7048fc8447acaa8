"""Team pages: members, invitations, custom roles, and accepting an invitation."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from kanvaro.columns import aware
from kanvaro.permissions import ROLES
from kanvaro.team import actions
from kanvaro.team import queries as team
from kanvaro.team.forms import AcceptForm, set_ids
from kanvaro.team.rules import can_manage, grantable_roles
from kanvaro.web.view import Web, edit_route, view


def _narrow_roles(web: Web, form: Any) -> Any:
    """Offer only the roles the actor may grant (plus what was chosen, so it shows again)."""
    allowed = set(grantable_roles(web.ctx.user)) | {form.role.data}
    form.role.choices = [c for c in form.role.choices if c.value in allowed]
    return form


def _team_page(
    web: Web, *, http_status: int = 200, block: str = "content", invite: Any = None,
    member_errors: tuple[int, Any] | None = None, new_role: Any = None,
    role_errors: tuple[int, Any] | None = None,
) -> Response:
    ctx, actor = web.ctx, web.ctx.user
    data = team.team_data(ctx)
    role_names = {r.id: r.name for r in data.roles}
    members = []
    for user in data.users:
        form = None
        if actor.can("user:manage_roles") and can_manage(actor, user) and user.is_active:
            if member_errors and member_errors[0] == user.id:
                form = member_errors[1]
            else:
                form = team.member_form(ctx, user)
            set_ids(_narrow_roles(web, form), f"member-{user.id}")
        members.append({"user": user, "custom_role": role_names.get(user.custom_role_id),
                        "form": form,
                        "can_deactivate": actor.can("user:deactivate") and user.is_active
                        and can_manage(actor, user)})
    role_rows = []
    for role in data.roles:
        form = None
        if actor.can("role:manage"):
            form = role_errors[1] if role_errors and role_errors[0] == role.id else team.role_form(role)
            set_ids(form, f"role-{role.id}")
        role_rows.append({"role": role, "members": data.role_members.get(role.id, 0), "form": form,  # type: ignore[arg-type]
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
        invite = invite if invite is not None else team.invite_form(ctx)
        set_ids(_narrow_roles(web, invite), "invite")
    if new_role is None and actor.can("role:manage"):
        new_role = team.role_form()
    if new_role is not None:
        set_ids(new_role, "new-role")
    return web.render(
        "team/index.html", block=block, http_status=http_status, members=members,
        invitations=invitations, invite=invite, custom_roles=role_rows, new_role=new_role,
        mails=data.mails, org_name=data.org_name, ROLES=ROLES,
    )


@view()
def team_page(web: Web) -> Response:
    return _team_page(web)



@view()
def invitation_create(web: Web) -> Response:
    return edit_route(web, lambda: actions.invite(web.ctx, web.data()), lambda _: web.url("team"),
                      lambda exc: _team_page(web, http_status=422, block="invite_form",
                                             invite=exc.form))


@view()
def invitation_revoke(web: Web, invitation_id: int) -> Response:
    actions.revoke_invitation(web.ctx, invitation_id)
    return web.done(web.url("team"))


@view()
def member_role(web: Web, user_id: int) -> Response:
    return edit_route(web, lambda: actions.change_role(web.ctx, user_id, web.data()),
                      lambda _: web.url("team"),
                      lambda exc: _team_page(web, http_status=422, block="members",
                                             member_errors=(user_id, exc.form)))


@view()
def member_deactivate(web: Web, user_id: int) -> Response:
    actions.deactivate(web.ctx, user_id)
    return web.done(web.url("team"))


@view()
def role_create(web: Web) -> Response:
    return edit_route(web, lambda: actions.create_custom_role(web.ctx, web.data()),
                      lambda _: web.url("team"),
                      lambda exc: _team_page(web, http_status=422, block="roles", new_role=exc.form))


@view()
def role_update(web: Web, role_id: int) -> Response:
    return edit_route(web, lambda: actions.update_custom_role(web.ctx, role_id, web.data()),
                      lambda _: web.url("team"),
                      lambda exc: _team_page(web, http_status=422, block="roles",
                                             role_errors=(role_id, exc.form)))


@view()
def role_delete(web: Web, role_id: int) -> Response:
    actions.delete_custom_role(web.ctx, role_id)
    return web.done(web.url("team"))


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


def _refused_acceptance(web: Web, token: str, form: AcceptForm) -> Response:
    form.password.data = ""
    return _accept_page(web, token, form, http_status=422)


@view(login=False, password=lambda web: actions.prepare_acceptance(
    web.ctx, web.request.path_params["token"], web.data()))
def invitation_accept(web: Web, token: str) -> Response:
    return edit_route(web, lambda: actions.accept_invitation(web.ctx, token, web.data()),
                      lambda _: web.url("projects"),
                      lambda exc: _refused_acceptance(web, token, exc.form))
