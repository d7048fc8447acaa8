"""CSRF and Origin, generated from the route table (issue 6, suite 2).

Every POST route, sent a body it would accept, with no token, a forged token (right length,
wrong secret), another session's token, a forged X-CSRF-Token header, and a valid token but a
foreign Origin: each answers 403 and no row of any table changes. With a valid token and our
own Origin the same request gets past the check (the control).
"""

from __future__ import annotations

import base64
import secrets

import pytest
from starlette.testclient import TestClient

from kanvaro.security import mask_csrf
from tests.factories import PASSWORD, Browser
from tests.reliability.conftest import (
    FILES,
    PAGE_ANSWERS,
    READ_ONLY_POSTS,
    UNIVERSAL_BODY,
    app_routes,
    diff_dumps,
    dump,
    fill,
)

POSTS = [(path, route) for method, path, route in app_routes() if method == "POST"]
VARIANTS = ("missing token", "forged token", "another session's token", "forged header",
            "foreign origin", "null origin")


def body_for(path: str, world) -> dict[str, str]:  # type: ignore[no-untyped-def]
    extra = {
        "/login": {"email": world.owner.email, "password": PASSWORD},
        "/register": {"organization_name": "Sneaky Inc", "email": "sneaky@example.com"},
    }.get(path, {})
    return {**UNIVERSAL_BODY, **extra, **FILES.get(path, {})}


def send(browser: Browser, url: str, body: dict[str, str], variant: str, other: Browser):  # type: ignore[no-untyped-def]
    forged = base64.urlsafe_b64encode(secrets.token_bytes(64)).decode()
    if variant == "missing token":
        return browser.post(url, body, csrf=False)
    if variant == "forged token":
        return browser.post(url, {**body, "csrf_token": forged}, csrf=False)
    if variant == "another session's token":
        return browser.post(url, {**body, "csrf_token": mask_csrf(other.csrf_secret)}, csrf=False)
    if variant == "forged header":
        return browser.post(url, body, csrf=False, htmx=True, headers={"X-CSRF-Token": forged})
    if variant == "foreign origin":
        return browser.post(url, body, headers={"Origin": "http://evil.example"})
    if variant == "null origin":
        return browser.post(url, body, headers={"Origin": "null"})
    raise AssertionError(variant)


@pytest.fixture
def other_session(app, settings, engine, world):  # type: ignore[no-untyped-def]
    """A second browser with its own live session (the intruder's)."""
    with TestClient(app) as client:
        yield Browser(client, settings, engine).login_as(world.intruder)


def test_every_post_route_is_covered():
    assert len(POSTS) >= 21


@pytest.mark.parametrize(("path", "route"), POSTS, ids=[p for p, _ in POSTS])
def test_a_post_without_a_valid_token_or_from_a_foreign_origin_is_403_and_writes_nothing(
        browser, engine, world, other_session, path, route):
    url = fill(route, world.params())
    body = body_for(path, world)
    browser.login_as(world.owner)
    before = dump(engine)
    for variant in VARIANTS:
        r = send(browser, url, body, variant, other_session)
        assert r.status_code == 403, (variant, url, r.status_code)
        assert "Not allowed" in r.text
        assert dump(engine) == before, (variant, diff_dumps(before, dump(engine)))


@pytest.mark.parametrize(("path", "route"), POSTS, ids=[p for p, _ in POSTS])
def test_the_same_post_with_a_valid_token_and_our_origin_passes_the_check(
        browser, engine, world, path, route):
    url = fill(route, world.params())
    if path in ("/login", "/register", "/invitations/{token:str}"):
        browser.client.cookies.clear()
        browser.session_token = ""
        browser._set_cookie()
    else:
        browser.login_as(world.owner)
    before = dump(engine)
    r = browser.post(url, body_for(path, world), headers={"Origin": "http://testserver"})
    if path in READ_ONLY_POSTS:  # past the check, it answers and writes nothing by design
        assert r.status_code == 200 and dump(engine) == before, (url, r.status_code)
        return
    assert r.status_code == (200 if path in PAGE_ANSWERS else 303), (url, r.status_code, r.text[-1500:])
    assert dump(engine) != before
