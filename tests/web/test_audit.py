"""The audit log page: who may read it, what it shows, filters and pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert

from kanvaro.models import AuditEntry
from tests.factories import make_org, make_user


def add_entries(db, org, actor, n, *, action="project.updated", entity_type="project", start=1):
    db.execute(insert(AuditEntry), [
        {"organization_id": org.id, "actor_id": actor.id if actor else None, "action": action,
         "entity_type": entity_type, "entity_id": start + i, "changes": {"name": [f"old {start + i}", f"new {start + i}"]},
         "created_at": datetime.now(UTC)}
        for i in range(n)
    ])
    db.commit()


def entity_ids(page: str) -> list[int]:
    return [int(x) for x in re.findall(r"<td[^>]*>(?:Project|Task|User|Custom role|Invitation) #(\d+)</td>", page)]


@pytest.mark.parametrize("role, status", [
    ("owner", 200), ("admin", 200), ("project_manager", 403), ("team_member", 403),
    ("client", 403), ("viewer", 403),
])
def test_only_owners_and_admins_read_the_audit_log(browser, db, org, role, status):
    user = make_user(db, org, role=role)
    db.commit()
    browser.login_as(user)
    r = browser.get("/audit")
    assert r.status_code == status
    nav = browser.get("/projects").text
    assert ('href="/audit"' in nav) is (status == 200)


def test_entries_show_actor_action_entity_and_changes_newest_first(browser, db, org, owner):
    add_entries(db, org, owner, 3)
    browser.login_as(owner)
    page = browser.get("/audit").text
    assert entity_ids(page) == [3, 2, 1]
    assert "Olive Owner" in page and "project.updated" in page
    assert "old 2" in page and "new 2" in page


def test_another_organizations_entries_never_show(browser, db, org, owner):
    other = make_org(db, "Other")
    stranger = make_user(db, other, role="owner", name="Stan Stranger")
    add_entries(db, other, stranger, 2, start=500)
    add_entries(db, org, owner, 1)
    browser.login_as(owner)
    page = browser.get("/audit").text
    assert entity_ids(page) == [1] and "Stan Stranger" not in page


def test_filter_by_entity_type_and_actor(browser, db, org, owner):
    colleague = make_user(db, org, role="admin", name="Cal Colleague")
    add_entries(db, org, owner, 2, start=1)
    add_entries(db, org, colleague, 2, start=10)
    add_entries(db, org, owner, 1, action="task.created", entity_type="task", start=20)
    browser.login_as(owner)
    assert entity_ids(browser.get("/audit?entity_type=task").text) == [20]
    assert entity_ids(browser.get(f"/audit?actor={colleague.id}").text) == [11, 10]
    assert entity_ids(browser.get(f"/audit?entity_type=project&actor={owner.id}").text) == [2, 1]
    assert entity_ids(browser.get("/audit?actor=nonsense").text) == [20, 11, 10, 2, 1]


def test_the_log_is_paginated(browser, db, org, owner):
    add_entries(db, org, owner, 120)
    browser.login_as(owner)
    first = browser.get("/audit").text
    assert entity_ids(first) == list(range(120, 70, -1))
    assert 'rel="next"' in first and 'rel="prev"' not in first
    third = browser.get("/audit?page=3").text
    assert entity_ids(third) == list(range(20, 0, -1))
    assert 'rel="next"' not in third and 'rel="prev"' in third
    filtered = browser.get(f"/audit?entity_type=project&actor={owner.id}&page=2").text
    assert f'href="?entity_type=project&amp;actor={owner.id}&amp;page=3" rel="next">Older<' in filtered
    assert f'href="?entity_type=project&amp;actor={owner.id}&amp;page=1" rel="prev">Newer<' in filtered


def test_team_actions_and_logins_appear_under_their_spec_names(browser, db, org, owner):
    member = make_user(db, org, role="viewer", email="vic@acme.test")
    db.commit()
    browser.login_as(owner)
    browser.post("/team/invitations", {"email": "new@example.com", "role": "viewer"})
    browser.post(f"/team/members/{member.id}/role", {"role": "team_member"})
    browser.post("/team/roles", {"name": "Auditor", "permissions": "audit:read"})
    page = browser.get("/audit").text
    for name in ("invitation.created", "user.role_changed", "role.created"):
        assert name in page
    assert "viewer" in page and "team_member" in page


def test_login_failures_and_successes_are_in_the_log(browser, db, org, owner):
    browser.post("/login", {"email": "olive@acme.test", "password": "wrong password!"})
    browser.post("/login", {"email": "olive@acme.test", "password": "correct horse battery"})
    browser.login_as(owner)
    page = browser.get("/audit").text
    assert "user.login_failed" in page and "user.logged_in" in page
