"""The team pages over HTTP: status codes, what the page shows, the rows written."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from markupsafe import escape
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


# --- the team page as a table (issue 11) ------------------------------------------------

def _row(page: str, user_id: int) -> str:
    match = re.search(rf'<tr id="member-{user_id}">(.*?)</tr>', page, re.DOTALL)
    assert match, f"no row for member {user_id}"
    return match.group(1)


def _text(markup: str) -> str:
    """What a reader sees: the markup without its tags (attribute values left out)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def test_each_member_row_holds_the_role_change_with_controls_naming_the_person(browser, db, org, owner):
    vic = make_user(db, org, role="viewer", name="Vic Viewer", email="vic@acme.test")
    db.commit()
    row = _row(browser.login_as(owner).get("/team").text, vic.id)
    assert 'class="avatar' in row and 'aria-hidden="true"' in row
    for text in ("Vic Viewer", "vic@acme.test", "Active"):
        assert text in _text(row)
    assert f'action="/team/members/{vic.id}/role"' in row
    assert f'<label for="member-{vic.id}-role" class="visually-hidden">Role of Vic Viewer</label>' in row
    assert (f'<label for="member-{vic.id}-custom_role" class="visually-hidden">Custom role of Vic Viewer'
            '</label>') in row
    assert 'Save<span class="visually-hidden"> role of Vic Viewer</span></button>' in row


def test_a_refused_role_change_shows_its_error_in_the_members_row(browser, db, org, admin):
    vic = make_user(db, org, role="viewer", name="Vic")
    db.commit()
    r = browser.login_as(admin).post(f"/team/members/{vic.id}/role", {"role": "owner"})
    assert r.status_code == 422
    assert "above your own" in field_error(r.text, f"member-{vic.id}-role")
    assert f'id="member-{vic.id}-role-error"' in _row(r.text, vic.id)
    assert f'<a href="#member-{vic.id}-role">Role of Vic: ' in r.text  # the summary names them
    htmx = browser.post(f"/team/members/{vic.id}/role", {"role": "owner"}, htmx=True)
    assert htmx.status_code == 422 and "<!doctype" not in htmx.text.lower()
    assert f'id="member-{vic.id}-role-error"' in _row(htmx.text, vic.id)


def test_the_team_page_links_to_the_questions_instead_of_posting(browser, db, org, owner):
    vic = make_user(db, org, role="viewer", name="Vic")
    role = CustomRole(organization_id=org.id, name="Auditor", permissions=["audit:read"])
    db.add(role)
    db.commit()
    page = browser.login_as(owner).get("/team").text
    assert (f'<a class="button danger" href="/team/members/{vic.id}/deactivate" data-dialog>'
            'Deactivate<span class="visually-hidden"> Vic</span></a>') in page
    assert (f'<a class="button danger" href="/team/roles/{role.id}/delete" data-dialog>'
            'Delete role<span class="visually-hidden"> Auditor</span></a>') in page
    assert f'action="/team/members/{vic.id}/deactivate"' not in page  # no one-click change
    assert f'action="/team/roles/{role.id}/delete"' not in page
    assert "data-confirm" not in page


# --- permissions by name, grouped by area ----------------------------------------------

def test_custom_roles_list_their_permissions_by_name_and_description_by_area(browser, db, org, owner):
    db.add(CustomRole(organization_id=org.id, name="Auditor",
                      permissions=["task:change_status", "audit:read"]))
    member = make_user(db, org, role="team_member")
    db.commit()
    for viewer in (owner, member):  # with and without the forms that hold the codes
        page = browser.login_as(viewer).get("/team").text
        roles = _text(page[page.index('id="roles"'):])
        assert "Tasks Change task status – Change a task's status, and its place on the board." in roles
        assert "Audit log Read the audit log – See who changed what, and when." in roles
        assert "task:change_status" not in roles and "audit:read" not in roles


def test_role_forms_offer_each_permission_by_name_with_its_description_grouped_by_area(browser, db, admin):
    from kanvaro.permissions import BY_CODE, PERMISSIONS
    page = browser.login_as(admin).get("/team").text
    form = page[page.index('id="new-role-form"'):page.index("</form>", page.index('id="new-role-form"'))]
    legends = re.findall(r"<legend>(.*?)</legend>", form)
    assert legends == ["Permissions", "Projects", "Tasks", "Stories", "Comments and files", "Team",
                       "Audit log", "Organization"]
    boxes = re.findall(r'<input type="checkbox" name="permissions" value="([^"]+)" id="([^"]+)" '
                       r'aria-describedby="([^"]+)"', form)
    assert sorted(code for code, _, _ in boxes) == sorted(PERMISSIONS)  # the codes, as posted before
    for code, box_id, hint_id in boxes:
        assert f'<label for="{box_id}">{escape(BY_CODE[code].name)}</label>' in form
        assert f'<p class="hint" id="{hint_id}">{escape(BY_CODE[code].description)}</p>' in form
    assert not any(code in _text(form) for code in PERMISSIONS)


