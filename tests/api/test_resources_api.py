"""Projects, stories, comments and people through the JSON API."""

from __future__ import annotations

from sqlalchemy import select

from kanvaro.models import AuditEntry, Comment, Project, Story
from tests.factories import make_org, make_project, make_user


def test_projects_create_read_patch_delete(api, db, owner, member):
    made = api("POST", "/projects", {"name": "Apollo", "status": "active", "members": [member.id],
                                      "start_date": "2026-01-01", "end_date": "2026-02-01"})
    assert made.status_code == 201, made.text
    project = made.json()
    assert made.headers["location"] == f"/api/v1/projects/{project['id']}"
    assert project["members"] == sorted([owner.id, member.id]) and project["status"] == "active"
    patched = api("PATCH", f"/projects/{project['id']}", {"priority": "high", "version": 1}).json()
    assert (patched["priority"], patched["name"], patched["version"]) == ("high", "Apollo", 2)
    assert patched["members"] == project["members"]
    stale = api("PATCH", f"/projects/{project['id']}", {"name": "Old", "version": 1})
    assert stale.status_code == 409 and stale.json()["current"]["priority"] == "high"
    bad = api("PATCH", f"/projects/{project['id']}", {"end_date": "2025-01-01"})
    assert bad.status_code == 422 and "end_date" in bad.json()["errors"]
    listed = api("GET", "/projects?status=active").json()
    assert [p["name"] for p in listed["items"]] == ["Apollo"]
    assert api("DELETE", f"/projects/{project['id']}").status_code == 204
    db.commit()
    assert db.get(Project, project["id"]) is None
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "project")).all()
    assert sorted(actions) == ["project.created", "project.deleted", "project.updated"]


def test_a_member_lists_only_the_projects_they_belong_to(member_api, db, org, owner, project):
    make_project(db, org, members=[owner], name="Secret", creator=owner)
    db.commit()
    assert [p["name"] for p in member_api("GET", "/projects").json()["items"]] == ["Launch"]


def test_stories(api, db, project):
    made = api("POST", f"/projects/{project.id}/stories", {"title": "Sign-up", "story_points": 5})
    assert made.status_code == 201, made.text
    story = made.json()
    assert (story["project"], story["status"], story["story_points"]) == (project.id, "todo", 5)
    assert api("GET", f"/projects/{project.id}/stories").json()["items"] == [story]
    changed = api("PATCH", f"/stories/{story['id']}", {"status": "in-progress"}).json()
    assert changed["status"] == "in-progress" and changed["title"] == "Sign-up"
    assert api("DELETE", f"/stories/{story['id']}").status_code == 204
    db.commit()
    assert db.scalars(select(Story)).all() == []


def test_comments_by_author_only(api, member_api, db, project):
    task = api("POST", f"/projects/{project.id}/tasks", {"title": "Talk"}).json()
    made = member_api("POST", f"/tasks/{task['id']}/comments", {"body": "First!"})
    assert made.status_code == 201, made.text
    comment = made.json()
    assert made.headers["location"] == f"/api/v1/comments/{comment['id']}"
    assert api("GET", f"/tasks/{task['id']}").json()["comment_count"] == 1
    assert api("PATCH", f"/comments/{comment['id']}", {"body": "Owner edits"}).status_code == 403
    edited = member_api("PATCH", f"/comments/{comment['id']}", {"body": "First, edited", "version": 1})
    assert edited.status_code == 200 and edited.json()["version"] == 2
    assert member_api("PATCH", f"/comments/{comment['id']}", {"body": "x", "version": 1}).status_code == 409
    assert api("GET", f"/tasks/{task['id']}/comments").json()["items"][0]["body"] == "First, edited"
    assert api("POST", f"/tasks/{task['id']}/comments", {"body": ""}).status_code == 422
    assert api("DELETE", f"/comments/{comment['id']}").status_code == 204  # the owner moderates
    db.commit()
    assert db.scalars(select(Comment)).all() == []


def test_users_are_the_organizations_only(api, db, owner, member):
    other = make_org(db, "Globex")
    stranger = make_user(db, other, name="Stranger")
    db.commit()
    people = api("GET", "/users").json()["items"]
    assert {p["id"] for p in people} == {owner.id, member.id}
    assert api("GET", f"/users/{member.id}").json()["handle"] == member.handle
    assert api("GET", f"/users/{stranger.id}").status_code == 404
