"""Team actions without HTTP: invitations, roles, deactivation, custom roles, and their audit rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kanvaro import mail_secrets
from kanvaro.errors import Forbidden, Invalid, NotFound, Throttled
from kanvaro.inputs import parse
from kanvaro.models import AuditEntry, CustomRole, EmailOutbox, Invitation, User, UserSession
from kanvaro.security import token_hash
from kanvaro.team import actions
from kanvaro.team import queries as team_queries
from kanvaro.team import rules as team_rules
from kanvaro.team.forms import Acceptance, NewInvitation, RoleChange, RoleDefinition
from tests.factories import actor_of, make_ctx, make_org, make_user


def count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where)) or 0


def audit_actions(db) -> list[str]:
    return list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def make_role(db, org, name="Reporter", permissions=("audit:read",)) -> CustomRole:
    role = CustomRole(organization_id=org.id, name=name, permissions=list(permissions))
    db.add(role)
    db.flush()
    return role


@pytest.fixture
def admin(db, org):
    return make_user(db, org, role="admin", name="Ada Admin", email="ada@acme.test")


@pytest.fixture
def pm(db, org):
    return make_user(db, org, role="project_manager", name="Pam Manager", email="pam@acme.test")


# --- invite -------------------------------------------------------------------------------

def test_invite_stores_only_the_token_hash_and_queues_the_mail_without_the_token(db, ctx, org, settings):
    invitation, token = actions.invite(ctx, parse(NewInvitation, {"email": " New@Example.COM ", "role": "team_member"}))
    assert invitation.email == "new@example.com" and invitation.role == "team_member"
    assert invitation.token_hash == token_hash(token) and token not in invitation.token_hash
    assert len(token) == 43  # 32 bytes (an HMAC-SHA256), url-safe base64
    assert (invitation.expires_at - ctx.now) == timedelta(days=7)
    [mail] = db.scalars(select(EmailOutbox)).all()
    assert mail.to == "new@example.com" and mail.status == "pending"
    # The bodies hold a placeholder where the token goes; the sender derives the token from
    # the secret key and the nonce the row names (docs/security.md, issue 9).
    placeholder = mail_secrets.placeholder(invitation.token_nonce)
    assert f"{settings.base_url}/invitations/{placeholder}" in mail.text_body
    assert f"{settings.base_url}/invitations/{placeholder}" in mail.html_body
    assert token not in mail.text_body + mail.html_body + mail.subject
    assert (mail.secret_purpose, mail.secret_nonce, mail.secret_hash) == (
        "invitation", invitation.token_nonce, invitation.token_hash)
    assert mail_secrets.derive(settings.resolved_secret_key(), "invitation", invitation.token_nonce) == token
    assert team_queries.invitation_link(settings, invitation) == f"{settings.base_url}/invitations/{token}"
    assert "Olive Owner" in mail.text_body and "Acme" in mail.text_body and "Acme" in mail.subject
    assert audit_actions(db) == ["invitation.created"]


def test_each_invitation_gets_its_own_nonce_and_token(db, ctx):
    first, first_token = actions.invite(ctx, parse(NewInvitation, {"email": "a@example.com", "role": "viewer"}))
    second, second_token = actions.invite(ctx, parse(NewInvitation, {"email": "b@example.com", "role": "viewer"}))
    assert first.token_nonce != second.token_nonce and first_token != second_token


def test_an_invitation_without_a_nonce_has_no_link_to_copy(db, ctx, settings):
    """Invitations made before migration 0002 kept no nonce: their link cannot be made again."""
    invitation, _ = actions.invite(ctx, parse(NewInvitation, {"email": "a@example.com", "role": "viewer"}))
    invitation.token_nonce = ""
    assert team_queries.invitation_link(settings, invitation) is None


# --- how many invitations an hour (issue 9, item 10) -----------------------------------------

def test_the_invitation_after_the_hourly_limit_is_throttled_and_writes_nothing(db, ctx, org):
    assert actions.INVITATIONS_PER_HOUR == 50
    start = ctx.now
    for n in range(actions.INVITATIONS_PER_HOUR):
        actions.invite(ctx, parse(NewInvitation, {"email": f"person{n}@example.com", "role": "viewer"}))
    written = (count(db, Invitation), count(db, EmailOutbox), count(db, AuditEntry))
    assert written == (50, 50, 50)
    ctx.now = start + timedelta(minutes=59, seconds=59)
    with pytest.raises(Throttled):
        actions.invite(ctx, parse(NewInvitation, {"email": "one-more@example.com", "role": "viewer"}))
    assert (count(db, Invitation), count(db, EmailOutbox), count(db, AuditEntry)) == written
    # A throttled request is refused whatever it holds: even an invalid one writes nothing.
    with pytest.raises(Throttled):
        actions.invite(ctx, parse(NewInvitation, {"email": "not an address", "role": "viewer"}))
    # An hour after the first 50, the window is empty again.
    ctx.now = start + timedelta(hours=1)
    invitation, _ = actions.invite(ctx, parse(NewInvitation, {"email": "one-more@example.com", "role": "viewer"}))
    assert invitation.created_at == ctx.now and count(db, Invitation) == 51


def test_the_hourly_limit_counts_revoked_invitations_and_only_this_organization(db, ctx, ctx_for):
    for n in range(actions.INVITATIONS_PER_HOUR):
        invitation, _ = actions.invite(ctx, parse(NewInvitation, {"email": f"person{n}@example.com", "role": "viewer"}))
        actions.revoke_invitation(ctx, invitation.id)
    with pytest.raises(Throttled):
        actions.invite(ctx, parse(NewInvitation, {"email": "again@example.com", "role": "viewer"}))
    other_owner = make_user(db, make_org(db, "Globex"), role="owner")
    other, _ = actions.invite(ctx_for(other_owner), parse(NewInvitation, {"email": "again@example.com", "role": "viewer"}))
    assert other.organization_id == other_owner.organization_id


@pytest.mark.parametrize("email", ["not-an-address", "a@b", "two@@example.com", ""])
def test_invite_refuses_a_malformed_address(db, ctx, email):
    with pytest.raises(Invalid) as exc:
        actions.invite(ctx, parse(NewInvitation, {"email": email, "role": "viewer"}))
    assert exc.value.errors["email"]
    assert count(db, Invitation) == 0 and count(db, EmailOutbox) == 0


def test_invite_refuses_a_second_pending_invitation_whatever_the_case(db, ctx):
    actions.invite(ctx, parse(NewInvitation, {"email": "sam@example.com", "role": "viewer"}))
    with pytest.raises(Invalid) as exc:
        actions.invite(ctx, parse(NewInvitation, {"email": "SAM@Example.com", "role": "viewer"}))
    assert "already pending" in exc.value.errors["email"][0]
    assert count(db, Invitation) == 1


def test_invite_again_once_the_first_invitation_expired(db, ctx):
    first, _ = actions.invite(ctx, parse(NewInvitation, {"email": "sam@example.com", "role": "viewer"}))
    first.expires_at = ctx.now - timedelta(seconds=1)
    db.flush()
    actions.invite(ctx, parse(NewInvitation, {"email": "sam@example.com", "role": "viewer"}))
    assert count(db, Invitation) == 2


def test_invite_refuses_an_address_that_is_already_a_member(db, ctx, org):
    make_user(db, org, email="member@acme.test")
    with pytest.raises(Invalid) as exc:
        actions.invite(ctx, parse(NewInvitation, {"email": "Member@acme.test", "role": "viewer"}))
    assert "already a member" in exc.value.errors["email"][0]


def test_a_project_manager_invites_only_below_their_role(db, ctx_for, pm):
    ctx = ctx_for(pm)
    for role in ("project_manager", "admin", "owner"):
        with pytest.raises(Invalid) as exc:
            actions.invite(ctx, parse(NewInvitation, {"email": f"{role}@example.com", "role": role}))
        assert exc.value.errors["role"]
    for role in ("team_member", "client", "viewer"):
        actions.invite(ctx, parse(NewInvitation, {"email": f"{role}@example.com", "role": role}))
    assert sorted(db.scalars(select(Invitation.role))) == ["client", "team_member", "viewer"]


def test_an_admin_cannot_invite_an_owner(db, ctx_for, admin):
    with pytest.raises(Invalid) as exc:
        actions.invite(ctx_for(admin), parse(NewInvitation, {"email": "boss@example.com", "role": "owner"}))
    assert "above your own" in exc.value.errors["role"][0]
    assert count(db, Invitation) == 0


def test_team_members_cannot_invite(db, ctx_for, org):
    member = make_user(db, org, role="team_member")
    with pytest.raises(Forbidden):
        actions.invite(ctx_for(member), parse(NewInvitation, {"email": "x@example.com", "role": "viewer"}))


def test_invite_refuses_a_custom_role_of_another_organization(db, ctx):
    foreign = make_role(db, make_org(db, "Other"))
    with pytest.raises(Invalid) as exc:
        actions.invite(ctx, parse(NewInvitation, {"email": "x@example.com", "role": "viewer", "custom_role": str(foreign.id)}))
    assert "your organization" in exc.value.errors["custom_role"][0]
    assert count(db, Invitation) == 0


def test_invite_refuses_a_custom_role_holding_permissions_the_inviter_lacks(db, ctx_for, org, pm):
    role = make_role(db, org, permissions=["user:deactivate"])
    with pytest.raises(Invalid) as exc:
        actions.invite(ctx_for(pm), parse(NewInvitation, {"email": "x@example.com", "role": "viewer", "custom_role": str(role.id)}))
    assert "user:deactivate" in exc.value.errors["custom_role"][0]


def test_invite_with_a_custom_role_records_it(db, ctx, org):
    role = make_role(db, org)
    invitation, _ = actions.invite(ctx, parse(NewInvitation, {"email": "x@example.com", "role": "viewer", "custom_role": str(role.id)}))
    assert invitation.custom_role_id == role.id


# --- revoke ------------------------------------------------------------------------------

def test_revoke_marks_the_invitation_and_audits(db, ctx):
    invitation, token = actions.invite(ctx, parse(NewInvitation, {"email": "x@example.com", "role": "viewer"}))
    actions.revoke_invitation(ctx, invitation.id)
    assert invitation.revoked_at is not None
    assert audit_actions(db) == ["invitation.created", "invitation.revoked"]
    with pytest.raises(NotFound):
        team_queries.find_invitation(ctx, token)
    with pytest.raises(NotFound):
        actions.revoke_invitation(ctx, invitation.id)


def test_revoke_of_another_organizations_invitation_is_not_found(db, ctx, settings):
    other = make_org(db, "Other")
    other_owner = make_user(db, other, role="owner")
    invitation, _ = actions.invite(make_ctx(db, other_owner, settings), parse(NewInvitation, {"email": "x@example.com", "role": "viewer"}))
    with pytest.raises(NotFound):
        actions.revoke_invitation(ctx, invitation.id)
    assert invitation.revoked_at is None


# --- accept ------------------------------------------------------------------------------

def test_accept_creates_the_user_with_the_invited_roles_and_logs_them_in(db, ctx, org, settings):
    role = make_role(db, org)
    invitation, token = actions.invite(ctx, parse(NewInvitation, {"email": "new@example.com", "role": "project_manager",
                                             "custom_role": str(role.id)}))
    anonymous = make_ctx(db, None, settings)
    user = actions.accept_invitation(anonymous, token, parse(Acceptance, {"name": "Nia New", "password": "a long password"}))
    assert (user.organization_id, user.email, user.role, user.custom_role_id) == (
        org.id, "new@example.com", "project_manager", role.id)
    assert invitation.accepted_at is not None
    assert anonymous.new_session_token and count(db, UserSession, UserSession.user_id == user.id) == 1
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "invitation.accepted"))
    assert (entry.actor_id, entry.organization_id, entry.entity_id) == (user.id, org.id, invitation.id)


def test_a_used_token_is_not_found_the_second_time(db, ctx, settings):
    _, token = actions.invite(ctx, parse(NewInvitation, {"email": "new@example.com", "role": "viewer"}))
    actions.accept_invitation(make_ctx(db, None, settings), token, parse(Acceptance, {"name": "N", "password": "a long password"}))
    with pytest.raises(NotFound):
        actions.accept_invitation(make_ctx(db, None, settings), token, parse(Acceptance, {"name": "M", "password": "a long password"}))
    assert count(db, User, User.email == "new@example.com") == 1


def test_an_expired_or_unknown_token_is_not_found(db, ctx, settings):
    invitation, token = actions.invite(ctx, parse(NewInvitation, {"email": "new@example.com", "role": "viewer"}))
    invitation.expires_at = ctx.now - timedelta(minutes=1)
    db.flush()
    for candidate in (token, "nonsense", "x" * 500):
        with pytest.raises(NotFound):
            actions.accept_invitation(make_ctx(db, None, settings), candidate,
                                      parse(Acceptance, {"name": "N", "password": "a long password"}))
    assert count(db, User, User.email == "new@example.com") == 0


def test_accept_with_a_short_password_is_invalid_and_leaves_the_invitation_usable(db, ctx, settings):
    invitation, token = actions.invite(ctx, parse(NewInvitation, {"email": "new@example.com", "role": "viewer"}))
    with pytest.raises(Invalid) as exc:
        actions.accept_invitation(make_ctx(db, None, settings), token, parse(Acceptance, {"name": "N", "password": "short"}))
    assert exc.value.errors["password"]
    assert invitation.accepted_at is None and team_queries.find_invitation(ctx, token) == invitation


# --- change role -------------------------------------------------------------------------

def test_change_role_sets_role_and_custom_role_and_audits_both(db, ctx, org):
    member = make_user(db, org, role="viewer")
    role = make_role(db, org)
    actions.change_role(ctx, member.id, parse(RoleChange, {"role": "project_manager", "custom_role": str(role.id)}))
    assert (member.role, member.custom_role_id) == ("project_manager", role.id)
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "user.role_changed"))
    assert entry.changes == {"role": ["viewer", "project_manager"], "custom_role": [None, "Reporter"]}
    assert entry.entity_id == member.id


def test_a_blank_custom_role_choice_clears_it(db, ctx, org):
    # Found by `make fuzz`: a choice of only spaces means "no custom role", like an empty one.
    member = make_user(db, org, role="viewer")
    member.custom_role_id = make_role(db, org).id
    actions.change_role(ctx, member.id, parse(RoleChange, {"role": "viewer", "custom_role": "  "}))
    assert member.custom_role_id is None
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "user.role_changed"))
    assert entry.changes == {"custom_role": ["Reporter", None]}


def test_nobody_changes_their_own_role(db, ctx_for, admin):
    with pytest.raises(Forbidden):
        actions.change_role(ctx_for(admin), admin.id, parse(RoleChange, {"role": "owner"}))
    assert admin.role == "admin" and count(db, AuditEntry) == 0


def test_an_admin_cannot_grant_owner(db, ctx_for, org, admin):
    member = make_user(db, org, role="viewer")
    with pytest.raises(Invalid) as exc:
        actions.change_role(ctx_for(admin), member.id, parse(RoleChange, {"role": "owner"}))
    assert exc.value.errors["role"] and member.role == "viewer"


def test_an_admin_cannot_demote_an_owner(db, ctx_for, owner, admin):
    with pytest.raises(Forbidden):
        actions.change_role(ctx_for(admin), owner.id, parse(RoleChange, {"role": "viewer"}))
    assert owner.role == "owner"


def test_a_demoted_owner_cannot_demote_the_remaining_owner(db, ctx, org, owner, settings):
    second = make_user(db, org, role="owner")
    actions.change_role(make_ctx(db, second, settings), owner.id, parse(RoleChange, {"role": "admin"}))
    db.flush()
    lone_admin_ctx = make_ctx(db, owner, settings)
    with pytest.raises(Forbidden):
        actions.change_role(lone_admin_ctx, second.id, parse(RoleChange, {"role": "admin"}))
    assert second.role == "owner"


def test_the_last_owner_rule_counts_only_active_owners(db, org, owner, settings):
    ghost = make_user(db, org, role="owner", active=False)
    # Acting as the inactive owner models a stale session; the rule still holds.
    ctx = make_ctx(db, ghost, settings)
    with pytest.raises(Invalid) as exc:
        actions.change_role(ctx, owner.id, parse(RoleChange, {"role": "admin"}))
    assert "at least one owner" in exc.value.errors["role"][0]
    assert owner.role == "owner"


def test_change_role_refuses_a_custom_role_with_permissions_the_actor_lacks(db, ctx_for, org, admin):
    member = make_user(db, org, role="viewer")
    role = make_role(db, org, permissions=["organization:update"])
    with pytest.raises(Invalid) as exc:
        actions.change_role(ctx_for(admin), member.id, parse(RoleChange, {"role": "viewer", "custom_role": str(role.id)}))
    assert "organization:update" in exc.value.errors["custom_role"][0]
    assert member.custom_role_id is None


def test_change_role_of_another_organizations_user_is_not_found(db, ctx):
    stranger = make_user(db, make_org(db), role="viewer")
    with pytest.raises(NotFound):
        actions.change_role(ctx, stranger.id, parse(RoleChange, {"role": "admin"}))
    assert stranger.role == "viewer"


def test_a_project_manager_cannot_change_roles(db, ctx_for, org, pm):
    member = make_user(db, org, role="viewer")
    with pytest.raises(Forbidden):
        actions.change_role(ctx_for(pm), member.id, parse(RoleChange, {"role": "team_member"}))


# --- deactivate --------------------------------------------------------------------------

def test_deactivate_ends_the_members_sessions_and_audits(db, ctx, org):
    member = make_user(db, org)
    db.add(UserSession(user_id=member.id, token_hash="a" * 64))
    db.flush()
    actions.deactivate(ctx, member.id)
    assert member.is_active is False
    assert count(db, UserSession, UserSession.user_id == member.id) == 0
    assert audit_actions(db) == ["user.deactivated"]


def test_nobody_deactivates_themselves_or_someone_ranked_above(db, ctx_for, owner, admin):
    with pytest.raises(Forbidden):
        actions.deactivate(ctx_for(admin), admin.id)
    with pytest.raises(Forbidden):
        actions.deactivate(ctx_for(admin), owner.id)
    assert owner.is_active and admin.is_active and count(db, AuditEntry) == 0


def test_the_last_active_owner_cannot_be_deactivated(db, org, owner, settings):
    ghost = make_user(db, org, role="owner", active=False)
    with pytest.raises(Forbidden):
        actions.deactivate(make_ctx(db, ghost, settings), owner.id)
    assert owner.is_active


# --- custom roles ------------------------------------------------------------------------

def test_create_custom_role_keeps_known_permissions_in_table_order(db, ctx, org):
    role = actions.create_custom_role(ctx, parse(RoleDefinition, {"name": "Auditor", "description": "Reads the log",
                                            "permissions": ["audit:read", "project:view_all"]}))
    assert (role.organization_id, role.name) == (org.id, "Auditor")
    assert role.permissions == ["project:view_all", "audit:read"]
    assert audit_actions(db) == ["role.created"]


def test_custom_role_names_are_unique_per_organization(db, ctx, org, settings):
    actions.create_custom_role(ctx, parse(RoleDefinition, {"name": "Auditor"}))
    with pytest.raises(Invalid) as exc:
        actions.create_custom_role(ctx, parse(RoleDefinition, {"name": "auditor"}))
    assert exc.value.errors["name"]
    other_owner = make_user(db, make_org(db), role="owner")
    actions.create_custom_role(make_ctx(db, other_owner, settings), parse(RoleDefinition, {"name": "Auditor"}))
    assert count(db, CustomRole) == 2


def test_custom_role_cannot_hold_permissions_the_actor_lacks(db, ctx_for, admin):
    with pytest.raises(Invalid) as exc:
        actions.create_custom_role(ctx_for(admin), parse(RoleDefinition, {"name": "Boss", "permissions": ["organization:update"]}))
    assert "organization:update" in exc.value.errors["permissions"][0]
    with pytest.raises(Invalid):
        actions.create_custom_role(ctx_for(admin), parse(RoleDefinition, {"name": "Odd", "permissions": ["root:everything"]}))
    assert count(db, CustomRole) == 0


def test_update_custom_role_audits_the_difference(db, ctx, org):
    role = make_role(db, org)
    actions.update_custom_role(ctx, role.id, parse(RoleDefinition, {"name": "Reporter", "permissions": ["audit:read", "task:delete"]}))
    assert role.permissions == ["task:delete", "audit:read"]
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "role.updated"))
    assert entry.changes == {"permissions": [["audit:read"], ["task:delete", "audit:read"]]}


def test_delete_custom_role_makes_members_fall_back_to_their_built_in_role(db, ctx, org):
    role = make_role(db, org)
    member = make_user(db, org, role="viewer", custom_role_id=role.id)
    actions.delete_custom_role(ctx, role.id)
    db.refresh(member)
    assert member.custom_role_id is None and member.role == "viewer"
    assert count(db, CustomRole) == 0
    assert audit_actions(db) == ["role.deleted"]


def test_custom_roles_of_another_organization_are_not_found(db, ctx):
    foreign = make_role(db, make_org(db))
    with pytest.raises(NotFound):
        actions.update_custom_role(ctx, foreign.id, parse(RoleDefinition, {"name": "Mine"}))
    with pytest.raises(NotFound):
        actions.delete_custom_role(ctx, foreign.id)
    assert foreign.name == "Reporter"


def test_grantable_roles_follow_the_rank(db, org, owner, admin, pm):
    assert team_rules.grantable_roles(actor_of(owner)) == list(actions.ROLES)
    assert "owner" not in team_rules.grantable_roles(actor_of(admin))
    assert team_rules.grantable_roles(actor_of(pm)) == ["team_member", "client", "viewer"]


def test_custom_role_names_clash_whatever_their_letters_case(db, owner, ctx_for):
    from kanvaro.errors import Invalid
    from kanvaro.team import actions as team

    team.create_custom_role(ctx_for(owner), parse(RoleDefinition, {"name": "Ünïcödé ✓", "permissions": []}))
    with pytest.raises(Invalid) as caught:
        team.create_custom_role(ctx_for(owner), parse(RoleDefinition, {"name": "ÜNÏCÖDÉ ✓", "permissions": []}))
    assert caught.value.errors["name"]
    with pytest.raises(Invalid):
        team.create_custom_role(ctx_for(owner), parse(RoleDefinition, {"name": "Ünïcödé ✓", "permissions": []}))