def test_the_codes_the_role_form_posts_are_stored_as_sent(browser, db, owner):
    page = browser.login_as(owner).get("/team").text
    form = page[page.index('id="new-role-form"'):]
    codes = re.findall(r'name="permissions" value="([^"]+)"', form[:form.index("</form>")])
    r = browser.post("/team/roles", [("name", "Everything"), *(("permissions", c) for c in codes)])
    assert r.status_code == 303
    from kanvaro.permissions import PERMISSIONS
    assert db.scalar(select(CustomRole)).permissions == list(PERMISSIONS)


def test_a_refused_permission_is_named_in_the_error(browser, db, admin):
    r = browser.login_as(admin).post("/team/roles", [("name", "Boss"), ("permissions", "organization:update")])
    assert r.status_code == 422
    assert field_error(r.text, "new-role-permissions") == (
        "You cannot grant permissions you do not have: Edit the organization (organization:update).")
    assert 'value="organization:update" id="new-role-permissions-organization-update" ' \
           'aria-describedby="new-role-permissions-organization-update-hint" checked' in r.text


# --- confirmation pages for deactivating and deleting a role (issue 11) -----------------

def _confirm_form(page: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of the form inside the page's `section.confirm`."""
    section = re.search(r'<section class="narrow confirm"[^>]*>(.*?)</section>', page, re.DOTALL)
    assert section, "no section.confirm"
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', section.group(1), re.DOTALL)
    assert form, "no form in section.confirm"
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(2)))
    return form.group(1), fields


