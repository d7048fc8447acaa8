"""Deliveries are written with the change that causes them, and cost nothing without hooks."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from kanvaro.inputs import parse
from kanvaro.models import OrgRevision
from kanvaro.tasks import actions as tasks
from kanvaro.tasks.forms import NewTask, StatusChange
from kanvaro.webhooks import actions
from kanvaro.webhooks.outbox import HOOKS_FLAG, HOOKS_SHARD
from tests.factories import make_ctx, make_org, make_user
from tests.sqlcount import count_sql
from tests.webhooks.conftest import deliveries

HX = {"HX-Request": "true"}


def revision(db, org) -> int:
    db.commit()
    return int(db.scalar(select(func.coalesce(func.sum(OrgRevision.value), 0))
                         .where(OrgRevision.organization_id == org.id)))


def test_a_status_change_makes_one_delivery_per_subscribed_hook(as_owner, db, task, make_hook):
    hook = make_hook("https://93.184.216.34/a", ["task.status_changed"])
    make_hook("https://93.184.216.34/b", ["task.created"])  # not asked for this event
    r = as_owner.post(f"/tasks/{task.id}/status", {"status": "review"}, htmx=True)
    assert r.status_code == 200
    [d] = deliveries(db)
    assert (d.webhook_id, d.event, d.status, d.attempts) == (hook.id, "task.status_changed", "pending", 0)
    assert len(d.uuid) == 36 and d.uuid.count("-") == 4
    doc = json.loads(d.payload)
    assert doc["event"] == "task.status_changed"
    assert doc["changes"] == {"status": ["todo", "review"]}
    assert doc["entity"] == {"type": "task", "id": task.id}
    assert (doc["task_id"], doc["project_id"], doc["organization_id"]) == (task.id, task.project_id, task.organization_id)
    assert doc["actor_id"] is not None and "T" in doc["created_at"]


def test_every_hook_gets_its_own_delivery_id(as_owner, db, task, make_hook):
    make_hook("https://93.184.216.34/a")
    make_hook("https://93.184.216.34/b")
    as_owner.post(f"/tasks/{task.id}/status", {"status": "review"}, htmx=True)
    first, second = deliveries(db)
    assert first.uuid != second.uuid and first.payload == second.payload


def test_a_refused_status_change_makes_no_delivery(browser, db, org, task, make_hook):
    make_hook("https://93.184.216.34/a")
    viewer = make_user(db, org, role="viewer")
    db.commit()
    r = browser.login_as(viewer).post(f"/tasks/{task.id}/status", {"status": "review"}, htmx=True)
    assert r.status_code in (403, 404)
    r = browser.login_as(viewer).post(f"/tasks/{task.id}/status", {"status": "nonsense"}, htmx=True)
    assert r.status_code in (403, 404, 422)
    assert deliveries(db) == []


def test_an_invalid_status_makes_no_delivery(as_owner, db, task, make_hook):
    make_hook("https://93.184.216.34/a")
    r = as_owner.post(f"/tasks/{task.id}/status", {"status": "nonsense"}, htmx=True)
    assert r.status_code == 422
    assert deliveries(db) == []


def test_an_inactive_hook_gets_nothing(as_owner, db, task, make_hook):
    hook = make_hook("https://93.184.216.34/a")
    hook.active = False
    db.add(hook)
    db.commit()
    as_owner.post(f"/tasks/{task.id}/status", {"status": "review"}, htmx=True)
    assert deliveries(db) == []


def test_task_and_comment_events_are_delivered(db, settings, owner, project, make_hook):
    make_hook("https://93.184.216.34/a", ["task.created", "task.updated", "task.deleted",
                                          "comment.created"])
    from kanvaro.comments import actions as comments
    from kanvaro.comments.forms import NewComment
    from kanvaro.tasks.forms import TaskEdit

    ctx = make_ctx(db, owner, settings)
    task = tasks.create_task(ctx, project.id, parse(NewTask, {"title": "Ship", "priority": "high"}))
    tasks.update_task(ctx, task.id, parse(TaskEdit, {"title": "Ship it", "priority": "high"}))
    tasks.change_task_status(ctx, task.id, parse(StatusChange, {"status": "review"}))
    comments.add_comment(ctx, task.id, parse(NewComment, {"body": "Done"}))
    tasks.delete_task(ctx, task.id)
    db.commit()
    got = [(d.event, json.loads(d.payload)["task_id"]) for d in deliveries(db)]
    assert got == [("task.created", task.id), ("task.updated", task.id),
                   ("comment.created", task.id), ("task.deleted", task.id)]


def test_another_organizations_hooks_get_nothing(as_owner, db, task, settings):
    other = make_org(db, "Globex")
    boss = make_user(db, other, role="owner")
    db.commit()
    from kanvaro.webhooks.forms import NewWebhook

    actions.create_webhook(make_ctx(db, boss, settings), parse(NewWebhook, {
        "url": "https://93.184.216.34/x", "events": ["task.status_changed"], "secret": "x"}))
    db.commit()
    as_owner.post(f"/tasks/{task.id}/status", {"status": "review"}, htmx=True)
    assert deliveries(db) == []


# -- what it costs --------------------------------------------------------------------------

def test_without_hooks_a_status_change_costs_no_statement_more(as_owner, engine, task):
    # A real organization's revision is never 0 (registering it is a change); only a caller
    # that reads no revision (0) pays the one statement, as it cannot know.
    as_owner.post(f"/tasks/{task.id}/status", {"status": "review"}, htmx=True)
    with count_sql(engine) as sql:
        r = as_owner.post(f"/tasks/{task.id}/status", {"status": "in-progress"}, htmx=True)
    assert r.status_code == 200
    assert not any("webhook" in s for s in sql.statements), str(sql)
    assert sql.count == 7, str(sql)


def test_with_a_hook_a_status_change_costs_one_statement_more(as_owner, engine, task, make_hook):
    make_hook("https://93.184.216.34/a")
    as_owner.post(f"/tasks/{task.id}/status", {"status": "review"}, htmx=True)
    with count_sql(engine) as sql:
        r = as_owner.post(f"/tasks/{task.id}/status", {"status": "in-progress"}, htmx=True)
    assert r.status_code == 200
    assert [s[:30] for s in sql.statements if "webhook" in s] == ["INSERT INTO webhook_delivery ("]
    assert sql.count == 8, str(sql)


def test_the_revision_carries_the_flag_while_a_hook_is_active(db, org, settings, owner, make_hook):
    before = revision(db, org)
    assert before < HOOKS_FLAG
    first = make_hook("https://93.184.216.34/a")
    second = make_hook("https://93.184.216.34/b")
    assert revision(db, org) >= HOOKS_FLAG
    actions.delete_webhook(make_ctx(db, owner, settings), first.id)
    db.commit()
    assert revision(db, org) >= HOOKS_FLAG  # one is left
    actions.delete_webhook(make_ctx(db, owner, settings), second.id)
    db.commit()
    after = revision(db, org)
    assert before < after < HOOKS_FLAG  # the flag gone, and the revision never seen before
    assert db.scalar(select(OrgRevision.value).where(
        OrgRevision.organization_id == org.id, OrgRevision.shard == HOOKS_SHARD)) == 0


def test_a_caller_that_reads_no_revision_still_writes_the_deliveries(db, settings, owner, task, make_hook):
    make_hook("https://93.184.216.34/a")
    ctx = make_ctx(db, owner, settings)  # revision 0, like a background job acting as someone
    assert ctx.revision == 0
    tasks.change_task_status(ctx, task.id, parse(StatusChange, {"status": "review"}))
    assert len(deliveries(db)) == 1


def test_after_the_last_hook_goes_nothing_more_is_written(as_owner, db, task, settings, owner, make_hook):
    hook = make_hook("https://93.184.216.34/a")
    actions.delete_webhook(make_ctx(db, owner, settings), hook.id)
    db.commit()
    as_owner.post(f"/tasks/{task.id}/status", {"status": "review"}, htmx=True)
    assert deliveries(db) == []
