"""Sessions and login (issue 6, suite 5).

A new session id at every login (also over a planted cookie), the cookie's flags, logout,
deactivation and password change end sessions (a saved copy of the cookie stops working),
failed logins are throttled per email and per address across two app instances sharing
one database, login, registration and invitation do not tell whether an account exists,
and redirects never leave the site.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from kanvaro.accounts.actions import (
    LOGIN_ERROR,
    MAX_FAILURES_PER_ADDRESS,
    MAX_FAILURES_PER_PAIR,
    REGISTER_TAKEN,
)
from kanvaro.app import create_app
from kanvaro.models import AuditEntry, EmailOutbox, Invitation, User, UserSession
from kanvaro.security import SESSION_COOKIE, mask_csrf, new_csrf_secret
from kanvaro.settings import Settings
from tests.factories import PASSWORD, Browser
from tests.web.markup import field_error, without_tokens


def count(db, model, *where) -> int:  # type: ignore[no-untyped-def]
    db.rollback()  # end the read snapshot: see what the app committed
    return db.scalar(select(func.count()).select_from(model).where(*where)) or 0


def login(browser: Browser, email: str, password: str = PASSWORD, **extra: str):  # type: ignore[no-untyped-def]
    return browser.post("/login", {"email": email, "password": password, **extra})


def cookie_of(browser: Browser, response) -> dict:  # type: ignore[no-untyped-def]
    """Adopt the cookie the response set (session and CSRF secret), as a browser would."""
    value = response.cookies.get(SESSION_COOKIE)
    assert value, "no session cookie set"
    data = browser.signer.loads(value)
    browser.session_token, browser.csrf_secret = data["s"], data["c"]
    browser.client.cookies.clear()
    browser._set_cookie()
    return data


def with_cookie(browser: Browser, saved: str):  # type: ignore[no-untyped-def]
    browser.client.cookies.clear()
    browser.client.cookies.set(SESSION_COOKIE, saved)
    return browser.get("/projects")


@pytest.fixture
def other_app(settings):  # type: ignore[no-untyped-def]
    """A second app process on the same database: another worker."""
    app = create_app(settings)
    with TestClient(app) as client:
        yield Browser(client, settings, app.state.kanvaro.engine)
    app.state.kanvaro.engine.dispose()


# --- session id and cookie ------------------------------------------------------------

def test_login_starts_a_new_session_id_and_the_old_cookie_stops_working(browser, owner, db):
    first = cookie_of(browser, login(browser, owner.email))
    saved = browser.client.cookies.get(SESSION_COOKIE)
    second = cookie_of(browser, login(browser, owner.email))
    assert first["s"] != second["s"] and first["c"] != second["c"]
    assert browser.get("/projects").status_code == 200
    assert with_cookie(browser, saved).status_code == 303
    assert count(db, UserSession) == 1


def test_a_planted_cookie_does_not_survive_login(browser, owner):
    """Session fixation: an attacker's cookie (their CSRF secret, no session) is replaced."""
    planted = browser.csrf_secret
    data = cookie_of(browser, login(browser, owner.email))
    assert data["s"] and data["c"] != planted


def test_the_cookie_is_httponly_lax_path_root_and_not_secure_over_http(browser, owner):
    header = login(browser, owner.email).headers["set-cookie"].lower()
    attributes = {part.strip().split("=")[0] for part in header.split(";")}
    assert {"httponly", "path", "max-age"} <= attributes and "secure" not in attributes
    assert "samesite=lax" in header and "path=/" in header


def test_the_cookie_is_secure_when_kanvaro_https_is_1(settings, owner):
    env = {"KANVARO_HTTPS": "1", "KANVARO_DATABASE_URL": settings.database_url,
           "KANVARO_DATA_DIR": str(settings.data_dir), "KANVARO_SECRET_KEY": "test-secret-key"}
    https = replace(Settings.from_env(env), run_mail_sender=False)
    assert https.https is True
    app = create_app(https)
    try:
        with TestClient(app, base_url="https://testserver") as client:
            r = login(Browser(client, https, app.state.kanvaro.engine), owner.email)
            assert r.status_code == 303
            header = r.headers["set-cookie"].lower()
            assert "; secure" in header and "httponly" in header and "samesite=lax" in header
    finally:
        app.state.kanvaro.engine.dispose()


# --- what ends a session --------------------------------------------------------------

def test_logout_deletes_the_session_row_so_a_saved_cookie_is_dead(browser, owner, db):
    cookie_of(browser, login(browser, owner.email))
    saved = browser.client.cookies.get(SESSION_COOKIE)
    r = browser.post("/logout")
    assert (r.status_code, r.headers["location"]) == (303, "/login")
    assert count(db, UserSession) == 0
    assert with_cookie(browser, saved).status_code == 303
    assert count(db, AuditEntry, AuditEntry.action == "user.logged_out") == 1


