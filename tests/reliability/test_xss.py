"""Stored XSS (issue 6, suite 4): hostile text in every text field is shown escaped everywhere.

Every text a user can store (organization and user names, emails, project, story and task
titles and descriptions, custom role names and descriptions, invitation emails) holds markup
that would run if it were not escaped. Each page that shows them, as a full page and as an
htmx fragment, and the 422 pages that echo input, must hold no executable markup: no <script>
but ours from /static, no on* attribute, no javascript: URL, no <img> we did not write. And
the escaped text is there, so the test looks at pages that really show the payloads.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from markupsafe import escape
from sqlalchemy import select, update

from kanvaro.attachments.models import Attachment
from kanvaro.models import Invitation, Project, Story, Task
from tests.factories import make_org, make_user, now

TOKEN = "xss-token-" + "y" * 30


def payload(tag: str) -> str:
    return f'<script>alert("{tag}")</script>"><img src=x onerror=alert("{tag}")>\'><svg onload=alert(1)>'


def email_payload(tag: str) -> str:
    return f'"><img/src=x/onerror=alert({tag})><script>{tag}</script>@example.com'


# An invitation email is one plain mailbox (issue 9, item 4): no <, > or " fits in one. This
# one holds what does (', &, {, }, `, =). The markup payload is planted as an invitation
# row instead, as a database from before that rule may still hold one.
INVITE_EMAIL = "o'neil&amp{{7*7}}`=x@example.com"

JS_URL = "javascript:alert(document.cookie)"


# Our own icons (templating.icon) are the one <svg> a page may hold: exactly these attributes.
ICON = [("class", "icon"), ("aria-hidden", "true"), ("focusable", "false")]


class Audit(HTMLParser):
    """Collects what would execute in a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and not (values.get("src") or "").startswith("/static/"):
            self.problems.append(f"inline or foreign <script {attrs}>")
        if tag in ("img", "svg", "iframe", "object", "embed") and attrs != ICON:
            self.problems.append(f"<{tag} {attrs}>")
        if tag == "use" and not (values.get("href") or "").startswith("/static/vendor/icons.svg"):
            self.problems.append(f"<use {attrs}>")
        for name, value in attrs:
            if name.startswith(("on", "hx-on")):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction", "hx-get", "hx-post") and value \
                    and value.strip().lower().startswith(("javascript:", "data:text")):
                self.problems.append(f"<{tag} {name}={value!r}>")


def executable_markup(page: str) -> list[str]:
    parser = Audit()
    parser.feed(page)
    return parser.problems


def fresh(db, model):  # type: ignore[no-untyped-def]
    db.rollback()  # end the read snapshot: see what the app committed
    return db.scalar(select(model))


@pytest.fixture
def hostile(browser, db):  # type: ignore[no-untyped-def]
    """An organization where every stored text is hostile, made through the app's own forms."""
    org = make_org(db, payload("org"))
    owner = make_user(db, org, role="owner", name=payload("owner"), email=email_payload("owner"))
    mate = make_user(db, org, role="team_member", name=payload("mate"), email="mate@example.com")
    db.commit()
    browser.login_as(owner)
    r = browser.post("/team/roles", {"name": payload("role")[:100], "description": payload("roledesc"),
                                     "permissions": "task:create"})
    assert r.status_code == 303, r.text[-1000:]
    r = browser.post("/projects", {"name": payload("project"), "description": payload("pdesc") + JS_URL,
                                   "members": [str(mate.id)]})
    assert r.status_code == 303, r.text[-1000:]
    project = fresh(db, Project)
    r = browser.post(f"/projects/{project.id}/stories", {"title": payload("story"),
                                                         "description": payload("sdesc") + JS_URL})
    assert r.status_code == 303, r.text[-1000:]
    story = fresh(db, Story)
    r = browser.post(f"/projects/{project.id}/tasks", {
        "title": payload("task"), "description": payload("tdesc") + JS_URL,
        "story": str(story.id), "assignees": [str(mate.id), str(owner.id)]})
    assert r.status_code == 303, r.text[-1000:]
    task = fresh(db, Task)
    r = browser.post(f"/tasks/{task.id}/status", {"status": "review"})
    assert r.status_code == 303
    r = browser.post("/team/invitations", {"email": INVITE_EMAIL, "role": "team_member"})
    assert r.status_code == 303, r.text[-1000:]
    db.rollback()
    db.add(Invitation(organization_id=org.id, email=email_payload("invite"), role="team_member",
                      token_hash=hashlib.sha256(b"planted").hexdigest(), invited_by_id=owner.id,
                      created_at=now(), expires_at=now() + timedelta(days=7)))
    db.add(Invitation(organization_id=org.id, email="guest@example.com", role="viewer",
                      token_hash=hashlib.sha256(TOKEN.encode()).hexdigest(), invited_by_id=owner.id,
                      created_at=now(), expires_at=now() + timedelta(days=7)))
    db.commit()
    # A file's name, as sent (planted: a client's multipart escapes quotes in it)
    r = browser.post(f"/tasks/{task.id}/attachments", {"file": ("notes.txt", b"notes", "text/plain")})
    assert r.status_code == 303, r.text[-1000:]
    db.rollback()
    db.execute(update(Attachment).values(filename=payload("file")))
    db.commit()
    return {"project": project.id, "story": story.id, "task": task.id}


