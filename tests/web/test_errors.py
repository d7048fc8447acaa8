"""Error pages and fragments: 401/403/404/405/413/500, with nothing internal shown."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, insert, select
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from kanvaro.models import Organization
from kanvaro.web.view import Web, view
from tests.factories import Browser
from tests.web.markup import FULL_PAGE

HX = {"HX-Request": "true"}
SECRET = "internal detail 7f3a"


@view(login=False)
def _boom(web: Web) -> Response:
    raise RuntimeError(SECRET)


@view(login=False)
def _write_then_boom(web: Web) -> Response:
    web.db.execute(insert(Organization).values(name="Half written"))
    web.db.flush()
    raise RuntimeError(SECRET)


def _raw_boom(request: Request) -> Response:
    raise ValueError(SECRET)


def _ok(request: Request) -> Response:
    return PlainTextResponse("ok")


@pytest.fixture
def failing(app, settings):
    """The app with a few routes that fail, added for this test only."""
    app.router.routes[:0] = [
        Route("/boom", _boom, methods=["GET", "POST"]),
        Route("/write-then-boom", _write_then_boom, methods=["POST"]),
        Route("/raw-boom", _raw_boom),
    ]
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Browser(client, settings, app.state.kanvaro.engine)


# --- 404 and 405 ----------------------------------------------------------------------

def test_unknown_path_is_a_404_page(browser):
    r = browser.get("/no/such/page")
    assert r.status_code == 404 and r.text.startswith(FULL_PAGE)
    assert "Not found" in r.text and '<html lang="en">' in r.text
    assert "HX-Request" in r.headers["vary"]


def test_unknown_path_with_htmx_is_a_404_fragment(browser):
    r = browser.get("/no/such/page", headers=HX)
    assert r.status_code == 404 and "Not found" in r.text
    assert r.text.lstrip().startswith('<section class="error-page"')


def test_a_boosted_404_is_a_whole_page(browser):
    r = browser.get("/no/such/page", headers={**HX, "HX-Boosted": "true"})
    assert r.status_code == 404 and r.text.startswith(FULL_PAGE)


def test_wrong_method_is_a_405_page(browser):
    r = browser.get("/logout")
    assert r.status_code == 405 and r.text.startswith(FULL_PAGE)
    assert "Method not allowed" in r.text


def test_wrong_method_with_htmx_is_a_405_fragment(browser):
    r = browser.get("/logout", headers=HX)
    assert r.status_code == 405 and not r.text.startswith(FULL_PAGE)
    assert "Method not allowed" in r.text


def test_an_id_too_large_for_the_database_is_a_404(browser, owner):
    browser.login_as(owner)
    assert browser.get("/projects/" + "9" * 30).status_code == 404


# --- 500 ------------------------------------------------------------------------------

def test_a_crash_is_a_500_page_with_the_request_id_and_no_trace(failing, caplog):
    with caplog.at_level(logging.ERROR):
        r = failing.get("/boom")
    assert r.status_code == 500 and r.text.startswith(FULL_PAGE)
    assert "Something went wrong" in r.text
    rid = r.headers["x-request-id"]
    assert len(rid) >= 8 and f"<code>{rid}</code>" in r.text
    for leak in (SECRET, "Traceback", "RuntimeError", "File \""):
        assert leak not in r.text
    # The trace goes to the log, under the same request id.
    logged = [rec for rec in caplog.records if rid in rec.getMessage()]
    assert logged and logged[0].exc_info and SECRET in str(logged[0].exc_info[1])


def test_a_crash_with_htmx_is_a_500_fragment(failing):
    r = failing.get("/boom", headers=HX)
    assert r.status_code == 500 and not r.text.startswith(FULL_PAGE)
    assert r.headers["x-request-id"] in r.text and SECRET not in r.text


def test_a_crash_outside_the_view_wrapper_is_also_a_clean_500(failing, caplog):
    with caplog.at_level(logging.ERROR):
        r = failing.get("/raw-boom")
    assert r.status_code == 500 and "Something went wrong" in r.text
    assert r.headers["x-request-id"] in r.text
    assert SECRET not in r.text and "Traceback" not in r.text
    assert any(rec.exc_info and SECRET in str(rec.exc_info[1]) for rec in caplog.records)


def test_a_crash_after_a_write_rolls_the_write_back(failing, db):
    r = failing.post("/write-then-boom")
    assert r.status_code == 500
    assert db.scalar(select(func.count()).select_from(Organization)) == 0


def test_each_request_gets_its_own_id(failing):
    first, second = failing.get("/boom"), failing.get("/boom")
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


def test_error_pages_carry_the_security_headers(failing):
    r = failing.get("/boom")
    assert r.headers["x-frame-options"] == "DENY" and "content-security-policy" in r.headers


# --- not logged in, forbidden, malformed ----------------------------------------------

def test_anonymous_page_request_goes_to_login_with_next(browser):
    r = browser.get("/projects?status=active&q=web")
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=%2Fprojects%3Fstatus%3Dactive%26q%3Dweb"


def test_anonymous_htmx_request_is_401_with_hx_redirect(browser):
    r = browser.get("/projects", headers=HX)
    assert r.status_code == 401 and r.headers["hx-redirect"] == "/login"
    assert "HX-Request" in r.headers["vary"]


def test_an_anonymous_boosted_request_is_redirected_like_a_page(browser):
    r = browser.get("/projects", headers={**HX, "HX-Boosted": "true"})
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


def test_forbidden_is_a_403_page_without_internals(browser, db, org):
    from tests.factories import make_user

    user = make_user(db, org, role="viewer")
    db.commit()
    r = browser.login_as(user).get("/projects/new")
    assert r.status_code == 403 and r.text.startswith(FULL_PAGE)
    assert "Not allowed" in r.text and "project:create" not in r.text


def test_an_oversized_body_is_413(browser, owner):
    browser.login_as(owner)
    r = browser.post("/projects", {"name": "x", "description": "y" * 2_000_000})
    assert r.status_code == 413 and "Too large" in r.text


def test_a_malformed_body_is_400(browser, owner):
    browser.login_as(owner)
    r = browser.client.post("/projects", content=b"--x\r\nbroken", follow_redirects=False,
                            headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert r.status_code in (400, 403)


def test_healthz_answers_ok(client):
    r = client.get("/healthz")
    assert (r.status_code, r.text) == (200, "ok")
