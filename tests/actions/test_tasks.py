"""Task actions without HTTP: numbering, scoping, validation, status changes and their audit rows."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from kanvaro.errors import Conflict, Forbidden, Invalid, NotFound
from kanvaro.inputs import parse
from kanvaro.models import AuditEntry, Project, ProjectMember, Story, Task
from kanvaro.projects import actions as project_actions
from kanvaro.stories import actions as story_actions
from kanvaro.stories.forms import NewStory
from kanvaro.tasks import actions
from kanvaro.tasks.forms import NewTask, StatusChange, TaskEdit
from tests.factories import assignee_ids, make_org, make_project, make_user


def count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where)) or 0


def audit_rows(db, action: str) -> list[AuditEntry]:
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


@pytest.fixture
def task(ctx, project):
    return actions.create_task(ctx, project.id, parse(NewTask, {"title": "Write docs"}))


def add_member(db, org, project, user):
    db.add(ProjectMember(organization_id=org.id, project_id=project.id, user_id=user.id))
    db.flush()
    return user


def label(db, task: Task) -> str:
    return f"{db.get(Project, task.project_id).number}.{task.number}"


# --- create ---------------------------------------------------------------------------

def test_first_task_of_first_project_is_1_1(db, ctx, project):
    task = actions.create_task(ctx, project.id, parse(NewTask, {"title": "First"}))
    assert project.number == 1 and task.number == 1
    assert label(db, task) == "1.1"


def test_create_writes_every_field_and_audits(db, ctx, org, owner, member, project):
    story = story_actions.create_story(ctx, project.id, parse(NewStory, {"title": "Checkout"}))
    task = actions.create_task(ctx, project.id, parse(NewTask, {
        "title": "  Pay button  ", "description": "Big and green", "story": str(story.id),
        "assignees": [str(member.id), str(owner.id)], "priority": "high", "story_points": "8",
        "due_date": "2030-03-01",
    }))
    db.refresh(task)
    assert (task.title, task.description, task.priority, task.story_points) == (
        "Pay button", "Big and green", "high", 8)
    assert task.description_html == "<p>Big and green</p>\n"
    assert (task.story_id, task.due_date) == (story.id, date(2030, 3, 1))
    assert assignee_ids(db, task.id) == sorted([member.id, owner.id])
    assert (task.status, task.version, task.completed_at) == ("todo", 1, None)
    assert (task.organization_id, task.project_id, task.created_by_id) == (org.id, project.id, owner.id)
    [entry] = audit_rows(db, "task.created")
    assert (entry.entity_type, entry.entity_id, entry.actor_id) == ("task", task.id, owner.id)
    assert entry.changes["title"] == [None, "Pay button"]
    assert entry.changes["assignees"] == [None, sorted([member.id, owner.id])]
    assert "assignee_id" not in entry.changes and "description_html" not in entry.changes
    assert entry.changes["due_date"] == [None, "2030-03-01"]
    assert entry.changes["number"] == [None, "1.1"]


def test_numbers_are_sequential_per_project(db, ctx, org, owner, project):
    other = make_project(db, org, members=[owner], creator=owner)
    a = actions.create_task(ctx, project.id, parse(NewTask, {"title": "a"}))
    b = actions.create_task(ctx, project.id, parse(NewTask, {"title": "b"}))
    c = actions.create_task(ctx, other.id, parse(NewTask, {"title": "c"}))
    assert [label(db, t) for t in (a, b, c)] == ["1.1", "1.2", "2.1"]


def test_numbers_are_never_reused_after_a_delete(db, ctx, project):
    actions.create_task(ctx, project.id, parse(NewTask, {"title": "a"}))
    last = actions.create_task(ctx, project.id, parse(NewTask, {"title": "b"}))
    actions.delete_task(ctx, last.id)
    again = actions.create_task(ctx, project.id, parse(NewTask, {"title": "c"}))
    assert again.number == 3


def test_story_of_another_project_is_invalid(db, ctx, org, owner, project):
    other = make_project(db, org, members=[owner], creator=owner)
    foreign_story = story_actions.create_story(ctx, other.id, parse(NewStory, {"title": "Elsewhere"}))
    with pytest.raises(Invalid) as exc:
        actions.create_task(ctx, project.id, parse(NewTask, {"title": "x", "story": str(foreign_story.id)}))
    assert exc.value.errors["story"]
    assert count(db, Task) == 0


@pytest.mark.parametrize("sent", ["assignee", "assignees"])
def test_assignee_must_be_a_member_of_the_project(db, ctx, org, member, project, sent):
    outsider = make_user(db, org, role="team_member")
    with pytest.raises(Invalid) as exc:
        actions.create_task(ctx, project.id, parse(NewTask, {
            "title": "x", "assignees": [str(member.id)], sent: str(outsider.id)}))
    assert exc.value.errors == {"assignees": ["Not a valid choice."]}
    assert count(db, Task) == 0


def test_assignee_of_another_organization_is_invalid(db, ctx, project):
    stranger = make_user(db, make_org(db), role="team_member")
    with pytest.raises(Invalid):
        actions.create_task(ctx, project.id, parse(NewTask, {"title": "x", "assignee": str(stranger.id)}))


@pytest.mark.parametrize(("field", "value"), [
    ("title", ""),
    ("title", "x" * 201),
    ("title", "bad\x00title"),
    ("story_points", "-1"),
    ("story_points", "101"),
    ("story_points", "many"),
    ("priority", "urgent"),
    ("due_date", "tomorrow"),
    ("story", "999999"),
    ("assignees", "999999"),
])
def test_each_invalid_field_is_rejected_and_nothing_written(db, ctx, project, field, value):
    data = {"title": "Fine", field: value}
    with pytest.raises(Invalid) as exc:
        actions.create_task(ctx, project.id, parse(NewTask, data))
    assert exc.value.errors[field]
    assert list(exc.value.errors) == [field]
    assert count(db, Task) == 0 and audit_rows(db, "task.created") == []


@pytest.mark.parametrize("points", ["0", "100"])
def test_story_points_bounds_are_allowed(ctx, project, points):
    assert actions.create_task(ctx, project.id, parse(NewTask, {"title": "x", "story_points": points})).story_points == int(points)


@pytest.mark.parametrize("role", ["client", "viewer"])
def test_clients_and_viewers_may_not_create(db, org, ctx_for, owner, role):
    user = make_user(db, org, role=role)
    project = make_project(db, org, members=[user], creator=owner)
    with pytest.raises(Forbidden):
        actions.create_task(ctx_for(user), project.id, parse(NewTask, {"title": "x"}))
    assert count(db, Task) == 0


def test_team_member_creates_in_own_project(ctx_for, member, project):
    assert actions.create_task(ctx_for(member), project.id, parse(NewTask, {"title": "x"})).number == 1


def test_non_member_and_foreign_org_get_not_found(db, org, ctx_for, project):
    outsider = make_user(db, org, role="team_member")
    stranger = make_user(db, make_org(db), role="owner")
    for user in (outsider, stranger):
        with pytest.raises(NotFound):
            actions.create_task(ctx_for(user), project.id, parse(NewTask, {"title": "x"}))
    assert count(db, Task) == 0


# --- update ---------------------------------------------------------------------------

def edit(task: Task, **changes) -> dict[str, str]:
    data = {"title": task.title, "description": task.description, "priority": task.priority,
            "status": task.status, "version": str(task.version)}
    data.update(changes)
    return data


def test_update_writes_bumps_version_and_audits_before_after(db, ctx, member, task):
    actions.update_task(ctx, task.id, parse(TaskEdit, edit(task, title="Write better docs", priority="critical",
                                           assignee=str(member.id))))
    db.refresh(task)
    assert (task.title, task.priority, assignee_ids(db, task.id), task.version) == (
        "Write better docs", "critical", [member.id], 2)
    [entry] = audit_rows(db, "task.updated")
    assert entry.changes == {"title": ["Write docs", "Write better docs"],
                             "priority": ["medium", "critical"], "assignees": [[], [member.id]]}


def test_update_with_stale_version_conflicts_and_writes_nothing(db, ctx, task):
    actions.update_task(ctx, task.id, parse(TaskEdit, edit(task, title="First edit")))
    with pytest.raises(Conflict) as exc:
        actions.update_task(ctx, task.id, parse(TaskEdit, edit(task, title="Second edit", version="1")))
    assert exc.value.current.title == "First edit"
    db.expire_all()
    assert db.get(Task, task.id).title == "First edit" and db.get(Task, task.id).version == 2
    assert len(audit_rows(db, "task.updated")) == 1


def test_update_to_completed_sets_completed_at_and_back_clears_it(db, ctx, task):
    actions.update_task(ctx, task.id, parse(TaskEdit, edit(task, status="completed")))
    db.refresh(task)
    assert task.completed_at is not None
    actions.update_task(ctx, task.id, parse(TaskEdit, edit(task, status="review")))
    db.refresh(task)
    assert task.completed_at is None and task.version == 3


def test_update_rejects_invalid_points(db, ctx, task):
    with pytest.raises(Invalid) as exc:
        actions.update_task(ctx, task.id, parse(TaskEdit, edit(task, story_points="101")))
    assert exc.value.errors["story_points"]
    db.refresh(task)
    assert task.story_points is None and task.version == 1


def test_update_by_viewer_is_forbidden(db, org, ctx_for, project, task):
    viewer = add_member(db, org, project, make_user(db, org, role="viewer"))
    with pytest.raises(Forbidden):
        actions.update_task(ctx_for(viewer), task.id, parse(TaskEdit, edit(task, title="Nope")))


# --- status ---------------------------------------------------------------------------

def test_status_change_bumps_version_and_writes_one_audit_entry(db, ctx, task):
    state = actions.change_task_status(ctx, task.id, parse(StatusChange, {"status": "in-progress"}))
    assert (state.status, state.version, state.label) == ("in-progress", 2, "1.1")
    db.refresh(task)
    assert (task.status, task.version) == ("in-progress", 2)
    [entry] = audit_rows(db, "task.status_changed")
    assert entry.changes == {"status": ["todo", "in-progress"]}
    assert (entry.entity_type, entry.entity_id) == ("task", task.id)


def test_entering_completed_sets_completed_at_and_leaving_clears_it(db, ctx, task):
    actions.change_task_status(ctx, task.id, parse(StatusChange, {"status": "completed"}))
    db.refresh(task)
    assert task.completed_at is not None
    actions.change_task_status(ctx, task.id, parse(StatusChange, {"status": "testing"}))
    db.refresh(task)
    assert task.completed_at is None
    assert task.version == 3
    assert [e.changes["status"] for e in audit_rows(db, "task.status_changed")] == [
        ["todo", "completed"], ["completed", "testing"]]


def test_same_status_is_not_a_change(db, ctx, task):
    actions.change_task_status(ctx, task.id, parse(StatusChange, {"status": "todo"}))
    db.refresh(task)
    assert task.version == 1 and audit_rows(db, "task.status_changed") == []


@pytest.mark.parametrize("status", ["", "done", "Completed"])
def test_invalid_status_is_rejected(db, ctx, task, status):
    with pytest.raises(Invalid):
        actions.change_task_status(ctx, task.id, parse(StatusChange, {"status": status}))
    db.refresh(task)
    assert task.status == "todo" and task.version == 1


@pytest.mark.parametrize("role", ["client", "viewer"])
def test_client_and_viewer_may_not_change_status(db, org, ctx_for, project, task, role):
    user = add_member(db, org, project, make_user(db, org, role=role))
    with pytest.raises(Forbidden):
        actions.change_task_status(ctx_for(user), task.id, parse(StatusChange, {"status": "review"}))
    db.refresh(task)
    assert task.status == "todo" and audit_rows(db, "task.status_changed") == []


def test_status_of_hidden_or_foreign_task_is_not_found(db, org, ctx_for, task):
    outsider = make_user(db, org, role="team_member")
    stranger = make_user(db, make_org(db), role="owner")
    for user in (outsider, stranger):
        with pytest.raises(NotFound):
            actions.change_task_status(ctx_for(user), task.id, parse(StatusChange, {"status": "review"}))
    db.refresh(task)
    assert task.status == "todo"


def test_team_member_changes_status_in_own_project(db, ctx_for, member, task):
    assert actions.change_task_status(ctx_for(member), task.id, parse(StatusChange, {"status": "review"})).status == "review"


# --- delete ---------------------------------------------------------------------------

def test_delete_removes_the_task_and_audits(db, ctx, project, task):
    assert actions.delete_task(ctx, task.id) == project.id
    assert count(db, Task) == 0
    [entry] = audit_rows(db, "task.deleted")
    assert entry.entity_id == task.id and entry.changes == {"title": ["Write docs", None]}


def test_team_member_may_not_delete(db, ctx_for, member, task):
    with pytest.raises(Forbidden):
        actions.delete_task(ctx_for(member), task.id)
    assert count(db, Task) == 1


def test_deleting_a_project_deletes_its_stories_and_tasks(db, ctx, org, owner, project, task):
    story_actions.create_story(ctx, project.id, parse(NewStory, {"title": "S"}))
    other = make_project(db, org, members=[owner], creator=owner)
    kept = actions.create_task(ctx, other.id, parse(NewTask, {"title": "stays"}))
    project_actions.delete_project(ctx, project.id)
    assert count(db, Task, Task.project_id == project.id) == 0
    assert count(db, Story, Story.project_id == project.id) == 0
    assert count(db, Task, Task.id == kept.id) == 1
