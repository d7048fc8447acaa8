"""Each action takes one typed input (kanvaro.inputs), whoever the caller: a JSON-shaped body
reaches the same rules as the form, errors come back by field, and the order of refusals is
404, 403, 422, 409 (SPEC §4), so an input's own errors never tell a stranger anything."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from kanvaro.errors import Conflict, Forbidden, Invalid, NotFound
from kanvaro.inputs import parse
from kanvaro.models import ProjectMember, Task
from kanvaro.projects import actions as project_actions
from kanvaro.projects.forms import NewProject
from kanvaro.tasks import actions
from kanvaro.tasks.forms import NewTask, StatusChange, TaskEdit
from tests.factories import assignee_ids, make_org, make_user


def tasks(db) -> int:
    return db.scalar(select(func.count()).select_from(Task)) or 0


def test_a_json_body_becomes_a_typed_value(ctx, project, member):
    sent = parse(NewTask, {"title": "  Ship it ", "assignee": member.id, "story_points": 5,
                           "due_date": date(2026, 12, 24), "priority": "high"})
    value = sent.valid()
    assert value == NewTask(title="Ship it", description="", story=None, assignees=[],
                            assignee=member.id, priority="high", story_points=5,
                            due_date=date(2026, 12, 24), status="todo")
    task = actions.create_task(ctx, project.id, sent)
    assert (assignee_ids(ctx.db, task.id), task.story_points, task.due_date) == (
        [member.id], 5, date(2026, 12, 24))


def test_errors_are_a_dict_of_messages_by_public_field_name(ctx, project, db):
    sent = parse(NewTask, {"title": "", "story_points": "lots", "story": 999999})
    with pytest.raises(Invalid) as caught:
        actions.create_task(ctx, project.id, sent)
    errors = caught.value.errors
    assert set(errors) == {"title", "story_points", "story"}
    assert all(isinstance(m, str) for messages in errors.values() for m in messages)
    assert errors["story"] == ["Not a valid choice."]  # the action's own check, with the input's
    assert tasks(db) == 0


def test_false_is_no_value_not_the_text_false(ctx):
    sent = parse(NewProject, {"name": "Plain", "description": False, "members": []})
    assert sent.valid().description == ""
    assert project_actions.create_project(ctx, sent).description == ""


def test_a_version_that_is_not_a_number_is_refused_by_the_rules(ctx, project):
    task = actions.create_task(ctx, project.id, parse(NewTask, {"title": "x"}))
    with pytest.raises(Invalid) as caught:
        actions.change_task_status(ctx, task.id, parse(StatusChange, {"status": "review",
                                                                      "version": "one"}))
    assert list(caught.value.errors) == ["version"]


def test_the_version_is_checked_as_a_number_in_one_place(ctx, project, db):
    task = actions.create_task(ctx, project.id, parse(NewTask, {"title": "x"}))
    with pytest.raises(Conflict):
        actions.change_task_status(ctx, task.id, parse(StatusChange, {"status": "review",
                                                                      "version": 2}))
    state = actions.change_task_status(ctx, task.id, parse(StatusChange, {"status": "review",
                                                                          "version": " 1 "}))
    assert state.status == "review" and state.version == 2


def test_a_stranger_with_bad_input_gets_404_not_the_errors(db, ctx, project, ctx_for):
    task = actions.create_task(ctx, project.id, parse(NewTask, {"title": "x"}))
    stranger = make_user(db, make_org(db), role="owner")
    bad = parse(TaskEdit, {"title": "", "status": "nonsense", "version": "x"})
    with pytest.raises(NotFound):
        actions.update_task(ctx_for(stranger), task.id, bad)
    with pytest.raises(NotFound):
        actions.create_task(ctx_for(stranger), project.id, parse(NewTask, {"title": ""}))


def test_a_viewer_with_bad_input_gets_403_not_the_errors(db, org, ctx, project, ctx_for):
    task = actions.create_task(ctx, project.id, parse(NewTask, {"title": "x"}))
    viewer = make_user(db, org, role="viewer")
    db.add(ProjectMember(organization_id=org.id, project_id=project.id, user_id=viewer.id))
    db.flush()
    with pytest.raises(Forbidden):
        actions.create_task(ctx_for(viewer), project.id, parse(NewTask, {"title": ""}))
    with pytest.raises(Forbidden):
        actions.change_task_status(ctx_for(viewer), task.id, parse(StatusChange, {"status": "?"}))


def test_invalid_input_is_refused_before_a_stale_version(ctx, project):
    task = actions.create_task(ctx, project.id, parse(NewTask, {"title": "x"}))
    with pytest.raises(Invalid):
        actions.update_task(ctx, task.id, parse(TaskEdit, {"title": "", "status": "todo",
                                                           "version": 7}))
