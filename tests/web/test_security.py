"""SPEC §6: CSRF and Origin, headers, session cookies, login throttling, `next`, the secret key."""

from __future__ import annotations

import os
import stat
from dataclasses import replace

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from kanvaro.accounts.actions import LOGIN_ERROR, MAX_FAILURES_PER_PAIR
from kanvaro.app import create_app
from kanvaro.models import AuditEntry, LoginAttempt, Project, UserSession
from kanvaro.security import SESSION_COOKIE, CookieSigner, mask_csrf, new_csrf_secret
from kanvaro.settings import Settings
from tests.factories import PASSWORD, Browser
from tests.web.markup import FULL_PAGE, adopt_cookie, field_error, value_of, without_tokens


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def member(browser, owner):
    return browser.login_as(owner)


# --- CSRF and Origin ------------------------------------------------------------------

def test_post_without_csrf_token_is_403_and_writes_nothing(member, db):
    r = member.post("/projects", {"name": "Sneaky"}, csrf=False)
    assert r.status_code == 403 and "Not allowed" in r.text
    assert count(db, Project) == 0


def test_post_with_a_forged_token_is_403(member, db):
    r = member.post("/projects", {"name": "Sneaky", "csrf_token": "A" * 88}, csrf=False)
    assert r.status_code == 403
    assert count(db, Project) == 0


def test_post_with_garbage_token_is_403(member, db):
    r = member.post("/projects", {"name": "Sneaky", "csrf_token": "not base64 at all!"}, csrf=False)
    assert r.status_code == 403
    assert count(db, Project) == 0


def test_post_with_another_sessions_token_is_403(member, db):
    someone_elses = mask_csrf(new_csrf_secret())
    r = member.post("/projects", {"name": "Sneaky", "csrf_token": someone_elses}, csrf=False)
    assert r.status_code == 403
    assert count(db, Project) == 0


def test_post_without_any_cookie_is_403(client, db, owner):
    client.cookies.clear()
    r = client.post("/login", data={"email": owner.email, "password": PASSWORD,
                                    "csrf_token": mask_csrf(new_csrf_secret())},
                    follow_redirects=False)
    assert r.status_code == 403
    assert count(db, UserSession) == 0


def test_the_csrf_header_is_accepted_in_place_of_the_field(member, db):
    r = member.post("/projects", {"name": "Via header"}, csrf=False, htmx=True,
                    headers={"X-CSRF-Token": member.csrf})
    assert r.status_code == 200 and r.headers["hx-location"].startswith("/projects/")
    assert count(db, Project) == 1


def test_a_wrong_csrf_header_is_403_with_an_htmx_fragment(member, db):
    r = member.post("/projects", {"name": "Nope"}, csrf=False, htmx=True,
                    headers={"X-CSRF-Token": mask_csrf(new_csrf_secret())})
    assert r.status_code == 403 and not r.text.startswith(FULL_PAGE)
    assert "Not allowed" in r.text
    assert count(db, Project) == 0


def test_every_page_carries_a_fresh_mask_of_the_same_token(member):
    first, second = member.get("/projects/new"), member.get("/projects/new")
    a = first.text.split('name="csrf_token" value="')[1].split('"')[0]
    b = second.text.split('name="csrf_token" value="')[1].split('"')[0]
    assert a != b
    assert member.post("/projects", {"name": "With a", "csrf_token": a}, csrf=False).status_code == 303
    assert member.post("/projects", {"name": "With b", "csrf_token": b}, csrf=False).status_code == 303


@pytest.mark.parametrize("origin", ["http://evil.com", "null", "http://testserver.evil.com",
                                    "https://testserver:8443"])
def test_post_from_a_foreign_origin_is_403(member, db, origin):
    r = member.post("/projects", {"name": "Cross site"}, headers={"Origin": origin})
    assert r.status_code == 403
    assert count(db, Project) == 0


@pytest.mark.parametrize("origin", ["http://testserver", "http://kanvaro.test"])
def test_post_from_our_own_origin_is_accepted(member, db, origin):
    r = member.post("/projects", {"name": "Same site"}, headers={"Origin": origin})
    assert r.status_code == 303
    assert count(db, Project) == 1


# --- headers --------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/login", "/register", "/no-such-page", "/healthz",
                                  "/static/kanvaro.css"])
def test_security_headers_are_on_every_response(browser, path):
    r = browser.get(path)
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["x-frame-options"] == "DENY"


def test_security_headers_are_on_a_rejected_post(member):
    r = member.post("/projects", {"name": "x"}, csrf=False)
    assert r.status_code == 403
    assert r.headers["x-frame-options"] == "DENY" and "content-security-policy" in r.headers