# page -> the payload tags it must show (escaped)
PAGES = {
    "/projects": ["project", "owner"],
    "/projects/{project}": ["project", "story", "task", "mate"],
    "/projects/{project}/board": ["project", "task", "mate"],
    "/my/tasks": ["task", "project"],
    "/projects/{project}/edit": ["project", "pdesc", "mate"],
    "/tasks/{task}": ["task", "tdesc", "project", "story", "mate", "file"],
    "/tasks/{task}/edit": ["task", "tdesc", "story", "mate"],
    "/stories/{story}": ["story", "sdesc"],
    "/stories/{story}/edit": ["story", "sdesc"],
    "/team": ["owner", "mate", "roledesc"],
    "/audit": ["owner", "project", "task"],
}


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_shows_hostile_text_escaped(browser, hostile, path, htmx):
    headers = {"HX-Request": "true"} if htmx else {}
    r = browser.get(path.format(**hostile), headers=headers)
    assert r.status_code == 200
    assert executable_markup(r.text) == [], path
    assert "<script>alert(" not in r.text
    if not htmx:
        for tag in PAGES[path]:
            text = payload(tag)
            # Jinja's escaping, or rendered Markdown's (nh3 writes quotes in text as they are)
            markdown = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            assert str(escape(text)) in r.text or markdown in r.text, (path, tag)


def test_the_team_page_shows_hostile_emails_and_role_names_escaped(browser, hostile):
    page = browser.get("/team").text
    assert str(escape(email_payload("invite"))) in page
    assert str(escape(INVITE_EMAIL)) in page
    assert str(escape(email_payload("owner"))) in page
    assert str(escape(payload("role")[:100])) in page


def test_the_invitation_page_shows_the_hostile_organization_name_escaped(browser, hostile):
    browser.client.cookies.clear()
    r = browser.get(f"/invitations/{TOKEN}")
    assert r.status_code == 200
    assert executable_markup(r.text) == []
    assert str(escape(payload("org"))) in r.text


def test_the_invitation_mail_escapes_hostile_names(browser, hostile, db):
    from kanvaro.models import EmailOutbox

    mail = db.scalar(select(EmailOutbox))
    assert executable_markup(mail.html_body) == []
    assert "<script>" not in mail.html_body
    assert mail.to == INVITE_EMAIL


@pytest.mark.parametrize("htmx", [False, True])
def test_a_422_page_echoes_hostile_input_escaped(browser, hostile, htmx):
    bad = {"name": payload("typed"), "description": payload("typeddesc"), "start_date": "2024-02-30"}
    r = browser.post("/projects", bad, htmx=htmx)
    assert r.status_code == 422
    assert executable_markup(r.text) == []
    assert str(escape(payload("typed"))) in r.text
    r = browser.post(f"/tasks/{hostile['task']}", {"title": "", "description": payload("typeddesc"),
                                                   "version": "1"}, htmx=htmx)
    assert r.status_code in (409, 422)
    assert executable_markup(r.text) == []


def test_a_hostile_next_on_the_login_page_is_not_reflected(browser):
    r = browser.get("/login", params={"next": '/"><script>alert(1)</script>'})
    assert executable_markup(r.text) == []


def test_the_audit_checker_itself_sees_executable_markup():
    assert executable_markup('<p><img src=x onerror="alert(1)"></p>')
    assert executable_markup("<script>alert(1)</script>")
    assert executable_markup('<a href=" JavaScript:alert(1)">x</a>')
    assert not executable_markup('<script src="/static/kanvaro.js"></script><a href="/x">y</a>')