def test_deactivation_ends_every_session_of_the_member(browser, other_app, owner, org, db):
    from tests.factories import make_user

    member = make_user(db, org, role="team_member", email="mia@acme.test")
    db.commit()
    cookie_of(other_app, login(other_app, member.email))
    saved = other_app.client.cookies.get(SESSION_COOKIE)
    assert other_app.get("/projects").status_code == 200
    browser.login_as(owner)
    assert browser.post(f"/team/members/{member.id}/deactivate").status_code == 303
    assert count(db, UserSession, UserSession.user_id == member.id) == 0
    assert with_cookie(other_app, saved).status_code == 303
    r = login(other_app, member.email)  # and no way back in
    assert r.status_code == 422 and field_error(r.text, "password") == LOGIN_ERROR


def test_password_change_keeps_this_session_and_ends_the_others(browser, other_app, owner, db):
    browser.login_as(owner)
    other_app.login_as(owner)
    saved_other = other_app.client.cookies.get(SESSION_COOKIE)
    page = browser.get("/account")
    assert page.status_code == 200 and 'name="current_password"' in page.text
    r = browser.post("/account/password", {"current_password": PASSWORD,
                                            "new_password": "a brand new password"})
    assert (r.status_code, r.headers["location"]) == (303, "/account?changed=1")
    assert browser.get("/projects").status_code == 200
    assert with_cookie(other_app, saved_other).status_code == 303
    assert count(db, UserSession, UserSession.user_id == owner.id) == 1
    assert count(db, AuditEntry, AuditEntry.action == "user.password_changed") == 1
    fresh = Browser(other_app.client, other_app.settings, other_app.engine)
    assert login(fresh, owner.email).status_code == 422
    assert login(fresh, owner.email, "a brand new password").status_code == 303


@pytest.mark.parametrize(("current", "new", "field"), [
    ("wrong password", "a brand new password", "current_password"),
    (PASSWORD, "short", "new_password"),
    ("", "a brand new password", "current_password"),
])
def test_a_refused_password_change_is_422_and_changes_nothing(browser, other_app, owner, db,
                                                             current, new, field):
    browser.login_as(owner)
    other_app.login_as(owner)
    r = browser.post("/account/password", {"current_password": current, "new_password": new})
    assert r.status_code == 422 and field_error(r.text, field)
    assert 'value="a brand new password"' not in r.text and f'value="{PASSWORD}"' not in r.text
    assert other_app.get("/projects").status_code == 200
    assert count(db, UserSession) == 2


def test_password_change_needs_a_login(browser):
    r = browser.post("/account/password", {"current_password": PASSWORD, "new_password": "x" * 12})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


# --- throttling -----------------------------------------------------------------------

def test_failures_per_email_and_address_are_throttled_across_two_workers(browser, other_app, owner, db):
    for i in range(MAX_FAILURES_PER_PAIR):  # alternate the workers
        r = login(browser if i % 2 else other_app, owner.email, "wrong password")
        assert r.status_code == 422
    for worker in (browser, other_app):
        r = login(worker, owner.email)  # even the right password
        assert r.status_code == 429 and "Too many attempts" in r.text
    assert count(db, UserSession) == 0


def test_failures_per_address_are_throttled_across_two_workers(browser, other_app, owner, db):
    for i in range(MAX_FAILURES_PER_ADDRESS):  # a different email each time: only the address adds up
        r = login(browser if i % 2 else other_app, f"guess{i}@acme.test", "wrong password")
        assert r.status_code == 422
    for worker in (browser, other_app):
        assert login(worker, owner.email).status_code == 429
    assert count(db, UserSession) == 0


def test_a_success_before_the_limit_clears_the_email_count(browser, owner):
    for _ in range(MAX_FAILURES_PER_PAIR - 1):
        login(browser, owner.email, "wrong password")
    assert login(browser, owner.email).status_code == 303
    fresh = Browser(browser.client, browser.settings, browser.engine)
    browser.client.cookies.clear()
    fresh._set_cookie()
    for _ in range(MAX_FAILURES_PER_PAIR - 1):
        assert login(fresh, owner.email, "wrong password").status_code == 422


# --- no user enumeration --------------------------------------------------------------

def test_login_answers_the_same_for_an_unknown_email_a_wrong_password_and_a_deactivated_user(
        browser, owner, org, db):
    from tests.factories import make_user

    gone = make_user(db, org, email="gone@acme.test", active=False)
    db.commit()
    pages = []
    for email, password in ((owner.email, "wrong password"), ("nobody@acme.test", "wrong password"),
                            (gone.email, PASSWORD)):
        r = login(browser, email, password)
        assert r.status_code == 422 and field_error(r.text, "password") == LOGIN_ERROR
        pages.append(without_tokens(r.text).replace(email, "EMAIL"))
    assert pages[0] == pages[1] == pages[2]


