"""Who may not change a status sees it, without buttons that would only fail."""

from __future__ import annotations

import pytest

from tests.factories import make_project, make_user


@pytest.mark.parametrize("role", ["client", "viewer"])
def test_read_only_roles_see_the_status_without_buttons(browser, owner, org, db, role):
    reader = make_user(db, org, role=role)
    project = make_project(db, org, creator=owner, members=[reader])
    db.commit()
    browser.login_as(owner)
    assert browser.post(f"/projects/{project.id}/tasks", {"title": "Look only"}).status_code == 303
    browser.login_as(reader)
    board = browser.get(f"/projects/{project.id}/board")
    assert board.status_code == 200
    assert "Look only" in board.text
    assert 'class="badge st-todo status-readonly"' in board.text
    assert 'name="status" value="review"' not in board.text


def test_members_who_may_change_it_get_the_buttons(browser, owner, org, db):
    project = make_project(db, org, creator=owner)
    db.commit()
    browser.login_as(owner)
    browser.post(f"/projects/{project.id}/tasks", {"title": "Movable"})
    board = browser.get(f"/projects/{project.id}/board")
    assert 'name="status" value="review"' in board.text
    assert "status-readonly" not in board.text
