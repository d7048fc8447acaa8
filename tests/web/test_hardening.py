"""Issue 9: the defects an outside security review found, one test (or a few) per item."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from kanvaro.accounts.actions import MAX_FAILURES_PER_PAIR
from kanvaro.models import AuditEntry, LoginAttempt, Organization, Project, User, UserSession
from kanvaro.routes import ROUTES
from kanvaro.security import token_hash, verify_password
from tests.factories import PASSWORD, Browser, make_org, make_project, make_user


def count(db, model, *where) -> int:  # type: ignore[no-untyped-def]
    db.rollback()  # end the read snapshot: see what the app committed
    return db.scalar(select(func.count()).select_from(model).where(*where)) or 0


def login(browser: Browser, email: str, password: str = PASSWORD, **extra: str):  # type: ignore[no-untyped-def]
    return browser.post("/login", {"email": email, "password": password, **extra})


def browser_from(app, settings, engine, address: str) -> Browser:  # type: ignore[no-untyped-def]
    """A browser whose requests come from the given client address."""
    client = TestClient(app, base_url="http://testserver", client=(address, 50000))
    return Browser(client, settings, engine)


# --- 1. a `next` outside Latin-1 ------------------------------------------------------

@pytest.mark.parametrize(("next_url", "location"), [
    ("/é", "/%C3%A9"),
    ("/projects?q=中文", "/projects?q=%E4%B8%AD%E6%96%87"),
    ("/tasks/1#\U0001F680", "/tasks/1#%F0%9F%9A%80"),
    ("/a%20b", "/a%20b"),  # what is already escaped stays as it was
])
def test_login_with_a_non_ascii_next_redirects_to_it_percent_encoded(browser, owner, db, next_url,
                                                                       location):
    r = login(browser, owner.email, next=next_url)
    assert r.status_code == 303
    assert r.headers["location"] == location
    assert r.headers["location"].isascii()
    assert count(db, UserSession) == 1


def test_a_login_page_linked_with_a_non_ascii_next_still_logs_in(browser, owner):
    page = browser.get("/login", params={"next": "/projects/é"})
    assert page.status_code == 200 and 'value="/projects/é"' in page.text
    r = login(browser, owner.email, next="/projects/é")
    assert r.status_code == 303 and r.headers["location"] == "/projects/%C3%A9"


def test_the_login_redirect_for_a_non_ascii_path_is_ascii(browser):
    r = browser.get("/projects/é")
    assert r.status_code in (303, 404)
    assert r.headers.get("location", "").isascii()


@pytest.mark.parametrize("next_url", ["/\r\nSet-Cookie: x=1", "/\nx", "/\rx", "/\x0bx", "/\tx",
                                      "/\x7f", "/\x85x", "\r\n/projects"])
def test_control_characters_in_next_fall_back_to_projects(browser, owner, next_url):
    r = login(browser, owner.email, next=next_url)
    assert r.status_code == 303 and r.headers["location"] == "/projects"


# --- 2. ids too long for int() --------------------------------------------------------

ID_ROUTES = [(m, r) for r in ROUTES for m in sorted(r.methods or ()) if m != "HEAD"
             and any(c.regex == "[0-9]+" for c in r.param_convertors.values())]


@pytest.mark.parametrize("digits", [20, 4301, 10_000])
@pytest.mark.parametrize(("method", "route"), ID_ROUTES, ids=[f"{m} {r.path}" for m, r in ID_ROUTES])
def test_every_id_route_answers_404_for_a_very_long_id(as_owner, method, route, digits):
    huge = "9" * digits
    url = route.path_format.format(**{k: huge for k in route.param_convertors})
    r = as_owner.get(url) if method == "GET" else as_owner.post(url, {})
    assert r.status_code == 404, (url[:60], r.status_code)


def test_leading_zeros_name_the_same_id(as_owner, project):
    assert as_owner.get(f"/projects/{'0' * 5000}{project.id}").status_code == 200


# --- 5. a 304 only for the page that was tagged ----------------------------------------

def test_an_etag_of_one_page_does_not_answer_for_another(browser, org, owner, db):
    viewer = make_user(db, org, role="viewer")
    db.commit()
    browser.login_as(viewer)
    tag = browser.get("/projects").headers["etag"]
    for url, status in (("/audit", 403), ("/projects/new", 403), ("/team", 200)):
        r = browser.get(url, headers={"If-None-Match": tag})
        assert r.status_code == status, url


def test_an_etag_sent_to_another_organizations_project_answers_404(browser, org, owner, db):
    other = make_org(db, "Globex")
    boss = make_user(db, other, role="owner")
    theirs = make_project(db, other, creator=boss, name="Secret")
    db.commit()
    browser.login_as(owner)
    tag = browser.get("/projects").headers["etag"]
    r = browser.get(f"/projects/{theirs.id}", headers={"If-None-Match": tag})
    assert r.status_code == 404


def test_an_etag_of_a_page_still_answers_304_for_that_page(as_owner):
    tag = as_owner.get("/projects?status=active").headers["etag"]
    assert as_owner.get("/projects?status=active", headers={"If-None-Match": tag}).status_code == 304
    assert as_owner.get("/projects", headers={"If-None-Match": tag}).status_code == 200


# --- 6. the password change is throttled ------------------------------------------------

def test_password_change_guesses_are_throttled_even_for_the_right_password(as_owner, owner, db):
    wrong = {"current_password": "not my password", "new_password": "a new long password"}
    for _ in range(MAX_FAILURES_PER_PAIR):
        assert as_owner.post("/account/password", wrong).status_code == 422
    right = {"current_password": PASSWORD, "new_password": "a new long password"}
    r = as_owner.post("/account/password", right)
    assert r.status_code == 429 and "Too many attempts" in r.text
    db.rollback()
    stored = db.scalar(select(User.password_hash).where(User.id == owner.id))
    assert verify_password(stored, PASSWORD)
    assert count(db, LoginAttempt, LoginAttempt.email == owner.email) == MAX_FAILURES_PER_PAIR


# --- 7. a stranger's guesses do not lock the owner out ---------------------------------

def test_guesses_from_one_address_leave_the_owner_at_another_address_free(app, settings, engine,
                                                                            owner, db):
    stranger = browser_from(app, settings, engine, "203.0.113.9")
    for _ in range(MAX_FAILURES_PER_PAIR + 2):
        login(stranger, owner.email, "guess guess")
    assert login(stranger, owner.email).status_code == 429
    at_home = browser_from(app, settings, engine, "198.51.100.4")
    assert login(at_home, owner.email).status_code == 303
    assert count(db, UserSession) == 1


# --- 8. invalid UTF-8 in a body --------------------------------------------------------

def _raw_post(browser: Browser, url: str, body: bytes, content_type: str):  # type: ignore[no-untyped-def]
    return browser.client.post(url, content=body, headers={"Content-Type": content_type},
                               follow_redirects=False)


@pytest.mark.parametrize("name", [b"%FF", b"caf%C3", b"%C0%AF", b"\xc3\xa9"])
def test_invalid_utf8_in_a_urlencoded_body_answers_400_and_writes_nothing(as_owner, db, name):
    body = b"name=" + name + b"&status=planning&priority=low&csrf_token=" + as_owner.csrf.encode()
    r = _raw_post(as_owner, "/projects", body, "application/x-www-form-urlencoded")
    assert r.status_code == 400
    assert count(db, Project) == 0


def test_invalid_utf8_in_a_field_name_answers_400(as_owner, db):
    body = b"na%FFme=x&name=Fine&status=planning&priority=low&csrf_token=" + as_owner.csrf.encode()
    r = _raw_post(as_owner, "/projects", body, "application/x-www-form-urlencoded")
    assert r.status_code == 400 and count(db, Project) == 0


def test_invalid_utf8_in_a_multipart_body_answers_400_and_writes_nothing(as_owner, db):
    parts = [(b"name", b"Caf\xe9"), (b"status", b"planning"), (b"priority", b"low"),
             (b"csrf_token", as_owner.csrf.encode())]
    body = b"".join(b'--XyZ\r\nContent-Disposition: form-data; name="' + k + b'"\r\n\r\n' + v + b"\r\n"
                    for k, v in parts) + b"--XyZ--\r\n"
    r = _raw_post(as_owner, "/projects", body, "multipart/form-data; boundary=XyZ")
    assert r.status_code == 400 and count(db, Project) == 0


def test_valid_utf8_in_either_encoding_is_stored_as_typed(as_owner, db):
    body = b"name=Caf%C3%A9+%F0%9F%9A%80&status=planning&priority=low&csrf_token=" + as_owner.csrf.encode()
    assert _raw_post(as_owner, "/projects", body, "application/x-www-form-urlencoded").status_code == 303
    parts = [(b"name", "Ünïcode ✓".encode()), (b"status", b"planning"), (b"priority", b"low"),
             (b"csrf_token", as_owner.csrf.encode())]
    body = b"".join(b'--XyZ\r\nContent-Disposition: form-data; name="' + k + b'"\r\n\r\n' + v + b"\r\n"
                    for k, v in parts) + b"--XyZ--\r\n"
    assert _raw_post(as_owner, "/projects", body, "multipart/form-data; boundary=XyZ").status_code == 303
    db.rollback()
    assert sorted(db.scalars(select(Project.name))) == ["Café 🚀", "Ünïcode ✓"]


# --- 10. open sign-up: registrations per address ----------------------------------------

def _register(browser: Browser, i: int):  # type: ignore[no-untyped-def]
    return browser.post("/register", {"organization_name": f"Org {i}", "name": "Nia",
                                      "email": f"nia{i}@example.com", "password": "long enough pw"})


def test_registrations_per_address_are_limited_per_hour(app, settings, engine, db):
    limit = settings.registrations_per_hour
    spammer = browser_from(app, settings, engine, "203.0.113.50")
    for i in range(limit):
        assert _register(spammer, i).status_code == 303
        spammer.client.cookies.clear()
        spammer._set_cookie()
    r = _register(spammer, limit)
    assert r.status_code == 429 and "Too many attempts" in r.text
    assert count(db, Organization) == limit
    neighbour = browser_from(app, settings, engine, "198.51.100.50")
    assert _register(neighbour, 99).status_code == 303
    assert count(db, Organization) == limit + 1


# --- 11. log out everywhere -----------------------------------------------------------

def test_log_out_everywhere_ends_the_other_sessions_and_keeps_this_one(app, settings, engine,
                                                                        owner, db):
    laptop, phone, here = (browser_from(app, settings, engine, "127.0.0.1").login_as(owner)
                           for _ in range(3))
    page = here.get("/account")
    assert 'action="/account/sessions/end-others"' in page.text
    r = here.post("/account/sessions/end-others")
    assert r.status_code == 303 and r.headers["location"] == "/account?ended=2"
    assert "2 other sessions were logged out." in here.get(r.headers["location"]).text
    db.rollback()
    hashes = set(db.scalars(select(UserSession.token_hash).where(UserSession.user_id == owner.id)))
    assert hashes == {token_hash(here.session_token)}
    for ended in (laptop, phone):
        assert ended.get("/projects").status_code == 303  # sent to the login page
    assert here.get("/projects").status_code == 200
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "user.sessions_ended"))
    assert entry is not None and entry.changes == {"sessions_ended": [None, 2]}


# --- issue 11: the theme is one's own -------------------------------------------------

def test_the_theme_is_saved_for_the_person_and_marks_their_pages(app, settings, engine, owner, db):
    here = browser_from(app, settings, engine, "127.0.0.1").login_as(owner)
    assert "data-theme" not in here.get("/projects").text.split(">", 2)[1]
    r = here.post("/account/theme", {"theme": "dark"})
    assert r.status_code == 303 and r.headers["location"] == "/account"
    db.rollback()
    assert db.scalar(select(User.theme).where(User.id == owner.id)) == "dark"
    assert '<html lang="en" data-theme="dark">' in here.get("/projects").text
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "user.theme_changed"))
    assert entry is not None and entry.changes == {"theme": ["system", "dark"]}
    refused = here.post("/account/theme", {"theme": "purple"})
    assert refused.status_code == 422 and "Not a valid choice" in refused.text
    db.rollback()
    assert db.scalar(select(User.theme).where(User.id == owner.id)) == "dark"