def test_registration_with_a_taken_email_confirms_nothing_and_is_throttled(browser, owner, db):
    body = {"organization_name": "Probe", "name": "Probe", "password": "long enough password"}
    r = browser.post("/register", {**body, "email": owner.email})
    assert r.status_code == 422 and field_error(r.text, "email") == REGISTER_TAKEN
    for i in range(MAX_FAILURES_PER_ADDRESS - 1):
        assert browser.post("/register", {**body, "email": owner.email}).status_code == 422
    r = browser.post("/register", {**body, "email": "fresh@example.com"})
    assert r.status_code == 429  # probing from this address stops here, for login too
    assert login(browser, owner.email).status_code == 429
    assert count(db, User) == 1


def test_registration_probes_do_not_lock_the_account_owner_out(browser, other_app, owner):
    body = {"organization_name": "Probe", "name": "Probe", "password": "long enough password"}
    for _ in range(MAX_FAILURES_PER_PAIR + 1):
        browser.post("/register", {**body, "email": owner.email})
    assert login(other_app, owner.email).status_code == 303


def test_inviting_an_address_with_an_account_elsewhere_looks_like_any_invitation(
        browser, owner, db):
    from tests.factories import make_org, make_user

    elsewhere = make_user(db, make_org(db, "Globex"), email="gina@globex.test")
    db.commit()
    browser.login_as(owner)
    taken = browser.post("/team/invitations", {"email": elsewhere.email, "role": "team_member"})
    fresh = browser.post("/team/invitations", {"email": "nobody@example.com", "role": "team_member"})
    assert (taken.status_code, taken.headers["location"]) == (fresh.status_code,
                                                              fresh.headers["location"]) == (303, "/team")
    assert count(db, Invitation) == 2 and count(db, EmailOutbox) == 2
    team = without_tokens(browser.get("/team").text)
    assert "already has" not in team


def test_inviting_a_member_of_ones_own_organization_says_so(browser, owner, db):
    browser.login_as(owner)
    r = browser.post("/team/invitations", {"email": owner.email, "role": "team_member"})
    assert r.status_code == 422 and "already a member" in field_error(r.text, "invite-email")


# --- redirects stay on the site -------------------------------------------------------

EVIL = ["//evil.example", "http://evil.example/", "https://evil.example/projects", "/\\evil.example",
        "\\\\evil.example", "///evil.example", "/\t/evil.example", "javascript:alert(1)",
        "evil.example", "http:/evil.example", " //evil.example"]


@pytest.mark.parametrize("target", EVIL)
def test_login_never_redirects_off_site(browser, owner, target):
    r = login(browser, owner.email, next=target)
    assert (r.status_code, r.headers["location"]) == (303, "/projects")


@pytest.mark.parametrize("referer", [
    "http://evil.example/projects/1", "https://evil.example/", "http://testserver.evil.example/x",
    "//evil.example/x", "http://testserver//evil.example", "http://testserver/\\evil.example",
    "javascript:alert(1)", "http://evil.example@testserver.evil/x",
])
def test_a_status_change_never_redirects_off_site(browser, owner, org, db, referer):
    from kanvaro.models import Task
    from tests.factories import make_project

    project = make_project(db, org, members=[owner])
    task = Task(organization_id=org.id, project_id=project.id, number=1, title="T", position=1)
    db.add(task)
    db.commit()
    browser.login_as(owner)
    r = browser.post(f"/tasks/{task.id}/status", {"status": "review"}, headers={"Referer": referer})
    assert r.status_code == 303
    assert r.headers["location"] == f"/projects/{project.id}/board"


def test_a_status_change_returns_to_the_same_site_page_it_came_from(browser, owner, org, db):
    from kanvaro.models import Task
    from tests.factories import make_project

    project = make_project(db, org, members=[owner])
    task = Task(organization_id=org.id, project_id=project.id, number=1, title="T", position=1)
    db.add(task)
    db.commit()
    browser.login_as(owner)
    r = browser.post(f"/tasks/{task.id}/status", {"status": "review"},
                     headers={"Referer": f"http://testserver/projects/{project.id}?status=todo"})
    assert r.headers["location"] == f"/projects/{project.id}?status=todo"


def test_a_stolen_csrf_token_of_another_session_does_not_work(browser, owner, db):
    browser.login_as(owner)
    r = browser.post("/logout", {"csrf_token": mask_csrf(new_csrf_secret())}, csrf=False)
    assert r.status_code == 403 and count(db, UserSession) == 1
