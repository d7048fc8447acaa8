"""Register, log in, log out over HTTP: every route without and with htmx."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from kanvaro.accounts.actions import LOGIN_ERROR
from kanvaro.app import create_app
from kanvaro.models import AuditEntry, LoginAttempt, Organization, User, UserSession
from tests.factories import PASSWORD, Browser
from tests.web.markup import (
    FULL_PAGE,
    adopt_cookie,
    field_error,
    has_no_error,
    value_of,
)

REGISTRATION = {"organization_name": "Globex", "name": "Gina Global", "email": "gina@globex.test",
                "password": "long enough password"}


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


# --- home -----------------------------------------------------------------------------

def test_home_sends_visitors_to_login(browser):
    r = browser.get("/")
    assert (r.status_code, r.headers["location"]) == (303, "/login")


def test_home_sends_members_to_projects(browser, owner):
    r = browser.login_as(owner).get("/")
    assert (r.status_code, r.headers["location"]) == (303, "/projects")


def test_home_with_htmx_answers_hx_location(browser, owner):
    r = browser.login_as(owner).get("/", headers={"HX-Request": "true"})
    assert r.status_code == 200 and r.headers["hx-location"] == "/projects"


# --- register -------------------------------------------------------------------------

def test_register_page_shows_the_form(browser):
    r = browser.get("/register")
    assert r.status_code == 200 and r.text.startswith(FULL_PAGE)
    assert "Create your organization" in r.text
    for name in REGISTRATION:
        assert f'name="{name}"' in r.text
    assert 'name="csrf_token"' in r.text


def test_register_page_with_htmx_is_the_form_fragment(browser):
    r = browser.get("/register", headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<form method="post" action="/register"')
    assert "<html" not in r.text and "HX-Request" in r.headers["vary"]


def test_register_page_when_logged_in_goes_to_projects(browser, owner):
    r = browser.login_as(owner).get("/register")
    assert (r.status_code, r.headers["location"]) == (303, "/projects")


def test_register_creates_org_and_owner_and_logs_in(browser, db):
    r = browser.post("/register", REGISTRATION)
    assert (r.status_code, r.headers["location"]) == (303, "/projects")
    user = db.scalar(select(User))
    assert (user.email, user.role) == ("gina@globex.test", "owner")
    assert db.scalar(select(Organization.name)) == "Globex"
    assert db.scalar(select(AuditEntry.action)) == "organization.created"
    adopt_cookie(browser, r)
    page = browser.get("/projects")
    assert page.status_code == 200 and "Gina Global" in page.text


def test_register_with_htmx_answers_hx_location(browser, db):
    r = browser.post("/register", REGISTRATION, htmx=True)
    assert r.status_code == 200 and r.headers["hx-location"] == "/projects"
    assert "set-cookie" in r.headers
    assert count(db, User) == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("organization_name", "", "Enter your organization's name."),
        ("name", "", "Enter your name."),
        ("email", "gina-at-globex", "Enter a valid email address."),
        ("password", "too short", "Use at least 10 characters."),
    ],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_register_invalid_field_is_422_with_the_error_next_to_it(browser, db, field, value,
                                                                  message, htmx):
    r = browser.post("/register", {**REGISTRATION, field: value}, htmx=htmx)
    assert r.status_code == 422
    assert r.text.startswith(FULL_PAGE) is (not htmx)
    assert field_error(r.text, field) == message
    assert 'class="error-summary"' in r.text and f'href="#{field}"' in r.text
    for other, typed in REGISTRATION.items():
        if other not in (field, "password"):
            assert value_of(r.text, other) == typed
            assert has_no_error(r.text, other)
    assert 'value="long enough password"' not in r.text  # passwords are never echoed
    assert count(db, User) == count(db, Organization) == count(db, UserSession) == 0


def test_register_with_a_taken_email_is_422(browser, db, owner):
    r = browser.post("/register", {**REGISTRATION, "email": owner.email.upper()})
    assert r.status_code == 422
    assert "already exists" in field_error(r.text, "email")
    assert count(db, Organization) == 1


def test_register_is_refused_when_signup_is_closed(settings, db):
    closed = create_app(replace(settings, allow_signup=False))
    try:
        with TestClient(closed) as client:
            browser = Browser(client, settings, closed.state.kanvaro.engine)
            page = browser.get("/register")
            assert page.status_code == 200 and "closed" in page.text.lower()
            assert 'name="organization_name"' not in page.text
            r = browser.post("/register", REGISTRATION)
            assert r.status_code == 403
    finally:
        closed.state.kanvaro.engine.dispose()
    assert count(db, User) == 0


# --- login ----------------------------------------------------------------------------

def test_login_page_shows_the_form_with_next(browser):
    r = browser.get("/login?next=/projects/7")
    assert r.status_code == 200 and r.text.startswith(FULL_PAGE)
    assert value_of(r.text, "next") == "/projects/7"
    assert has_no_error(r.text, "email") and has_no_error(r.text, "password")


def test_login_page_with_htmx_is_the_form_fragment(browser):
    r = browser.get("/login", headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<form method="post" action="/login"')


def test_login_page_when_logged_in_follows_next(browser, owner):
    r = browser.login_as(owner).get("/login?next=/projects/3")
    assert (r.status_code, r.headers["location"]) == (303, "/projects/3")


def test_login_redirects_to_projects_and_starts_a_session(browser, db, owner):
    r = browser.post("/login", {"email": owner.email, "password": PASSWORD})
    assert (r.status_code, r.headers["location"]) == (303, "/projects")
    payload = adopt_cookie(browser, r)
    assert payload["s"] and count(db, UserSession) == 1
    assert "Olive Owner" in browser.get("/projects").text


def test_login_with_htmx_answers_hx_location(browser, owner):
    r = browser.post("/login", {"email": owner.email, "password": PASSWORD, "next": "/projects/2"},
                     htmx=True)
    assert r.status_code == 200 and r.headers["hx-location"] == "/projects/2"


def test_login_follows_a_same_site_next(browser, owner):
    r = browser.post("/login", {"email": owner.email, "password": PASSWORD,
                                "next": "/projects?status=active"})
    assert r.headers["location"] == "/projects?status=active"


@pytest.mark.parametrize("htmx", [False, True])
def test_wrong_password_is_422_keeps_email_and_records_the_failure(browser, db, owner, htmx):
    r = browser.post("/login", {"email": owner.email, "password": "wrong password",
                                "next": "/projects/1"}, htmx=htmx)
    assert r.status_code == 422
    assert r.text.startswith(FULL_PAGE) is (not htmx)
    assert field_error(r.text, "password") == LOGIN_ERROR
    assert value_of(r.text, "email") == owner.email
    assert value_of(r.text, "next") == "/projects/1"
    assert "wrong password" not in r.text
    assert count(db, LoginAttempt) == 1 and count(db, UserSession) == 0
    assert db.scalar(select(AuditEntry.action)) == "user.login_failed"


@pytest.mark.parametrize("htmx", [False, True])
def test_login_with_empty_fields_is_422_per_field(browser, htmx):
    r = browser.post("/login", {"email": "", "password": ""}, htmx=htmx)
    assert r.status_code == 422
    assert field_error(r.text, "email") == "Enter your email address."
    assert field_error(r.text, "password") == "Enter your password."


# --- logout ---------------------------------------------------------------------------

def test_logout_ends_the_session_and_goes_to_login(browser, db, owner):
    browser.login_as(owner)
    r = browser.post("/logout")
    assert (r.status_code, r.headers["location"]) == (303, "/login")
    assert count(db, UserSession) == 0
    assert db.scalar(select(AuditEntry.action)) == "user.logged_out"
    payload = adopt_cookie(browser, r)
    assert payload["s"] == ""
    assert browser.get("/projects").status_code == 303


def test_logout_with_htmx_answers_hx_location(browser, db, owner):
    browser.login_as(owner)
    r = browser.post("/logout", htmx=True)
    assert r.status_code == 200 and r.headers["hx-location"] == "/login"
    assert count(db, UserSession) == 0


def test_logout_when_not_logged_in_just_goes_to_login(browser):
    r = browser.post("/logout")
    assert (r.status_code, r.headers["location"]) == (303, "/login")