def test_pages_have_no_inline_script(member, owner):
    for path in ("/login", "/projects", "/projects/new"):
        page = member.get(path).text
        assert "<script>" not in page and " onclick=" not in page and "hx-on" not in page
        for chunk in page.split("<script")[1:]:
            assert 'src="/static/' in chunk.split(">")[0]


# --- session cookie -------------------------------------------------------------------

def _login(browser, email, password=PASSWORD, **extra):
    return browser.post("/login", {"email": email, "password": password, **extra})


def test_session_cookie_is_httponly_lax_and_not_secure_over_http(browser, owner):
    r = _login(browser, owner.email)
    cookie = r.headers["set-cookie"].lower()
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert f"max-age={14 * 24 * 3600}" in cookie
    assert "secure" not in cookie


def test_session_cookie_is_secure_when_https_is_on(settings, owner):
    app = create_app(replace(settings, https=True))
    try:
        with TestClient(app, base_url="https://testserver") as client:
            r = Browser(client, settings, app.state.kanvaro.engine).post(
                "/login", {"email": owner.email, "password": PASSWORD})
            assert r.status_code == 303
            assert "secure" in r.headers["set-cookie"].lower()
    finally:
        app.state.kanvaro.engine.dispose()


def test_the_cookie_holds_no_user_data_only_a_random_session_id(browser, owner, db):
    payload = adopt_cookie(browser, _login(browser, owner.email))
    assert set(payload) == {"s", "c"}
    assert owner.email not in str(payload)
    stored = db.scalar(select(UserSession.token_hash))
    assert stored != payload["s"] and len(stored) == 64


def test_a_tampered_cookie_is_ignored(browser, owner):
    adopt_cookie(browser, _login(browser, owner.email))
    value = browser.client.cookies.get(SESSION_COOKIE)
    browser.client.cookies.clear()
    browser.client.cookies.set(SESSION_COOKIE, value[:-2] + ("AA" if value[-2:] != "AA" else "BB"))
    assert browser.get("/projects").status_code == 303


def test_a_cookie_signed_with_another_key_is_ignored(browser, owner):
    adopt_cookie(browser, _login(browser, owner.email))
    foreign = CookieSigner("some other key").dumps({"s": browser.session_token,
                                                    "c": browser.csrf_secret})
    browser.client.cookies.clear()
    browser.client.cookies.set(SESSION_COOKIE, foreign)
    assert browser.get("/projects").status_code == 303


def test_logout_kills_a_saved_copy_of_the_cookie(browser, owner, db):
    adopt_cookie(browser, _login(browser, owner.email))
    saved = browser.client.cookies.get(SESSION_COOKIE)
    assert browser.get("/projects").status_code == 200
    assert browser.post("/logout").status_code == 303
    browser.client.cookies.clear()
    browser.client.cookies.set(SESSION_COOKIE, saved)
    r = browser.get("/projects")
    assert (r.status_code, r.headers["location"]) == (303, "/login?next=%2Fprojects")
    assert count(db, UserSession) == 0


def test_each_login_gets_a_new_session_id_and_ends_the_old_one(browser, owner, db):
    first = adopt_cookie(browser, _login(browser, owner.email))
    old_cookie = browser.client.cookies.get(SESSION_COOKIE)
    second = adopt_cookie(browser, _login(browser, owner.email))
    assert first["s"] and second["s"] and first["s"] != second["s"]
    assert first["c"] != second["c"]  # the CSRF secret rotates with the session
    assert count(db, UserSession) == 1
    assert browser.get("/projects").status_code == 200
    browser.client.cookies.clear()
    browser.client.cookies.set(SESSION_COOKIE, old_cookie)
    assert browser.get("/projects").status_code == 303


def test_a_deactivated_user_is_logged_out_on_the_next_request(browser, owner, db):
    browser.login_as(owner)
    assert browser.get("/projects").status_code == 200
    owner.is_active = False
    db.commit()
    assert browser.get("/projects").status_code == 303


# --- login throttling -----------------------------------------------------------------

def test_repeated_failures_are_throttled_with_429_even_for_the_right_password(browser, owner, db):
    for _ in range(MAX_FAILURES_PER_PAIR):
        assert _login(browser, owner.email, "wrong password").status_code == 422
    r = _login(browser, owner.email)
    assert r.status_code == 429 and "Too many attempts" in r.text
    assert count(db, UserSession) == 0
    assert count(db, LoginAttempt) == MAX_FAILURES_PER_PAIR
    failures = db.scalars(select(AuditEntry.action).where(AuditEntry.action == "user.login_failed"))
    assert len(list(failures)) == MAX_FAILURES_PER_PAIR


def test_throttling_is_an_htmx_fragment_for_htmx(browser, owner):
    for _ in range(MAX_FAILURES_PER_PAIR):
        _login(browser, owner.email, "wrong password")
    r = browser.post("/login", {"email": owner.email, "password": PASSWORD}, htmx=True)
    assert r.status_code == 429 and not r.text.startswith(FULL_PAGE)


