"""Several assignees (SPEC §8) and Markdown descriptions, in the task actions, without HTTP."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kanvaro.errors import Forbidden, Invalid
from kanvaro.events import TaskCreated, TaskUpdated
from kanvaro.inputs import parse
from kanvaro.models import AuditEntry, ProjectMember, Task
from kanvaro.tasks import actions
from kanvaro.tasks.forms import NewTask, TaskEdit
from tests.factories import DirectCtx, actor_of, assignee_ids, make_user, now


def audit(db, action: str) -> list[AuditEntry]:
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def edit(task: Task, **changes) -> dict:
    data = {"title": task.title, "description": task.description, "priority": task.priority,
            "status": task.status, "version": str(task.version)}
    data.update(changes)
    return data


@pytest.fixture
def mate(db, org, project):
    """A second member of the project."""
    user = make_user(db, org, role="team_member", name="Sam Second")
    db.add(ProjectMember(organization_id=org.id, project_id=project.id, user_id=user.id))
    db.flush()
    return user


def test_a_task_takes_several_assignees_and_the_audit_says_them_sorted(db, ctx, owner, member, mate, project):
    task = actions.create_task(ctx, project.id, parse(NewTask, {
        "title": "Pair on it", "assignees": [str(mate.id), str(member.id)]}))
    assert assignee_ids(db, task.id) == sorted([member.id, mate.id])
    [entry] = audit(db, "task.created")
    assert entry.changes["assignees"] == [None, sorted([member.id, mate.id])]
    [event] = [e for e in ctx.events if isinstance(e, TaskCreated)]
    assert event.changes["assignees"] == [None, sorted([member.id, mate.id])]


def test_without_assignees_the_created_entry_names_none(db, ctx, project):
    actions.create_task(ctx, project.id, parse(NewTask, {"title": "Alone"}))
    [entry] = audit(db, "task.created")
    assert "assignees" not in entry.changes


def test_the_old_single_field_is_one_more_assignee(db, ctx, member, mate, project):
    task = actions.create_task(ctx, project.id, parse(NewTask, {
        "title": "Both", "assignees": [str(mate.id)], "assignee": str(member.id)}))
    assert assignee_ids(db, task.id) == sorted([member.id, mate.id])


def test_an_edit_adds_and_removes_and_the_audit_says_before_and_after(db, ctx, owner, member, mate, project):
    task = actions.create_task(ctx, project.id, parse(NewTask, {
        "title": "Rotate", "assignees": [str(member.id), str(owner.id)]}))
    actions.update_task(ctx, task.id, parse(TaskEdit, edit(task, assignees=[str(mate.id), str(owner.id)])))
    assert assignee_ids(db, task.id) == sorted([owner.id, mate.id])
    [entry] = audit(db, "task.updated")
    assert entry.changes == {"assignees": [sorted([owner.id, member.id]), sorted([owner.id, mate.id])]}
    db.refresh(task)
    assert task.version == 2  # a change of assignees alone is a change of the task


def test_an_edit_that_keeps_the_assignees_does_not_audit_them(db, ctx, member, project):
    task = actions.create_task(ctx, project.id, parse(NewTask, {"title": "Keep", "assignees": [str(member.id)]}))
    actions.update_task(ctx, task.id, parse(TaskEdit, edit(task, title="Kept", assignees=[str(member.id)])))
    [entry] = audit(db, "task.updated")
    assert entry.changes == {"title": ["Keep", "Kept"]}


def test_clearing_every_assignee(db, ctx, member, project):
    task = actions.create_task(ctx, project.id, parse(NewTask, {"title": "Drop", "assignees": [str(member.id)]}))
    actions.update_task(ctx, task.id, parse(TaskEdit, edit(task)))
    assert assignee_ids(db, task.id) == []
    [entry] = audit(db, "task.updated")
    assert entry.changes == {"assignees": [[member.id], []]}


@pytest.mark.parametrize("field", ["assignees", "assignee"])
def test_a_non_member_is_not_a_valid_choice_and_nothing_changes(db, ctx, org, member, project, field):
    task = actions.create_task(ctx, project.id, parse(NewTask, {"title": "Mine", "assignees": [str(member.id)]}))
    outsider = make_user(db, org, role="team_member")
    sent = [str(member.id), str(outsider.id)] if field == "assignees" else [str(member.id)]
    with pytest.raises(Invalid) as exc:
        actions.update_task(ctx, task.id, parse(TaskEdit, edit(
            task, title="Changed", assignees=sent, **({"assignee": str(outsider.id)} if field == "assignee" else {}))))
    assert exc.value.errors == {"assignees": ["Not a valid choice."]}
    db.refresh(task)
    assert (task.title, task.version, assignee_ids(db, task.id)) == ("Mine", 1, [member.id])
    assert audit(db, "task.updated") == []


def test_one_who_left_the_project_stays_assigned_but_cannot_be_added_again(db, ctx, org, member, mate, project):
    task = actions.create_task(ctx, project.id, parse(NewTask, {"title": "Hand over",
                                                                "assignees": [str(member.id)]}))
    db.execute(ProjectMember.__table__.delete().where(ProjectMember.user_id == member.id))  # type: ignore[attr-defined]
    actions.update_task(ctx, task.id, parse(TaskEdit, edit(task, title="Handing over",
                                                           assignees=[str(member.id)])))
    assert assignee_ids(db, task.id) == [member.id]
    other = actions.create_task(ctx, project.id, parse(NewTask, {"title": "New"}))
    with pytest.raises(Invalid):
        actions.update_task(ctx, other.id, parse(TaskEdit, edit(other, assignees=[str(member.id)])))


def _ctx_without_assign(db, settings, user):
    """Someone who may create and edit tasks but not assign them (a custom role could)."""
    actor = actor_of(user, custom=["task:create", "task:update"])
    return DirectCtx(db=db, actor=actor, now=now(), settings=settings, request_id="test")


def test_changing_assignees_needs_task_assign(db, settings, org, member, project):
    clerk = make_user(db, org, role="client", name="Cleo Clerk")
    db.add(ProjectMember(organization_id=org.id, project_id=project.id, user_id=clerk.id))
    db.flush()
    ctx = _ctx_without_assign(db, settings, clerk)
    assert not ctx.user.can("task:assign") and ctx.user.can("task:update")
    with pytest.raises(Forbidden):
        actions.create_task(ctx, project.id, parse(NewTask, {"title": "x", "assignees": [str(member.id)]}))
    task = actions.create_task(ctx, project.id, parse(NewTask, {"title": "Unassigned"}))
    with pytest.raises(Forbidden):
        actions.update_task(ctx, task.id, parse(TaskEdit, edit(task, assignee=str(member.id))))
    assert assignee_ids(db, task.id) == []
    actions.update_task(ctx, task.id, parse(TaskEdit, edit(task, title="Renamed")))  # no change: fine
    db.refresh(task)
    assert task.title == "Renamed"


def test_the_description_is_rendered_and_its_mentions_go_with_the_event(db, ctx, owner, member, project):
    first = actions.create_task(ctx, project.id, parse(NewTask, {"title": "First"}))
    task = actions.create_task(ctx, project.id, parse(NewTask, {
        "title": "Docs", "description": "Ask **@mia.member** about #1.1"}))
    db.refresh(task)
    assert "<strong>" in task.description_html and 'class="mention"' in task.description_html
    assert f'href="/tasks/{first.id}"' in task.description_html
    created = [e for e in ctx.events if isinstance(e, TaskCreated)][-1]
    assert created.mentioned == {member.id}
    actions.update_task(ctx, task.id, parse(TaskEdit, edit(
        task, description="Ask @mia.member and @olive.owner")))
    [updated] = [e for e in ctx.events if isinstance(e, TaskUpdated)]
    assert updated.mentioned == {owner.id}  # only who the edit adds
    db.refresh(task)
    assert task.description_html.count('class="mention"') == 2
    assert "description_html" not in audit(db, "task.updated")[0].changes


def test_an_edit_of_other_fields_keeps_the_rendering_and_mentions_nobody(db, ctx, member, project):
    task = actions.create_task(ctx, project.id, parse(NewTask, {"title": "Docs", "description": "Hi @mia.member"}))
    db.refresh(task)
    html = task.description_html
    actions.update_task(ctx, task.id, parse(TaskEdit, edit(task, title="Docs 2")))
    [updated] = [e for e in ctx.events if isinstance(e, TaskUpdated)]
    assert updated.mentioned == frozenset()
    db.refresh(task)
    assert task.description_html == html


def test_project_and_story_descriptions_are_rendered_when_written(db, ctx, owner, project):
    from kanvaro.projects import actions as project_actions
    from kanvaro.projects.forms import NewProject, ProjectEdit
    from kanvaro.stories import actions as story_actions
    from kanvaro.stories.forms import NewStory, StoryEdit

    made = project_actions.create_project(ctx, parse(NewProject, {
        "name": "Docs", "description": "**Big** plans, ask @olive.owner", "priority": "medium",
        "status": "planning"}))
    db.refresh(made)
    assert "<strong>Big</strong>" in made.description_html and 'class="mention"' in made.description_html
    project_actions.update_project(ctx, made.id, parse(ProjectEdit, {
        "name": "Docs", "description": "_Smaller_ plans", "priority": "medium", "status": "planning",
        "version": str(made.version)}))
    db.refresh(made)
    assert made.description_html == "<p><em>Smaller</em> plans</p>\n"
    story = story_actions.create_story(ctx, project.id, parse(NewStory, {
        "title": "Login", "description": "- one\n- two"}))
    db.refresh(story)
    assert "<li>one</li>" in story.description_html
    story_actions.update_story(ctx, story.id, parse(StoryEdit, {
        "title": "Login", "description": "`code`", "priority": "medium", "status": "todo",
        "version": str(story.version)}))
    db.refresh(story)
    assert story.description_html == "<p><code>code</code></p>\n"