def test_the_deactivation_page_says_who_goes_and_what_they_keep(browser, db, org, owner):
    from tests.factories import make_project
    tom = make_user(db, org, role="team_member", name="Tom Member", email="tom@acme.test")
    project = make_project(db, org, members=[owner, tom], creator=owner)
    from kanvaro.models import Task
    from tests.factories import assign
    tasks = [Task(organization_id=org.id, project_id=project.id, number=n, title=f"T{n}", status=status)
             for n, status in ((1, "todo"), (2, "review"), (3, "completed"))]
    db.add_all(tasks)
    db.flush()
    for task in tasks:
        assign(db, task, tom, owner)  # his open tasks, however many others share them
    db.commit()
    r = browser.login_as(owner).get(f"/team/members/{tom.id}/deactivate")
    assert r.status_code == 200
    text = _text(r.text)
    assert "Deactivate Tom Member?" in text and "tom@acme.test" in text
    assert "is logged out at once" in text
    assert "2 open tasks stay assigned to them" in text  # the completed one is not counted
    assert "They stay listed in their 1 project" in text
    assert "cannot be undone" in text
    assert _confirm_form(r.text) == (f"/team/members/{tom.id}/deactivate", {
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', r.text).group(1), "confirm": "1"})
    assert f'href="/team#member-{tom.id}" data-dialog-close>Keep Tom Member active</a>' in r.text
    reload(db, tom)
    assert tom.is_active and count(db, AuditEntry) == 0


def test_deactivating_through_the_page_logs_them_out_and_says_so(browser, db, org, admin):
    tom = make_user(db, org, role="team_member", name="Tom Member")
    db.commit()
    browser.login_as(tom)
    browser.login_as(admin)
    action, fields = _confirm_form(browser.get(f"/team/members/{tom.id}/deactivate").text)
    r = browser.post(action, {k: v for k, v in fields.items() if k != "csrf_token"})
    assert r.status_code == 303 and r.headers["location"] == "/team"
    reload(db, tom)
    assert not tom.is_active and count(db, UserSession, UserSession.user_id == tom.id) == 0
    page = browser.get("/team").text
    assert "Tom Member deactivated and logged out." in page  # the flash
    assert "Deactivated" in _text(_row(page, tom.id))
    again = browser.get(f"/team/members/{tom.id}/deactivate")  # nothing left to ask
    assert again.status_code == 200 and "Tom Member is deactivated" in again.text
    assert 'name="confirm"' not in again.text


def test_the_deactivation_post_still_works_without_confirm(browser, db, org, admin):
    tom = make_user(db, org, role="team_member")
    db.commit()
    assert browser.login_as(admin).post(f"/team/members/{tom.id}/deactivate").status_code == 303
    reload(db, tom)
    assert not tom.is_active


def test_the_deactivation_page_follows_the_rules_of_the_post(browser, db, org, owner, admin):
    tom = make_user(db, org, role="team_member")
    vic = make_user(db, org, role="viewer")
    stranger = make_user(db, make_org(db), role="viewer")
    db.commit()
    browser.login_as(admin)
    assert browser.get(f"/team/members/{stranger.id}/deactivate").status_code == 404
    assert browser.get(f"/team/members/{owner.id}/deactivate").status_code == 403  # ranked above
    assert browser.get(f"/team/members/{admin.id}/deactivate").status_code == 403  # oneself
    assert browser.get(f"/team/members/{tom.id}/deactivate").status_code == 200
    browser.login_as(tom)  # without user:deactivate: not even for someone ranked below
    assert browser.get(f"/team/members/{vic.id}/deactivate").status_code == 403
    assert browser.get(f"/team/members/{admin.id}/deactivate").status_code == 403
    assert browser.get(f"/team/members/{stranger.id}/deactivate").status_code == 404
    browser.session_token = ""
    browser._set_cookie()
    r = browser.get(f"/team/members/{tom.id}/deactivate")
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


def test_the_role_deletion_page_says_who_loses_its_permissions(browser, db, org, owner):
    role = CustomRole(organization_id=org.id, name="Auditor", permissions=["audit:read"])
    db.add(role)
    db.flush()
    for name in ("Ann", "Bob"):
        make_user(db, org, role="viewer", name=name, custom_role_id=role.id)
    db.add(Invitation(organization_id=org.id, email="x@example.com", role="viewer", custom_role_id=role.id,
                      token_hash="e" * 64, expires_at=datetime.now(UTC) + timedelta(days=1)))
    db.commit()
    r = browser.login_as(owner).get(f"/team/roles/{role.id}/delete")
    assert r.status_code == 200
    text = _text(r.text)
    assert "Delete the custom role “Auditor”?" in text
    assert "2 members lose its permissions at once and keep only their built-in role: Ann, Bob." in text
    assert "1 pending invitation carries it" in text
    assert "Audit log Read the audit log" in text and "audit:read" not in text
    action, fields = _confirm_form(r.text)
    assert action == f"/team/roles/{role.id}/delete" and fields["confirm"] == "1"
    assert f'href="/team#role-{role.id}" data-dialog-close>Keep the role</a>' in r.text
    assert count(db, CustomRole) == 1


def test_deleting_a_role_through_the_page_says_so(browser, db, org, owner):
    role = CustomRole(organization_id=org.id, name="Auditor", permissions=["audit:read"])
    db.add(role)
    db.flush()
    ann = make_user(db, org, role="viewer", name="Ann", custom_role_id=role.id)
    db.commit()
    browser.login_as(owner)
    action, fields = _confirm_form(browser.get(f"/team/roles/{role.id}/delete").text)
    r = browser.post(action, {k: v for k, v in fields.items() if k != "csrf_token"})
    assert r.status_code == 303 and r.headers["location"] == "/team"
    assert count(db, CustomRole) == 0
    reload(db, ann)
    assert ann.custom_role_id is None
    assert "Custom role “Auditor” deleted; its member keeps only their built-in role." in browser.get("/team").text


def test_the_role_deletion_page_follows_the_rules_of_the_post(browser, db, org, owner):
    role = CustomRole(organization_id=org.id, name="Auditor", permissions=[])
    foreign = CustomRole(organization_id=make_org(db).id, name="Spy", permissions=[])
    pm = make_user(db, org, role="project_manager")
    db.add_all([role, foreign])
    db.commit()
    browser.login_as(owner)
    assert browser.get(f"/team/roles/{foreign.id}/delete").status_code == 404
    assert browser.get(f"/team/roles/{role.id}/delete").status_code == 200
    browser.login_as(pm)
    assert browser.get(f"/team/roles/{role.id}/delete").status_code == 403
    assert browser.post(f"/team/roles/{role.id}/delete").status_code == 403
    assert browser.get(f"/team/roles/{foreign.id}/delete").status_code == 404
    assert count(db, CustomRole) == 2
