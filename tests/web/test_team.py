"""The team pages over HTTP: status codes, what the page shows, the rows written."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from kanvaro.models import AuditEntry, CustomRole, EmailOutbox, Invitation, User, UserSession
from kanvaro.security import SESSION_COOKIE
from tests.factories import latest_mail_token, make_org, make_user
from tests.web.markup import adopt_cookie, field_error

LINK = re.compile(r"http://kanvaro\.test/invitations/([A-Za-z0-9_-]+)")


def count(db, model, *where) -> int:
    db.rollback()  # end the read snapshot: see what the app committed
    return db.scalar(select(func.count()).select_from(model).where(*where)) or 0


def reload(db, row) -> None:
    db.rollback()
    db.refresh(row)


def invite(browser, email="new@example.com", role="team_member", **extra):
    return browser.post("/team/invitations", {"email": email, "role": role, **extra})


def token_from_outbox(db) -> str:
    return latest_mail_token(db)


@pytest.fixture
def admin(db, org):
    user = make_user(db, org, role="admin", name="Ada Admin", email="ada@acme.test")
    db.commit()
    return user


# --- the page --------------------------------------------------------------------------

def test_team_page_lists_members_invitations_and_custom_roles(browser, db, org, owner):
    db.add(CustomRole(organization_id=org.id, name="Auditor", permissions=["audit:read"]))
    make_user(db, org, role="viewer", name="Vic Viewer", email="vic@acme.test", active=False)
    db.commit()
    browser.login_as(owner)
    assert invite(browser, "pending@example.com", "client").status_code == 303
    page = browser.get("/team")
    assert page.status_code == 200
    for text in ("Olive Owner", "olive@acme.test", "Vic Viewer", "Deactivated",
                 "pending@example.com", "Client", "Auditor", "audit:read", "Send invitation"):
        assert text in page.text
    assert 'href="/audit"' in page.text and 'href="/team"' in page.text


def test_a_team_member_sees_members_but_no_invitations_or_admin_controls(browser, db, org, owner):
    member = make_user(db, org, role="team_member", name="Tess")
    db.commit()
    browser.login_as(member)
    page = browser.get("/team")
    assert page.status_code == 200 and "Olive Owner" in page.text
    assert "Send invitation" not in page.text and "/deactivate" not in page.text
    assert 'href="/audit"' not in page.text


def test_team_page_needs_a_login(browser):
    r = browser.get("/team")
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


# --- inviting --------------------------------------------------------------------------

def test_invite_writes_the_invitation_and_its_mail_then_redirects(browser, db, owner):
    browser.login_as(owner)
    r = invite(browser, "New@Example.com")
    assert r.status_code == 303 and r.headers["location"] == "/team"
    assert count(db, Invitation, Invitation.email == "new@example.com") == 1
    assert count(db, EmailOutbox, EmailOutbox.to == "new@example.com") == 1
    assert count(db, AuditEntry, AuditEntry.action == "invitation.created") == 1


def test_invite_link_comes_from_the_base_url_not_the_host_header(browser, db, owner):
    browser.login_as(owner)
    invite(browser, headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"})
    db.rollback()  # end the read snapshot: see what the app committed
    mail = db.scalar(select(EmailOutbox))
    assert "evil.example" not in mail.text_body + mail.html_body
    assert "http://kanvaro.test/invitations/" in mail.text_body


@pytest.mark.parametrize("email, message", [
    ("not an address", "valid email"),
    ("olive@acme.test", "already a member"),
])
def test_invite_errors_are_422_next_to_the_email_field(browser, db, owner, email, message):
    browser.login_as(owner)
    r = invite(browser, email)
    assert r.status_code == 422
    assert message in field_error(r.text, "invite-email")
    assert 'id="error-summary"' in r.text and f'value="{email}"' in r.text
    assert count(db, Invitation) == 0 and count(db, EmailOutbox) == 0


def test_a_second_invitation_to_the_same_address_is_422(browser, db, owner):
    browser.login_as(owner)
    assert invite(browser, "sam@example.com").status_code == 303
    r = invite(browser, "SAM@example.com")
    assert r.status_code == 422 and "already pending" in field_error(r.text, "invite-email")
    assert count(db, Invitation) == 1 and count(db, EmailOutbox) == 1


def test_a_project_manager_inviting_an_admin_gets_422_on_the_role(browser, db, org):
    pm = make_user(db, org, role="project_manager")
    db.commit()
    browser.login_as(pm)
    r = invite(browser, role="admin")
    assert r.status_code == 422
    assert "team members, clients and viewers" in field_error(r.text, "invite-role")
    assert count(db, Invitation) == 0
    assert invite(browser, role="viewer").status_code == 303


def test_invite_with_a_foreign_custom_role_is_422_on_the_custom_role(browser, db, owner):
    other = make_org(db, "Other")
    foreign = CustomRole(organization_id=other.id, name="Spy", permissions=[])
    db.add(foreign)
    db.commit()
    browser.login_as(owner)
    r = invite(browser, custom_role=str(foreign.id))
    assert r.status_code == 422 and "your organization" in field_error(r.text, "invite-custom_role")
    assert count(db, Invitation) == 0


def test_invite_with_htmx_answers_the_form_fragment_on_error(browser, db, owner):
    browser.login_as(owner)
    r = browser.post("/team/invitations", {"email": "bad", "role": "viewer"}, htmx=True)
    assert r.status_code == 422 and "<!doctype" not in r.text.lower()
    assert 'id="invite-form"' in r.text and "HX-Request" in r.headers["vary"]


def test_revoke_an_invitation(browser, db, owner):
    browser.login_as(owner)
    invite(browser)
    db.rollback()  # end the read snapshot: see what the app committed
    invitation = db.scalar(select(Invitation))
    r = browser.post(f"/team/invitations/{invitation.id}/revoke")
    assert r.status_code == 303
    reload(db, invitation)
    assert invitation.revoked_at is not None
    assert "Invitation to new@example.com revoked." in browser.get("/team").text  # the flash
    assert "new@example.com" not in browser.get("/team").text  # once; and no longer pending


def test_revoking_another_organizations_invitation_is_404(browser, db, owner):
    other = make_org(db)
    inv = Invitation(organization_id=other.id, email="x@example.com", role="viewer", token_hash="f" * 64,
                     expires_at=datetime.now(UTC) + timedelta(days=1))
    db.add(inv)
    db.commit()
    browser.login_as(owner)
    assert browser.post(f"/team/invitations/{inv.id}/revoke").status_code == 404
    reload(db, inv)
    assert inv.revoked_at is None


# --- accepting -------------------------------------------------------------------------

def test_the_invited_person_accepts_and_lands_logged_in_on_projects(browser, db, org, owner, client):
    browser.login_as(owner)
    invite(browser, "nia@example.com", "project_manager")
    token = token_from_outbox(db)
    client.cookies.clear()
    page = client.get(f"/invitations/{token}")
    assert page.status_code == 200 and "Acme" in page.text and "nia@example.com" in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post(f"/invitations/{token}", data={"name": "Nia New", "password": "a long password",
                                                   "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/projects"
    assert SESSION_COOKIE in r.cookies
    db.rollback()  # end the read snapshot: see what the app committed
    user = db.scalar(select(User).where(User.email == "nia@example.com"))
    assert (user.organization_id, user.role, user.name) == (org.id, "project_manager", "Nia New")
    projects = client.get("/projects", follow_redirects=False)
    assert projects.status_code == 200 and "Nia New" in projects.text
    assert count(db, AuditEntry, AuditEntry.action == "invitation.accepted") == 1


def test_accept_with_bad_input_is_422_and_creates_nothing(browser, db, owner):
    browser.login_as(owner)
    invite(browser, "nia@example.com")
    token = token_from_outbox(db)
    r = browser.post(f"/invitations/{token}", {"name": "", "password": "short"})
    assert r.status_code == 422
    assert field_error(r.text, "name") and field_error(r.text, "password")
    assert count(db, User, User.email == "nia@example.com") == 0


@pytest.mark.parametrize("state", ["used", "revoked", "expired", "unknown"])
def test_an_unusable_token_answers_404_and_creates_nothing(browser, db, owner, state):
    browser.login_as(owner)
    invite(browser, "nia@example.com")
    token = token_from_outbox(db)
    invitation = db.scalar(select(Invitation))
    now = datetime.now(UTC)
    if state == "used":
        accepted = browser.post(f"/invitations/{token}", {"name": "Nia", "password": "a long password"})
        assert accepted.status_code == 303
        adopt_cookie(browser, accepted)  # logged in as Nia now, with a new CSRF secret
    elif state == "revoked":
        invitation.revoked_at = now
    elif state == "expired":
        invitation.expires_at = now - timedelta(seconds=1)
    else:
        token = "A" * 43
    db.commit()
    users_before = count(db, User)
    assert browser.get(f"/invitations/{token}").status_code == 404
    r = browser.post(f"/invitations/{token}", {"name": "Other", "password": "another long password"})
    assert r.status_code == 404
    assert count(db, User) == users_before


# --- roles and deactivation ------------------------------------------------------------

def test_admin_changes_a_members_role_which_applies_on_their_next_request(browser, db, org, admin, client):
    member = make_user(db, org, role="viewer", name="Vic")
    db.commit()
    browser.login_as(member)
    assert browser.post("/team/invitations", {"email": "x@example.com", "role": "viewer"}).status_code == 403
    browser.login_as(admin)
    assert browser.post(f"/team/members/{member.id}/role", {"role": "project_manager"}).status_code == 303
    browser.login_as(member)
    assert browser.post("/team/invitations", {"email": "x@example.com", "role": "viewer"}).status_code == 303


def test_self_promotion_is_403_and_writes_nothing(browser, db, admin):
    browser.login_as(admin)
    r = browser.post(f"/team/members/{admin.id}/role", {"role": "owner"})
    assert r.status_code == 403
    reload(db, admin)
    assert admin.role == "admin" and count(db, AuditEntry) == 0


def test_granting_above_ones_role_is_422_next_to_the_role(browser, db, org, admin):
    member = make_user(db, org, role="viewer")
    db.commit()
    browser.login_as(admin)
    r = browser.post(f"/team/members/{member.id}/role", {"role": "owner"})
    assert r.status_code == 422
    assert "above your own" in field_error(r.text, f"member-{member.id}-role")
    reload(db, member)
    assert member.role == "viewer" and count(db, AuditEntry) == 0


def test_a_custom_role_with_foreign_permissions_is_refused(browser, db, org, admin):
    member = make_user(db, org, role="viewer")
    role = CustomRole(organization_id=org.id, name="Boss", permissions=["organization:update"])
    db.add(role)
    db.commit()
    browser.login_as(admin)
    r = browser.post(f"/team/members/{member.id}/role", {"role": "viewer", "custom_role": str(role.id)})
    assert r.status_code == 422
    assert "organization:update" in field_error(r.text, f"member-{member.id}-custom_role")
    reload(db, member)
    assert member.custom_role_id is None


def test_demoting_the_last_owner_is_refused(browser, db, org, owner):
    ghost = make_user(db, org, role="owner", active=False)
    db.commit()
    browser.login_as(owner)
    assert browser.post(f"/team/members/{owner.id}/role", {"role": "admin"}).status_code == 403
    assert browser.post(f"/team/members/{owner.id}/deactivate").status_code == 403
    reload(db, owner)
    assert owner.role == "owner" and owner.is_active and ghost.is_active is False
    assert count(db, AuditEntry) == 0


def test_deactivation_ends_the_members_session_at_once(browser, db, org, admin, client):
    member = make_user(db, org, role="team_member")
    db.commit()
    browser.login_as(member)
    member_cookie = client.cookies.get(SESSION_COOKIE)
    assert browser.get("/projects").status_code == 200
    browser.login_as(admin)
    assert browser.post(f"/team/members/{member.id}/deactivate").status_code == 303
    assert count(db, UserSession, UserSession.user_id == member.id) == 0
    client.cookies.set(SESSION_COOKIE, member_cookie)
    r = browser.get("/projects")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert count(db, AuditEntry, AuditEntry.action == "user.deactivated") == 1


def test_acting_on_another_organizations_member_is_404(browser, db, admin):
    stranger = make_user(db, make_org(db), role="viewer")
    db.commit()
    browser.login_as(admin)
    assert browser.post(f"/team/members/{stranger.id}/role", {"role": "admin"}).status_code == 404
    assert browser.post(f"/team/members/{stranger.id}/deactivate").status_code == 404
    reload(db, stranger)
    assert stranger.role == "viewer" and stranger.is_active


# --- custom roles ----------------------------------------------------------------------

def test_create_edit_and_delete_a_custom_role(browser, db, org, owner):
    member = make_user(db, org, role="viewer", name="Vic")
    db.commit()
    browser.login_as(owner)
    r = browser.post("/team/roles", [("name", "Auditor"), ("description", "Reads"),
                                     ("permissions", "audit:read"), ("permissions", "project:view_all")])
    assert r.status_code == 303
    role = db.scalar(select(CustomRole))
    assert role.permissions == ["project:view_all", "audit:read"]
    assert browser.post(f"/team/members/{member.id}/role",
                        {"role": "viewer", "custom_role": str(role.id)}).status_code == 303
    browser.login_as(member)
    assert browser.get("/audit").status_code == 200
    browser.login_as(owner)
    r = browser.post(f"/team/roles/{role.id}", [("name", "Watcher"), ("permissions", "project:view_all")])
    assert r.status_code == 303
    browser.login_as(member)
    assert browser.get("/audit").status_code == 403
    browser.login_as(owner)
    assert browser.post(f"/team/roles/{role.id}/delete").status_code == 303
    db.rollback()  # end the read snapshot: see what the app committed
    assert db.get(User, member.id).custom_role_id is None and count(db, CustomRole) == 0
    actions = list(db.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "role")))
    assert actions == ["role.created", "role.updated", "role.deleted"]


def test_a_custom_role_error_is_shown_next_to_its_field(browser, db, admin):
    browser.login_as(admin)
    r = browser.post("/team/roles", [("name", ""), ("permissions", "organization:update")])
    assert r.status_code == 422
    assert field_error(r.text, "new-role-name")
    assert "organization:update" in field_error(r.text, "new-role-permissions")
    assert count(db, CustomRole) == 0


def test_team_members_cannot_manage_roles(browser, db, org):
    member = make_user(db, org, role="team_member")
    db.commit()
    browser.login_as(member)
    assert browser.post("/team/roles", {"name": "Mine"}).status_code == 403
    assert count(db, CustomRole) == 0
