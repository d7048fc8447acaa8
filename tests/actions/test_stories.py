"""Story actions without HTTP: create, edit (with version), delete keeps the tasks."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kanvaro.errors import Conflict, Forbidden, Invalid, NotFound
from kanvaro.inputs import parse
from kanvaro.models import AuditEntry, ProjectMember, Story, Task
from kanvaro.stories import actions
from kanvaro.stories.forms import NewStory, StoryEdit
from kanvaro.tasks import actions as task_actions
from kanvaro.tasks.forms import NewTask
from tests.factories import make_org, make_user


def count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where)) or 0


def audit_rows(db, action: str) -> list[AuditEntry]:
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


@pytest.fixture
def story(ctx, project):
    return actions.create_story(ctx, project.id, parse(NewStory, {"title": "Checkout", "priority": "high",
                                                  "story_points": "13"}))


def edit(story: Story, **changes) -> dict[str, str]:
    data = {"title": story.title, "description": story.description, "priority": story.priority,
            "status": story.status, "version": str(story.version)}
    if story.story_points is not None:
        data["story_points"] = str(story.story_points)
    data.update(changes)
    return data


def test_create_writes_the_story_and_audits(db, org, owner, project, story):
    db.refresh(story)
    assert (story.title, story.priority, story.story_points, story.status) == ("Checkout", "high", 13, "todo")
    assert (story.project_id, story.organization_id, story.version) == (project.id, org.id, 1)
    [entry] = audit_rows(db, "story.created")
    assert (entry.entity_type, entry.entity_id, entry.actor_id) == ("story", story.id, owner.id)
    assert entry.changes["title"] == [None, "Checkout"]
    assert entry.changes["story_points"] == [None, 13]


@pytest.mark.parametrize(("field", "value"), [
    ("title", ""), ("title", "x" * 201), ("priority", "urgent"),
    ("story_points", "-1"), ("story_points", "101"), ("story_points", "lots"), ("status", "review"),
])
def test_each_invalid_field_is_rejected_and_nothing_written(db, ctx, project, field, value):
    with pytest.raises(Invalid) as exc:
        actions.create_story(ctx, project.id, parse(NewStory, {"title": "Fine", field: value}))
    assert list(exc.value.errors) == [field]
    assert count(db, Story) == 0 and audit_rows(db, "story.created") == []


def test_team_member_creates_and_viewer_may_not(db, org, ctx_for, member, project):
    assert actions.create_story(ctx_for(member), project.id, parse(NewStory, {"title": "Mine"})).id
    viewer = make_user(db, org, role="viewer")
    db.add(ProjectMember(organization_id=org.id, project_id=project.id, user_id=viewer.id))
    db.flush()
    with pytest.raises(Forbidden):
        actions.create_story(ctx_for(viewer), project.id, parse(NewStory, {"title": "Nope"}))
    assert count(db, Story) == 1


def test_hidden_and_foreign_projects_are_not_found(db, org, ctx_for, project, story):
    outsider = make_user(db, org, role="team_member")
    stranger = make_user(db, make_org(db), role="owner")
    for user in (outsider, stranger):
        with pytest.raises(NotFound):
            actions.create_story(ctx_for(user), project.id, parse(NewStory, {"title": "x"}))
        with pytest.raises(NotFound):
            actions.update_story(ctx_for(user), story.id, parse(StoryEdit, edit(story, title="y")))
        with pytest.raises(NotFound):
            actions.delete_story(ctx_for(user), story.id)
    assert count(db, Story) == 1


def test_update_bumps_version_and_audits_before_after(db, ctx, story):
    actions.update_story(ctx, story.id, parse(StoryEdit, edit(story, title="Payment", status="in-progress")))
    db.refresh(story)
    assert (story.title, story.status, story.version) == ("Payment", "in-progress", 2)
    [entry] = audit_rows(db, "story.updated")
    assert entry.changes == {"title": ["Checkout", "Payment"], "status": ["todo", "in-progress"]}


def test_update_with_stale_version_conflicts_and_writes_nothing(db, ctx, story):
    actions.update_story(ctx, story.id, parse(StoryEdit, edit(story, title="Payment")))
    with pytest.raises(Conflict) as exc:
        actions.update_story(ctx, story.id, parse(StoryEdit, edit(story, title="Billing", version="1")))
    assert exc.value.current.title == "Payment"
    db.expire_all()
    assert db.get(Story, story.id).title == "Payment"
    assert len(audit_rows(db, "story.updated")) == 1


def test_delete_keeps_its_tasks_without_a_story(db, ctx, project, story):
    task = task_actions.create_task(ctx, project.id, parse(NewTask, {"title": "T", "story": str(story.id)}))
    assert actions.delete_story(ctx, story.id) == project.id
    assert count(db, Story) == 0
    db.refresh(task)
    assert task.story_id is None and task.version == 2
    [entry] = audit_rows(db, "story.deleted")
    assert entry.entity_id == story.id and entry.changes == {"title": ["Checkout", None]}
    assert count(db, Task) == 1


def test_team_member_may_not_delete(db, ctx_for, member, story):
    with pytest.raises(Forbidden):
        actions.delete_story(ctx_for(member), story.id)
    assert count(db, Story) == 1
