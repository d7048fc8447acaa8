"""Story routes over HTTP, each without and with htmx: create, view, edit (with version), delete."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kanvaro.inputs import parse
from kanvaro.models import AuditEntry, ProjectMember, Story, Task
from kanvaro.stories import actions as story_actions
from kanvaro.stories.forms import NewStory, StoryEdit
from kanvaro.tasks import actions as task_actions
from kanvaro.tasks.forms import NewTask
from tests.factories import make_org, make_user
from tests.web.markup import FULL_PAGE, field_error, value_of

HX = {"HX-Request": "true"}


def count(db, model, *where) -> int:
    db.commit()  # a new snapshot: see what the app committed
    return db.scalar(select(func.count()).select_from(model).where(*where)) or 0


def audit_rows(db, action: str) -> list[AuditEntry]:
    db.commit()
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def reload(db, row):
    db.commit()
    db.refresh(row)
    return row


@pytest.fixture
def story(db, ctx, project):
    s = story_actions.create_story(ctx, project.id, parse(NewStory, {"title": "Checkout", "priority": "high"}))
    db.commit()
    return s


def edit_data(**changes) -> dict[str, str]:
    data = {"title": "Checkout", "description": "", "priority": "high", "status": "todo",
            "version": "1"}
    data.update(changes)
    return data


# --- create ---------------------------------------------------------------------------

@pytest.mark.parametrize("htmx", [False, True])
def test_create_adds_the_story_to_the_project(as_owner, db, project, htmx):
    r = as_owner.post(f"/projects/{project.id}/stories",
                      {"title": "Checkout", "priority": "critical", "story_points": "8"}, htmx=htmx)
    target = f"/projects/{project.id}"
    if htmx:
        assert r.status_code == 200 and r.headers["hx-location"] == target
    else:
        assert (r.status_code, r.headers["location"]) == (303, target)
    story = db.scalar(select(Story))
    assert (story.title, story.priority, story.story_points) == ("Checkout", "critical", 8)
    [entry] = audit_rows(db, "story.created")
    assert entry.entity_id == story.id and entry.changes["title"] == [None, "Checkout"]
    page = as_owner.get(target).text
    assert f'<a href="/stories/{story.id}">Checkout</a>' in page


@pytest.mark.parametrize(("field", "field_id", "value"), [
    ("title", "story-title", ""),
    ("story_points", "story-points", "101"),
    ("story_points", "story-points", "-3"),
    ("priority", "story-priority", "urgent"),
])
@pytest.mark.parametrize("htmx", [False, True])
def test_create_with_an_invalid_field_is_422_next_to_it(as_owner, db, project, field, field_id, value, htmx):
    r = as_owner.post(f"/projects/{project.id}/stories",
                      {"title": "Fine", "description": "typed", field: value}, htmx=htmx)
    assert r.status_code == 422 and "HX-Request" in r.headers["vary"]
    assert field_error(r.text, field_id)
    assert value_of(r.text, "story-description") == "typed"
    assert r.text.startswith(FULL_PAGE) is (not htmx)
    if htmx:
        assert r.text.lstrip().startswith(f'<form method="post" action="/projects/{project.id}/stories"')
    assert count(db, Story) == 0


@pytest.mark.parametrize("role", ["client", "viewer"])
def test_create_by_client_or_viewer_is_403(browser, db, org, project, role):
    user = make_user(db, org, role=role)
    db.add(ProjectMember(organization_id=org.id, project_id=project.id, user_id=user.id))
    db.commit()
    r = browser.login_as(user).post(f"/projects/{project.id}/stories", {"title": "x"})
    assert r.status_code == 403 and count(db, Story) == 0


def test_create_in_hidden_or_foreign_project_is_404(browser, db, org, project):
    outsider = make_user(db, org, role="team_member")
    stranger = make_user(db, make_org(db), role="owner")
    db.commit()
    for user in (outsider, stranger):
        r = browser.login_as(user).post(f"/projects/{project.id}/stories", {"title": "x"})
        assert r.status_code == 404
    assert count(db, Story) == 0


# --- view and edit --------------------------------------------------------------------

@pytest.mark.parametrize("htmx", [False, True])
def test_story_page_lists_its_tasks(as_owner, db, ctx, project, story, htmx):
    task_actions.create_task(ctx, project.id, parse(NewTask, {"title": "Pay button", "story": str(story.id)}))
    task_actions.create_task(ctx, project.id, parse(NewTask, {"title": "Unrelated"}))
    db.commit()
    r = as_owner.get(f"/stories/{story.id}", headers=HX if htmx else {})
    assert r.status_code == 200 and "Checkout" in r.text
    assert "1.1" in r.text and "Pay button" in r.text and "Unrelated" not in r.text
    assert r.text.startswith(FULL_PAGE) is (not htmx)


def test_story_pages_of_hidden_or_foreign_story_are_404(browser, db, org, story):
    outsider = make_user(db, org, role="team_member")
    stranger = make_user(db, make_org(db), role="owner")
    db.commit()
    for user in (outsider, stranger):
        browser.login_as(user)
        assert browser.get(f"/stories/{story.id}").status_code == 404
        assert browser.get(f"/stories/{story.id}/edit").status_code == 404
        assert browser.post(f"/stories/{story.id}", edit_data(title="x")).status_code == 404
        assert browser.post(f"/stories/{story.id}/delete").status_code == 404
    assert reload(db, story).title == "Checkout" and count(db, Story) == 1


@pytest.mark.parametrize("htmx", [False, True])
def test_edit_form_is_filled_with_the_story(as_owner, story, htmx):
    r = as_owner.get(f"/stories/{story.id}/edit", headers=HX if htmx else {})
    assert r.status_code == 200
    assert value_of(r.text, "story-title") == "Checkout"
    assert 'name="version" value="1"' in r.text
    assert r.text.startswith(FULL_PAGE) is (not htmx)


@pytest.mark.parametrize("htmx", [False, True])
def test_update_saves_and_redirects(as_owner, db, story, htmx):
    r = as_owner.post(f"/stories/{story.id}", edit_data(title="Payment", status="in-progress"), htmx=htmx)
    target = f"/stories/{story.id}"
    assert (r.headers.get("hx-location") if htmx else r.headers["location"]) == target
    reload(db, story)
    assert (story.title, story.status, story.version) == ("Payment", "in-progress", 2)
    [entry] = audit_rows(db, "story.updated")
    assert entry.changes == {"title": ["Checkout", "Payment"], "status": ["todo", "in-progress"]}


@pytest.mark.parametrize("htmx", [False, True])
def test_update_with_a_stale_version_is_409_with_both_values(as_owner, db, ctx, story, htmx):
    story_actions.update_story(ctx, story.id, parse(StoryEdit, edit_data(title="Their title")))
    db.commit()
    r = as_owner.post(f"/stories/{story.id}", edit_data(title="My title"), htmx=htmx)
    assert r.status_code == 409
    assert "Someone else changed this story meanwhile" in r.text
    assert "Their title" in r.text
    assert value_of(r.text, "story-title") == "My title"
    assert 'name="version" value="2"' in r.text
    assert reload(db, story).title == "Their title"
    assert len(audit_rows(db, "story.updated")) == 1


@pytest.mark.parametrize("htmx", [False, True])
def test_update_with_invalid_points_is_422(as_owner, db, story, htmx):
    r = as_owner.post(f"/stories/{story.id}", edit_data(story_points="500"), htmx=htmx)
    assert r.status_code == 422 and field_error(r.text, "story-points")
    assert reload(db, story).version == 1


def test_update_by_viewer_is_403(browser, db, org, project, story):
    viewer = make_user(db, org, role="viewer")
    db.add(ProjectMember(organization_id=org.id, project_id=project.id, user_id=viewer.id))
    db.commit()
    browser.login_as(viewer)
    assert browser.get(f"/stories/{story.id}/edit").status_code == 403
    assert browser.post(f"/stories/{story.id}", edit_data(title="x")).status_code == 403
    assert reload(db, story).title == "Checkout"


# --- delete ---------------------------------------------------------------------------

@pytest.mark.parametrize("htmx", [False, True])
def test_delete_keeps_the_tasks_without_a_story(as_owner, db, ctx, project, story, htmx):
    task = task_actions.create_task(ctx, project.id, parse(NewTask, {"title": "Pay button", "story": str(story.id)}))
    db.commit()
    r = as_owner.post(f"/stories/{story.id}/delete", htmx=htmx)
    target = f"/projects/{project.id}"
    assert (r.headers.get("hx-location") if htmx else r.headers["location"]) == target
    assert count(db, Story) == 0 and count(db, Task) == 1
    assert reload(db, task).story_id is None
    [entry] = audit_rows(db, "story.deleted")
    assert entry.changes == {"title": ["Checkout", None]}


def test_delete_by_team_member_is_403(browser, db, member, story):
    assert browser.login_as(member).post(f"/stories/{story.id}/delete").status_code == 403
    assert count(db, Story) == 1
