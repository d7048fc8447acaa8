"""Conditional GET: pages carry an ETag from the organization's revision; 304 when unchanged."""

from __future__ import annotations

from tests.factories import make_project


def test_unchanged_page_answers_304_without_body(browser, owner, org, db):
    project = make_project(db, org, creator=owner, name="Steady")
    db.commit()
    browser.login_as(owner)
    first = browser.get(f"/projects/{project.id}")
    assert first.status_code == 200 and "Steady" in first.text
    etag = first.headers["etag"]
    again = browser.get(f"/projects/{project.id}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag


def test_any_action_in_the_organization_changes_the_etag(browser, owner, org, db):
    project = make_project(db, org, creator=owner, name="Before")
    db.commit()
    browser.login_as(owner)
    etag = browser.get("/projects").headers["etag"]
    assert browser.post(f"/projects/{project.id}/tasks", {"title": "New work"}).status_code == 303
    shown = browser.get("/projects", headers={"If-None-Match": etag})  # shows the flash, once
    assert shown.status_code == 200 and "etag" not in shown.headers
    assert "New work" in shown.text and shown.headers["cache-control"] == "no-store"
    after = browser.get("/projects", headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after.headers["etag"] != etag
    assert "New work" not in after.text


def test_etag_differs_per_user_and_for_htmx(browser, client, owner, org, db):
    from tests.factories import Browser, make_user

    other = make_user(db, org, role="admin")
    db.commit()
    browser.login_as(owner)
    mine = browser.get("/projects")
    fragment = browser.get("/projects", headers={"HX-Request": "true"})
    assert mine.headers["etag"] != fragment.headers["etag"]
    theirs = Browser(client, browser.settings, browser.engine).login_as(other).get("/projects")
    assert theirs.headers["etag"] != mine.headers["etag"]
