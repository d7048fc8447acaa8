"""Typed domain events (issue 10): what an action emitted, the audit row each made, and the
in-process signal after commit (never for work that rolled back)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kanvaro import events, uow
from kanvaro.auth import AsActor
from kanvaro.errors import Invalid
from kanvaro.inputs import parse
from kanvaro.models import AuditEntry, OrgRevision, Task
from kanvaro.tasks import actions
from kanvaro.tasks.forms import StatusChange
from tests.factories import actor_of


@pytest.fixture
def task(db, org, project):  # type: ignore[no-untyped-def]
    project.task_seq = 1
    row = Task(organization_id=org.id, project_id=project.id, number=1, title="Wire", position=1)
    db.add(row)
    db.commit()
    return row


def test_a_status_change_emits_one_typed_event_and_its_audit_row(ctx, db, task):
    actions.change_task_status(ctx, task.id, parse(StatusChange, {"status": "review"}))
    assert ctx.events == [events.TaskStatusChanged.of(task.id, task.project_id, "todo", "review")]
    [event] = ctx.events
    assert (event.before, event.after, event.action) == ("todo", "review", "task.status_changed")
    entry = db.scalar(select(AuditEntry))
    assert (entry.action, entry.entity_id, entry.changes) == (
        "task.status_changed", task.id, {"status": ["todo", "review"]})
    assert db.scalar(select(func.sum(OrgRevision.value))) == 1


def test_a_change_to_the_same_status_emits_nothing(ctx, task):
    actions.change_task_status(ctx, task.id, parse(StatusChange, {"status": "todo"}))
    assert ctx.events == []


def test_every_audit_action_has_exactly_one_event_class():
    from kanvaro import audit

    assert set(audit.ACTIONS) == set(events.EVENT_TYPES)
    assert all(cls.action == name for name, cls in events.EVENT_TYPES.items())


def test_subscribers_hear_of_committed_work_only(app, owner, task):
    heard: list[events.Event] = []
    events.subscribe(heard.append)
    try:
        runtime = app.state.kanvaro
        caller = uow.Caller(AsActor(actor_of(owner)))
        uow.run(runtime, caller, lambda ctx: actions.change_task_status(ctx, task.id, parse(StatusChange, {"status": "review"})))
        assert [type(e) for e in heard] == [events.TaskStatusChanged]
        with pytest.raises(Invalid):
            uow.run(runtime, caller, lambda ctx: actions.change_task_status(
                ctx, task.id, parse(StatusChange, {"status": "nonsense"})))
        assert len(heard) == 1
    finally:
        events.unsubscribe(heard.append)
