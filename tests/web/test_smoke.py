from __future__ import annotations

from sqlalchemy import select

from kanvaro.models import Project


def test_owner_creates_project_and_lands_on_it(browser, owner, db):
    browser.login_as(owner)
    r = browser.post("/projects", {"name": "Launch", "status": "active", "priority": "high"})
    assert r.status_code == 303
    project = db.scalar(select(Project))
    assert r.headers["location"] == f"/projects/{project.id}"
    page = browser.get(r.headers["location"])
    assert page.status_code == 200 and "Launch" in page.text
