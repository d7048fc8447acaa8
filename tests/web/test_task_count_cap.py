"""A huge project's list counts up to a cap, and still pages on past it."""

from __future__ import annotations

from sqlalchemy import insert

from kanvaro.models import Task
from kanvaro.tasks.queries import COUNT_CAP, PAGE_SIZE
from tests.factories import make_project, now


def test_list_of_a_huge_project_says_cap_plus_and_keeps_paging(browser, owner, org, db):
    project = make_project(db, org, creator=owner)
    n = COUNT_CAP + 10
    db.execute(insert(Task), [
        {"organization_id": org.id, "project_id": project.id, "number": i, "position": i,
         "title": f"Item {i}", "created_at": now(), "updated_at": now()}
        for i in range(1, n + 1)
    ])
    db.commit()
    browser.login_as(owner)
    first = browser.get(f"/projects/{project.id}")
    assert f"({COUNT_CAP}+)" in first.text
    last_full = COUNT_CAP // PAGE_SIZE
    page = browser.get(f"/projects/{project.id}?page={last_full}")
    assert 'rel="next"' in page.text
    beyond = browser.get(f"/projects/{project.id}?page={last_full + 1}")
    assert f"Item {COUNT_CAP + 1}<" in beyond.text or f">{project.number}.{COUNT_CAP + 1}<" in beyond.text
    assert 'rel="next"' not in beyond.text