def test_throttling_holds_across_app_processes_because_it_lives_in_the_db(browser, owner,
                                                                           settings):
    for _ in range(MAX_FAILURES_PER_PAIR):
        _login(browser, owner.email, "wrong password")
    other_worker = create_app(settings)
    try:
        with TestClient(other_worker) as client:
            r = Browser(client, settings, other_worker.state.kanvaro.engine).post(
                "/login", {"email": owner.email, "password": PASSWORD})
            assert r.status_code == 429
    finally:
        other_worker.state.kanvaro.engine.dispose()


def test_unknown_email_and_wrong_password_answer_the_same(browser, owner):
    wrong = _login(browser, owner.email, "wrong password")
    unknown = _login(browser, "nobody@acme.test", "wrong password")
    assert wrong.status_code == unknown.status_code == 422
    assert field_error(wrong.text, "password") == field_error(unknown.text, "password") == LOGIN_ERROR
    assert without_tokens(wrong.text).replace(owner.email, "E") == \
        without_tokens(unknown.text).replace("nobody@acme.test", "E")


# --- next -----------------------------------------------------------------------------

@pytest.mark.parametrize("next_url", ["/projects/3", "/projects?status=active&q=x", "/"])
def test_login_follows_a_same_site_path(browser, owner, next_url):
    r = _login(browser, owner.email, next=next_url)
    assert (r.status_code, r.headers["location"]) == (303, next_url)


@pytest.mark.parametrize("evil", ["//evil.com", "http://evil.com", "/\\evil.com", "\\\\evil.com",
                                  "https://evil.com/projects", "///evil.com", "/\t/evil.com",
                                  "/\r\n/evil.com", "javascript:alert(1)", "evil.com", ""])
def test_login_refuses_an_off_site_next(browser, owner, evil):
    r = _login(browser, owner.email, next=evil)
    assert (r.status_code, r.headers["location"]) == (303, "/projects")


@pytest.mark.parametrize("evil", ["//evil.com", "http://evil.com", "/\\evil.com"])
def test_login_page_does_not_carry_an_off_site_next(browser, evil):
    page = browser.get("/login", params={"next": evil})
    assert value_of(page.text, "next") == "/projects"
    assert "evil.com" not in page.text


def test_anonymous_visit_round_trips_through_login_to_the_page_asked_for(browser, owner, db):
    r = browser.get("/projects/new?x=1")
    assert r.headers["location"] == "/login?next=%2Fprojects%2Fnew%3Fx%3D1"
    page = browser.get(r.headers["location"])
    assert value_of(page.text, "next") == "/projects/new?x=1"
    r = _login(browser, owner.email, next="/projects/new?x=1")
    assert r.headers["location"] == "/projects/new?x=1"


# --- the secret key -------------------------------------------------------------------

def test_secret_key_is_generated_once_into_the_data_dir(tmp_path):
    settings = Settings.from_env({"KANVARO_DATA_DIR": str(tmp_path / "data")})
    assert settings.secret_key == ""
    key = settings.resolved_secret_key()
    path = tmp_path / "data" / "secret_key"
    assert path.read_text().strip() == key and len(key) >= 40
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = Settings.from_env({"KANVARO_DATA_DIR": str(tmp_path / "data")})
    assert again.resolved_secret_key() == key
    elsewhere = Settings.from_env({"KANVARO_DATA_DIR": str(tmp_path / "other")})
    assert elsewhere.resolved_secret_key() != key


def test_the_environment_key_wins_and_nothing_is_written(tmp_path):
    settings = Settings.from_env({"KANVARO_DATA_DIR": str(tmp_path), "KANVARO_SECRET_KEY": "k" * 40})
    assert settings.resolved_secret_key() == "k" * 40
    assert not (tmp_path / "secret_key").exists()


def test_an_app_without_a_configured_key_signs_with_the_generated_one(settings, owner, tmp_path):
    keyless = replace(settings, secret_key="", data_dir=tmp_path / "keyless")
    app = create_app(keyless)
    try:
        key = (tmp_path / "keyless" / "secret_key").read_text().strip()
        with TestClient(app) as client:
            browser = Browser(client, keyless, app.state.kanvaro.engine)
            assert browser.signer.loads(browser.signer.dumps({"a": "b"})) == {"a": "b"}
            r = browser.post("/login", {"email": owner.email, "password": PASSWORD})
            assert r.status_code == 303
            cookie = r.headers["set-cookie"].split(";")[0].split("=", 1)[1]
            assert CookieSigner(key).loads(cookie)["s"]
            assert CookieSigner("test-secret-key").loads(cookie) == {}
    finally:
        app.state.kanvaro.engine.dispose()
