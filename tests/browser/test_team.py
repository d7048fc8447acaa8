"""Issue 4 in a real browser: invite from /team, take the link from the delivered mail, accept
in a fresh browser and land on /projects with the invited role (JS on, JS off, keyboard alone);
axe-core on /team, /audit, the acceptance page (also with errors) and a used token's 404."""

from __future__ import annotations

import dataclasses
import email
import re
import socket
from collections.abc import Callable, Iterator
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from kanvaro import mail
from kanvaro.audit import bump_revision
from kanvaro.inputs import parse
from kanvaro.models import AuditEntry, CustomRole, EmailOutbox, Invitation, User
from kanvaro.team import actions as team_actions
from kanvaro.team.forms import NewInvitation
from tests.browser.conftest import LiveServer, assert_no_axe_violations, focused, tab_to
from tests.factories import make_ctx, make_org, make_project, make_user

INVITEE = "ivy@example.com"
NAME = "Ivy Invitee"
PASSWORD = "a long new password"


# --------------------------------------------------------------------------- mail, really delivered


class Inbox:
    """What a real SMTP server (aiosmtpd on 127.0.0.1) received."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def link_in(text: str, live: LiveServer) -> str:
    match = re.search(re.escape(live.url) + r"/invitations/[A-Za-z0-9_-]+", text)
    assert match, f"no invitation link in the mail:\n{text}"
    return match.group(0)


def deliver_by_smtp(live: LiveServer, smtp: tuple[Inbox, int]) -> str:
    """Run the sender against the SMTP server; return the link of the one mail it delivered."""
    inbox, port = smtp
    settings = dataclasses.replace(live.settings, smtp_url=f"smtp://127.0.0.1:{port}")
    assert mail.drain_once(settings, engine=live.engine) == 1
    [(rcpt, msg)] = inbox.messages
    assert rcpt == [INVITEE] and msg["To"] == INVITEE
    assert "Olive Owner" in msg["Subject"] and "Acme" in msg["Subject"]
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    link = link_in(text, live)
    assert f'href="{link}"' in html
    return link


def deliver_to_files(live: LiveServer) -> str:
    """No KANVARO_SMTP_URL: the sender writes .eml files; return the link of the one written."""
    assert not live.settings.smtp_url
    assert mail.drain_once(live.settings, engine=live.engine) == 1
    [path] = sorted(Path(live.settings.outbox_dir).glob("*.eml"))
    msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert msg["To"] == INVITEE
    return link_in(msg.get_body(("plain",)).get_content(), live)  # type: ignore[union-attr]


# --------------------------------------------------------------------------- arranging


@dataclasses.dataclass
class Team:
    org: Any
    owner: Any
    role: Any  # the custom role "Reporter" (audit:read)


def make_team(live: LiveServer) -> Team:
    with live.db() as db:
        org = make_org(db, "Acme")
        owner = make_user(db, org, role="owner", name="Olive Owner", email="olive@acme.test")
        tom = make_user(db, org, role="team_member", name="Tom Member", email="tom@acme.test")
        make_user(db, org, role="viewer", name="Vera Gone", email="vera@acme.test", active=False)
        make_project(db, org, name="Moonshot", creator=owner, members=[tom])
        role = CustomRole(organization_id=org.id, name="Reporter", description="Reads the audit log.",
                          permissions=["audit:read"])
        db.add(role)
        db.commit()
        return Team(org, owner, role)


def invitations(live: LiveServer) -> list[Invitation]:
    with live.db() as db:
        return list(db.scalars(select(Invitation).order_by(Invitation.id)))


def assert_joined(page: Page, live: LiveServer, team: Team) -> None:
    """On /projects, logged in as the invited person, with the invited role."""
    expect(page).to_have_url(re.compile(r".*/projects$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Projects")
    expect(page.locator(".who")).to_have_text(NAME)
    # team_member + Reporter: the audit log (custom role), no new projects (built-in role)
    expect(page.get_by_role("link", name="Audit")).to_be_visible()
    expect(page.get_by_role("link", name="New project")).to_have_count(0)
    with live.db() as db:
        user = db.scalar(select(User).where(User.email == INVITEE))
        assert user is not None and user.name == NAME and user.is_active
        assert user.organization_id == team.org.id
        assert (user.role, user.custom_role_id) == ("team_member", team.role.id)
        [inv] = db.scalars(select(Invitation)).all()
        assert inv.accepted_at is not None
        accepted = db.scalars(select(AuditEntry).where(AuditEntry.action == "invitation.accepted")).all()
        assert [(a.actor_id, a.entity_id) for a in accepted] == [(user.id, inv.id)]


def assert_used_link_is_404(page: Page, link: str, live: LiveServer) -> None:
    users = _count_users(live)
    response = page.goto(link)
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    assert _count_users(live) == users


def _count_users(live: LiveServer) -> int:
    with live.db() as db:
        return db.scalar(select(func.count()).select_from(User)) or 0


# --------------------------------------------------------------------------- the flow, three ways


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_invite_accept_from_the_mail_and_land_on_projects(
    js: bool, new_page: Callable[..., Page], live: LiveServer, smtp: tuple[Inbox, int]
) -> None:
    team = make_team(live)
    admin = new_page(java_script_enabled=js)
    live.login(admin.context, team.owner)
    posts: list[dict[str, str]] = []
    admin.on("request", lambda r: posts.append(r.headers) if r.method == "POST" else None)

    admin.goto("/team")
    form = admin.locator("#invite-form")
    form.get_by_label("Email").fill(INVITEE)
    form.get_by_label("Role", exact=True).select_option("team_member")
    form.get_by_label("Custom role").select_option(label="Reporter")
    form.get_by_role("button", name="Send invitation").click()

    expect(admin).to_have_url(re.compile(r".*/team$"))
    row = admin.locator("#invitations tbody tr", has_text=INVITEE)
    expect(row).to_contain_text("Team member")
    expect(row).to_contain_text("Reporter")
    expect(row).to_contain_text("Olive Owner")
    assert len(posts) == 1 and (posts[0].get("hx-boosted") == "true") is js
    [inv] = invitations(live)
    assert (inv.email, inv.role, inv.custom_role_id) == (INVITEE, "team_member", team.role.id)

    link = deliver_by_smtp(live, smtp) if js else deliver_to_files(live)

    invitee = new_page(java_script_enabled=js)  # a fresh browser: no cookie of the admin's
    invitee.goto(link)
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Join Acme")
    expect(invitee.locator("main")).to_contain_text(INVITEE)
    invitee.get_by_label("Your name").fill(NAME)
    invitee.get_by_label("Password").fill(PASSWORD)
    invitee.get_by_role("button", name="Join Acme").click()
    assert_joined(invitee, live, team)

    assert_used_link_is_404(invitee, link, live)
    # the admin sees the new member; the invitation is no longer pending
    admin.goto("/team")
    expect(admin.locator("#members")).to_contain_text(NAME)
    expect(admin.locator("#invitations")).to_contain_text("No pending invitations.")


def test_invite_and_accept_by_keyboard_alone(
    new_page: Callable[..., Page], live: LiveServer, smtp: tuple[Inbox, int]
) -> None:
    team = make_team(live)
    admin = new_page()
    live.login(admin.context, team.owner)
    admin.goto("/team")

    tab_to(admin, "#invite-email")
    admin.keyboard.type(INVITEE)
    tab_to(admin, "#invite-role")
    expect(admin.locator("#invite-role")).to_have_value("team_member")
    tab_to(admin, "#invite-custom_role")
    admin.keyboard.press("ArrowDown")  # None -> Reporter
    expect(admin.locator("#invite-custom_role")).to_have_value(str(team.role.id))
    info = tab_to(admin, "#invite-form button[type=submit]")
    assert info["text"] == "Send invitation"
    admin.keyboard.press("Enter")
    expect(admin.locator("#invitations tbody tr", has_text=INVITEE)).to_be_visible()
    assert [i.email for i in invitations(live)] == [INVITEE]

    link = deliver_by_smtp(live, smtp)
    invitee = new_page()
    invitee.goto(link)
    invitee.keyboard.press("Tab")
    assert focused(invitee)["text"] == "Skip to main content"
    invitee.keyboard.press("Enter")
    assert focused(invitee)["id"] == "main"
    tab_to(invitee, "#name")
    invitee.keyboard.type(NAME)
    tab_to(invitee, "#password")
    invitee.keyboard.type(PASSWORD)
    tab_to(invitee, "#accept-form button[type=submit]")
    invitee.keyboard.press("Enter")
    assert_joined(invitee, live, team)


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_rejected_acceptance_keeps_the_name_and_creates_nothing(
    js: bool, new_page: Callable[..., Page], live: LiveServer
) -> None:
    team = make_team(live)
    link = _invitation_link(live, team)
    page = new_page(java_script_enabled=js)
    users = _count_users(live)
    page.goto(link)
    page.get_by_label("Your name").fill(NAME)
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Join Acme").click()

    expect(page.locator("#error-summary")).to_be_visible()
    password = page.locator("#password")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_attribute("aria-describedby", re.compile(r"\bpassword-error\b"))
    expect(page.locator("#password-error")).to_contain_text("at least 10 characters")
    expect(page.locator("#name")).to_have_value(NAME)
    expect(password).to_have_value("")
    assert _count_users(live) == users
    [inv] = invitations(live)
    assert inv.accepted_at is None

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Join Acme").click()
    expect(page).to_have_url(re.compile(r".*/projects$"))
    expect(page.locator(".who")).to_have_text(NAME)


# --------------------------------------------------------------------------- axe-core


def _invitation_link(live: LiveServer, team: Team, email_addr: str = INVITEE) -> str:
    with live.db() as db:
        owner = db.get(User, team.owner.id)
        ctx = make_ctx(db, owner, live.settings)
        _, token = team_actions.invite(ctx, parse(NewInvitation, {"email": email_addr, "role": "team_member",
                                             "custom_role": str(team.role.id)}))
        db.commit()
    return f"{live.url}/invitations/{token}"


def test_axe_team_page_with_members_invitations_and_custom_roles(page: Page, live: LiveServer) -> None:
    team = make_team(live)
    _invitation_link(live, team, "first@example.com")
    _invitation_link(live, team, "second@example.com")
    with live.db() as db:  # a mail the server refused: shown to admins
        db.add(EmailOutbox(organization_id=team.org.id, to="gone@example.com", subject="Invitation",
                           status="failed", attempts=1, last_error="550 no such user"))
        db.commit()
    live.login(page.context, team.owner)
    page.goto("/team")
    expect(page.locator("#members tbody tr")).to_have_count(3)
    expect(page.locator("#invitations tbody tr")).to_have_count(2)
    expect(page.locator("#roles")).to_contain_text("Reporter")
    expect(page.locator("#undelivered")).to_contain_text("550 no such user")
    assert_no_axe_violations(page)

    # every control says whom or what it acts on, starting with its visible text (WCAG 2.5.3)
    buttons = page.get_by_role("button")
    names = [b.evaluate("e => e.textContent.replace(/\\s+/g, ' ').trim()") for b in buttons.all()]
    repeated = {n for n in names if names.count(n) > 1}
    assert not repeated, f"buttons sharing a name on /team: {repeated}"
    expect(page.get_by_role("button", name="Save role of Tom Member", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Deactivate Tom Member", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Revoke the invitation to first@example.com",
                            exact=True)).to_be_visible()

    page.locator("#role-" + str(team.role.id) + " summary").click()  # the edit form, open
    expect(page.get_by_role("button", name="Save role Reporter", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Delete role Reporter", exact=True)).to_be_visible()
    assert_no_axe_violations(page)

    # each form rejected: errors next to the fields, still clean
    form = page.locator("#invite-form")
    form.get_by_label("Email").fill("first@example.com")
    form.get_by_role("button", name="Send invitation").click()
    expect(page.locator("#invite-email-error")).to_contain_text("already pending")
    assert_no_axe_violations(page)

    page.goto("/team")
    new_role = page.locator("#new-role-form")
    new_role.get_by_label("Name").fill("reporter")
    new_role.get_by_role("button", name="Create role").click()
    expect(page.locator("#new-role-name-error")).to_contain_text("exists already")
    assert_no_axe_violations(page)


def test_axe_team_page_as_a_team_member(page: Page, live: LiveServer) -> None:
    team = make_team(live)
    with live.db() as db:
        tom = db.scalar(select(User).where(User.email == "tom@acme.test"))
    live.login(page.context, tom)
    page.goto("/team")
    expect(page.locator("#members tbody tr")).to_have_count(3)
    expect(page.locator("#invite-form")).to_have_count(0)
    assert team.role.name == "Reporter"
    assert_no_axe_violations(page)


def test_axe_audit_page_with_entries(page: Page, live: LiveServer) -> None:
    team = make_team(live)
    for i in range(3):
        _invitation_link(live, team, f"person{i}@example.com")
    live.login(page.context, team.owner)
    page.goto("/team")
    page.locator("#new-role-form").get_by_label("Name").fill("Planner")
    page.locator("#new-role-form").get_by_label("Create projects").check()
    page.locator("#new-role-form").get_by_role("button", name="Create role").click()
    expect(page.locator("#roles")).to_contain_text("Planner")

    page.goto("/audit")
    expect(page.locator("#results .audit-log > li")).to_have_count(4)
    expect(page.locator("#results .audit-log > li").first).to_contain_text("role.created")
    assert_no_axe_violations(page)

    page.get_by_label("Entity").select_option("invitation")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#results .audit-log > li")).to_have_count(3)
    assert_no_axe_violations(page)

    page.goto("/audit?entity_type=task")
    expect(page.get_by_text("No entries match.")).to_be_visible()
    assert_no_axe_violations(page)

    with live.db() as db:  # more than a page of entries, with changes of every shape
        db.add_all([AuditEntry(organization_id=team.org.id, actor_id=team.owner.id,
                               action="task.updated", entity_type="task", entity_id=i,
                               changes={"title": [f"Old {i}", f"New {i}"], "story_points": [None, i],
                                        "members": [[1], [1, 2]]})
                    for i in range(60)])
        bump_revision(db.connection(), team.org.id, 0)  # as every audit entry does: pages changed
        db.commit()
    page.goto("/audit")
    expect(page.locator("#results .audit-log > li")).to_have_count(50)
    expect(page.locator(".pager")).to_contain_text("Page 1")
    page.get_by_role("link", name="Older").click()
    expect(page.locator(".pager")).to_contain_text("Page 2")
    expect(page.locator("#results .audit-log > li")).to_have_count(14)
    assert_no_axe_violations(page)


def test_axe_acceptance_page_with_errors_and_the_404_of_a_used_token(page: Page, live: LiveServer) -> None:
    team = make_team(live)
    link = _invitation_link(live, team)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Join Acme")
    assert_no_axe_violations(page)

    page.get_by_role("button", name="Join Acme").click()
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#name-error")).to_be_visible()
    assert_no_axe_violations(page)

    page.get_by_label("Your name").fill(NAME)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Join Acme").click()
    expect(page).to_have_url(re.compile(r".*/projects$"))

    response = page.goto(link)
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    assert_no_axe_violations(page)


# --------------------------------------------------------------------------- issue 11: the table, the questions

PHONE = {"width": 390, "height": 844}


def _member(live: LiveServer, email: str) -> Any:
    with live.db() as db:
        return db.scalar(select(User).where(User.email == email))


def _fits(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width} px wide at 390"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_team_page_and_its_questions_fit_a_phone_and_are_axe_clean(
    new_page: Callable[..., Page], live: LiveServer, scheme: str
) -> None:
    team = make_team(live)
    tom = _member(live, "tom@acme.test")
    with live.db() as db:  # a role held by someone, and one the admin below may not grant
        db.get(User, tom.id).custom_role_id = team.role.id
        db.add(CustomRole(organization_id=team.org.id, name="Boss", permissions=["organization:update"]))
        admin = make_user(db, db.get(type(team.org), team.org.id), role="admin", name="Ada Admin",
                          email="ada@acme.test")
        db.commit()
    page = new_page(viewport=PHONE, color_scheme=scheme)
    live.login(page.context, team.owner)
    for url in ("/team", f"/team/members/{tom.id}/deactivate", f"/team/roles/{team.role.id}/delete"):
        page.goto(url)
        _fits(page)
        assert_no_axe_violations(page)
    page.goto("/team")
    page.locator(f"#role-{team.role.id} summary").click()  # the edit form, open
    _fits(page)
    assert_no_axe_violations(page)

    # a refused inline change: the error in the member's row, still within the phone
    refused = new_page(viewport=PHONE, color_scheme=scheme)
    live.login(refused.context, admin)
    refused.goto("/team")
    refused.get_by_label("Custom role of Tom Member").select_option(label="Boss")
    refused.get_by_role("button", name="Save role of Tom Member").click()
    expect(refused.locator(f"#member-{tom.id} #member-{tom.id}-custom_role-error")).to_contain_text(
        "Edit the organization")
    _fits(refused)
    assert_no_axe_violations(refused)


def _owner_on_the_team_page(new_page: Callable[..., Page], live: LiveServer,
                            js: bool) -> tuple[Any, Any, Page]:
    """The owner on /team, with Tom Member in the team."""
    team = make_team(live)
    tom = _member(live, "tom@acme.test")
    page = new_page(java_script_enabled=js)
    live.login(page.context, team.owner)
    page.goto("/team")
    return team, tom, page


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_an_inline_role_change_works_by_keyboard(js: bool, new_page: Callable[..., Page],
                                                 live: LiveServer) -> None:
    team, tom, page = _owner_on_the_team_page(new_page, live, js)
    tab_to(page, f"#member-{tom.id}-role")
    page.keyboard.press("ArrowUp")  # Team member -> Project manager
    expect(page.locator(f"#member-{tom.id}-role")).to_have_value("project_manager")
    tab_to(page, f"#member-{tom.id}-custom_role")
    page.keyboard.press("ArrowDown")  # None -> Reporter
    info = tab_to(page, f"#member-{tom.id} button[type=submit]")
    assert info["text"].split() == ["Save", "role", "of", "Tom", "Member"]  # "Save" + hidden text
    page.keyboard.press("Enter")
    expect(page.locator("#flash")).to_have_text("Role of Tom Member saved.")
    expect(page).to_have_url(re.compile(r".*/team$"))
    expect(page.locator(f"#member-{tom.id}-role")).to_have_value("project_manager")
    expect(page.locator(f"#member-{tom.id}-custom_role")).to_have_value(str(team.role.id))
    with live.db() as db:
        saved = db.get(User, tom.id)
        assert (saved.role, saved.custom_role_id) == ("project_manager", team.role.id)


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_deactivating_asks_on_its_own_page_then_says_so(js: bool, new_page: Callable[..., Page],
                                                       live: LiveServer) -> None:
    _, tom, page = _owner_on_the_team_page(new_page, live, js)
    page.get_by_role("link", name="Deactivate Tom Member").click()
    if not js:  # the question's own page (with JavaScript, kanvaro.js shows it in a dialog)
        expect(page).to_have_url(re.compile(rf".*/team/members/{tom.id}/deactivate$"))
    question = page.locator("section.confirm")
    expect(question.get_by_role("heading", level=1)).to_have_text("Deactivate Tom Member?")
    expect(question).to_contain_text("logged out at once")
    assert _member(live, "tom@acme.test").is_active  # asking changed nothing
    question.get_by_role("button", name="Deactivate Tom Member").click()
    expect(page).to_have_url(re.compile(r".*/team$"))
    expect(page.locator("#flash")).to_have_text("Tom Member deactivated and logged out.")
    expect(page.locator(f"#member-{tom.id}")).to_contain_text("Deactivated")
    assert not _member(live, "tom@acme.test").is_active
