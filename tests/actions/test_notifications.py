"""Watchers and notifications made by the events (the handlers), and the notification actions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kanvaro import events
from kanvaro.errors import NotFound
from kanvaro.inputs import parse
from kanvaro.models import AuditEntry, Notification, ProjectMember, Task, TaskWatcher, User
from kanvaro.notifications import actions
from kanvaro.notifications.forms import MailSettings
from kanvaro.notifications.models import KINDS
from kanvaro.team.models import CustomRole
from tests.factories import make_org, make_project, make_user
from tests.sqlcount import count_sql


@pytest.fixture
def people(db, org, owner, member, project):
    """Two more members of the project, an admin outside it (sees every project), a team
    member outside it (sees nothing of it), and someone of another organization."""
    ann = make_user(db, org, role="team_member", name="Ann Member")
    bob = make_user(db, org, role="team_member", name="Bob Member")
    for u in (ann, bob):
        db.add(ProjectMember(organization_id=org.id, project_id=project.id, user_id=u.id))
    admin = make_user(db, org, role="admin", name="Ada Admin")
    outsider = make_user(db, org, role="team_member", name="Otto Outsider")
    other = make_user(db, make_org(db, "Globex"), role="owner", name="Gus Globex")
    db.commit()
    return {"owner": owner, "member": member, "ann": ann, "bob": bob, "admin": admin,
            "outsider": outsider, "other": other}


@pytest.fixture
def task(db, org, project, owner):
    project.task_seq += 1
    t = Task(organization_id=org.id, project_id=project.id, number=project.task_seq,
             title="Fix login", position=1, created_by_id=owner.id)
    db.add(t)
    db.commit()
    return t


def told(db, task_id=None) -> dict[int, list[str]]:
    """user id -> the kinds of the notifications they got (of one task, or all)."""
    db.flush()
    stmt = select(Notification.user_id, Notification.kind).order_by(Notification.id)
    if task_id is not None:
        stmt = stmt.where(Notification.task_id == task_id)
    out: dict[int, list[str]] = {}
    for uid, kind in db.execute(stmt):
        out.setdefault(uid, []).append(kind)
    return out


def watchers(db, task) -> set[int]:
    db.flush()
    return set(db.scalars(select(TaskWatcher.user_id).where(TaskWatcher.task_id == task.id)))


def created(ctx, task, assignees=(), mentioned=()):
    changes = {"title": [None, task.title]}
    if assignees:
        changes["assignees"] = [None, sorted(assignees)]
    ctx.emit(events.TaskCreated(task.id, changes, project_id=task.project_id,
                                mentioned=frozenset(mentioned)))


def comment(ctx, task, mentioned=(), comment_id=1):
    ctx.emit(events.CommentCreated(comment_id, {"body": [None, "hi"]}, project_id=task.project_id,
                                   task_id=task.id, mentioned=frozenset(mentioned)))


def status(ctx, task, before="todo", after="review"):
    ctx.emit(events.TaskStatusChanged.of(task.id, task.project_id, before, after))


# --- who is told, of what ----------------------------------------------------------------

def test_a_new_task_tells_its_assignees_and_makes_creator_and_assignees_watchers(db, ctx_for, people, task):
    p = people
    created(ctx_for(p["owner"]), task, assignees=[p["member"].id, p["ann"].id])
    assert told(db) == {p["member"].id: ["assigned"], p["ann"].id: ["assigned"]}
    assert watchers(db, task) == {p["owner"].id, p["member"].id, p["ann"].id}


def test_the_actor_is_never_told_of_their_own_change(db, ctx_for, people, task):
    p = people
    ctx = ctx_for(p["member"])
    created(ctx, task, assignees=[p["member"].id], mentioned=[p["member"].id])
    comment(ctx, task, mentioned=[p["member"].id])
    status(ctx, task)
    assert told(db) == {}
    assert watchers(db, task) == {p["member"].id}


def test_no_one_who_cannot_see_the_task_is_told_or_made_a_watcher(db, ctx_for, people, task):
    p = people
    # The outsider is named everywhere and even watches already (added before losing sight).
    db.add(TaskWatcher(task_id=task.id, user_id=p["outsider"].id, organization_id=task.organization_id))
    db.commit()
    ctx = ctx_for(p["owner"])
    created(ctx, task, assignees=[p["outsider"].id, p["other"].id], mentioned=[p["outsider"].id, p["other"].id])
    comment(ctx, task, mentioned=[p["outsider"].id, p["other"].id])
    status(ctx, task)
    assert told(db) == {}
    assert watchers(db, task) == {p["owner"].id, p["outsider"].id}


def test_someone_who_sees_every_project_is_told_without_being_a_member(db, ctx_for, people, task):
    p = people
    created(ctx_for(p["owner"]), task, mentioned=[p["admin"].id])
    assert told(db) == {p["admin"].id: ["mentioned"]}


def test_a_custom_role_with_view_all_sees_and_one_without_does_not(db, ctx_for, org, people, task):
    p = people
    seer = CustomRole(organization_id=org.id, name="Seer", permissions=["audit:read", "project:view_all"])
    clerk = CustomRole(organization_id=org.id, name="Clerk", permissions=["audit:read"])
    db.add_all([seer, clerk])
    db.flush()
    a = make_user(db, org, role="viewer", custom_role_id=seer.id)
    b = make_user(db, org, role="viewer", custom_role_id=clerk.id)
    db.commit()
    comment(ctx_for(p["owner"]), task, mentioned=[a.id, b.id])
    assert told(db) == {a.id: ["mentioned"]}


def test_a_deactivated_person_is_never_told(db, ctx_for, people, task):
    p = people
    db.get(User, p["ann"].id).is_active = False
    db.commit()
    created(ctx_for(p["owner"]), task, assignees=[p["ann"].id], mentioned=[p["ann"].id])
    assert told(db) == {}


def test_one_event_tells_each_person_once_the_kind_that_matters_most(db, ctx_for, people, task):
    p = people
    owner = ctx_for(p["owner"])
    created(owner, task, assignees=[p["member"].id], mentioned=[p["member"].id, p["ann"].id])
    assert told(db) == {p["member"].id: ["assigned"], p["ann"].id: ["mentioned"]}
    # Both watch now; a comment mentioning one of them: `mentioned` for her, `commented` for him.
    comment(ctx_for(p["bob"]), task, mentioned=[p["ann"].id])
    assert told(db) == {p["member"].id: ["assigned", "commented"], p["ann"].id: ["mentioned", "mentioned"],
                        p["owner"].id: ["commented"]}


def test_commenters_and_the_mentioned_watch_and_watchers_hear_of_comments(db, ctx_for, people, task):
    p = people
    comment(ctx_for(p["ann"]), task, mentioned=[p["bob"].id])
    assert watchers(db, task) == {p["ann"].id, p["bob"].id}
    assert told(db) == {p["bob"].id: ["mentioned"]}
    comment(ctx_for(p["bob"]), task, comment_id=2)
    assert told(db)[p["ann"].id] == ["commented"]


def test_an_edited_comment_tells_only_the_newly_mentioned(db, ctx_for, people, task):
    p = people
    db.add(TaskWatcher(task_id=task.id, user_id=p["bob"].id, organization_id=task.organization_id))
    db.commit()
    ctx = ctx_for(p["ann"])
    ctx.emit(events.CommentUpdated(1, {"body": ["a", "b"]}, project_id=task.project_id, task_id=task.id))
    assert told(db) == {}
    ctx.emit(events.CommentUpdated(1, {"body": ["b", "c"]}, project_id=task.project_id, task_id=task.id,
                                   mentioned=frozenset({p["member"].id})))
    assert told(db) == {p["member"].id: ["mentioned"]}
    assert watchers(db, task) == {p["bob"].id, p["member"].id}


def test_status_changes_tell_the_watchers_but_not_the_one_who_changed_it(db, ctx_for, people, task):
    p = people
    created(ctx_for(p["owner"]), task, assignees=[p["member"].id])
    status(ctx_for(p["member"]), task)
    assert told(db) == {p["member"].id: ["assigned"], p["owner"].id: ["status_changed"]}


def test_a_burst_of_status_changes_is_one_unread_notification_until_read(db, ctx_for, people, task):
    p = people
    created(ctx_for(p["owner"]), task, assignees=[p["member"].id])
    ctx = ctx_for(p["member"])
    for before, after in [("todo", "in-progress"), ("in-progress", "review"), ("review", "testing")]:
        status(ctx, task, before, after)
    assert told(db)[p["owner"].id] == ["status_changed"]
    # Someone else's change is news of its own; so is one after the first was read.
    status(ctx_for(p["ann"]), task, "testing", "review")
    assert told(db)[p["owner"].id] == ["status_changed", "status_changed"]
    actions.mark_all_read(ctx_for(p["owner"]))
    status(ctx, task, "review", "completed")
    assert told(db)[p["owner"].id] == ["status_changed"] * 3


def test_a_task_edit_tells_new_assignees_only_and_watchers_of_its_status(db, ctx_for, people, task):
    p = people
    created(ctx_for(p["owner"]), task, assignees=[p["member"].id])
    ctx = ctx_for(p["ann"])
    ctx.emit(events.TaskUpdated(task.id, {"assignees": [[p["member"].id], [p["member"].id, p["bob"].id]],
                                          "status": ["todo", "review"]}, project_id=task.project_id))
    assert told(db) == {p["member"].id: ["assigned", "status_changed"], p["bob"].id: ["assigned"],
                        p["owner"].id: ["status_changed"]}
    ctx.emit(events.TaskUpdated(task.id, {"title": ["Fix login", "Fix the login"]}, project_id=task.project_id))
    assert sum(len(k) for k in told(db).values()) == 4


def test_a_status_change_costs_one_statement(db, ctx_for, people, task, engine):
    p = people
    created(ctx_for(p["owner"]), task, assignees=[p["member"].id, p["ann"].id])
    db.commit()
    from kanvaro.notifications.handlers import status_changed

    ctx = ctx_for(p["bob"])
    for before, after in [("todo", "review"), ("review", "todo")]:
        with count_sql(engine) as sql:
            status_changed(ctx, events.TaskStatusChanged.of(task.id, task.project_id, before, after))
        assert sql.count == 1, str(sql)  # the watchers' notifications, inserted from a select
    assert told(db)[p["owner"].id] == ["status_changed"]
    assert told(db)[p["member"].id] == ["assigned", "status_changed"]


def test_the_status_changes_sql_rule_is_who_can_see(db, ctx_for, org, project, owner, task):
    """The one statement asks audience.sees in SQL: the same answer for every kind of person."""
    from kanvaro.audience import who_can_see

    seer = CustomRole(organization_id=org.id, name="Seer", permissions=["project:view_all"])
    near = CustomRole(organization_id=org.id, name="Near", permissions=["project:view_all_x", "audit:read"])
    db.add_all([seer, near])
    db.flush()
    people = []
    for role in ("owner", "admin", "project_manager", "team_member", "client", "viewer"):
        for custom in (None, seer.id, near.id):
            for member in (False, True):
                for active in (True, False):
                    u = make_user(db, org, role=role, custom_role_id=custom, active=active)
                    if member:
                        db.add(ProjectMember(organization_id=org.id, project_id=project.id, user_id=u.id))
                    db.add(TaskWatcher(task_id=task.id, user_id=u.id, organization_id=org.id))
                    people.append(u.id)
    db.commit()
    ctx = ctx_for(owner)
    status(ctx, task)
    assert set(told(db)) == who_can_see(ctx, project.id, people)
    assert 0 < len(told(db)) < len(people)


# --- the actions ---------------------------------------------------------------------------

def test_watch_and_unwatch_are_recorded_and_404_for_a_task_one_cannot_see(db, ctx_for, people, task):
    p = people
    ctx = ctx_for(p["ann"])
    actions.watch(ctx, task.id)
    actions.watch(ctx, task.id)
    assert watchers(db, task) == {p["ann"].id}
    actions.unwatch(ctx, task.id)
    assert watchers(db, task) == set()
    entries = list(db.scalars(select(AuditEntry).where(AuditEntry.action.like("task.%watched"))
                              .order_by(AuditEntry.id)))
    assert [(e.action, e.changes) for e in entries] == [
        ("task.watched", {"watching": [False, True]}), ("task.watched", {"watching": [True, True]}),
        ("task.unwatched", {"watching": [True, False]})]
    for who in ("outsider", "other"):
        with pytest.raises(NotFound):
            actions.watch(ctx_for(p[who]), task.id)
        with pytest.raises(NotFound):
            actions.unwatch(ctx_for(p[who]), task.id)


def test_an_unwatched_task_tells_that_person_nothing_more(db, ctx_for, people, task):
    p = people
    comment(ctx_for(p["ann"]), task)
    actions.unwatch(ctx_for(p["ann"]), task.id)
    comment(ctx_for(p["bob"]), task, comment_id=2)
    status(ctx_for(p["bob"]), task)
    assert told(db) == {}


def test_mark_read_is_for_ones_own_notification_only(db, ctx_for, people, task):
    p = people
    created(ctx_for(p["owner"]), task, assignees=[p["member"].id, p["ann"].id])
    mine = db.scalar(select(Notification.id).where(Notification.user_id == p["member"].id))
    with pytest.raises(NotFound):
        actions.mark_read(ctx_for(p["ann"]), mine)
    with pytest.raises(NotFound):
        actions.mark_read(ctx_for(p["other"]), mine)
    assert actions.mark_read(ctx_for(p["member"]), mine) == 1
    assert actions.mark_read(ctx_for(p["member"]), mine) == 0
    assert db.get(Notification, mine).read_at is not None
    reads = [e.changes for e in db.scalars(select(AuditEntry).where(AuditEntry.action == "notification.read"))]
    assert reads == [{"read": [None, 1]}, {"read": [None, 0]}]


def test_mark_all_read_reads_only_ones_own(db, ctx_for, people, task):
    p = people
    owner = ctx_for(p["owner"])
    created(owner, task, assignees=[p["member"].id, p["ann"].id], mentioned=[])
    comment(owner, task)
    assert actions.mark_all_read(ctx_for(p["member"])) == 2
    unread = set(db.scalars(select(Notification.user_id).where(Notification.read_at.is_(None))))
    assert unread == {p["ann"].id}


def test_mail_settings_keep_the_kinds_left_unchecked_as_turned_off(db, ctx_for, people):
    ctx = ctx_for(people["ann"])
    off = actions.change_mail_settings(ctx, parse(MailSettings, [("mail", "assigned"), ("mail", "mentioned"),
                                                                  ("mail", "bogus")]))
    assert off == ["commented", "status_changed", "due_soon"]
    db.expire_all()
    assert db.get(User, people["ann"].id).mail_off == off
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "user.notifications_changed"))
    assert entry.changes == {"mail_off": [[], off]}
    assert actions.change_mail_settings(ctx, parse(MailSettings, [("mail", k) for k in KINDS])) == []


def test_notifications_of_a_task_go_with_it(db, ctx_for, people, task):
    created(ctx_for(people["owner"]), task, assignees=[people["member"].id])
    db.delete(db.get(Task, task.id))
    db.commit()
    assert told(db) == {}


def test_handlers_use_the_events_project_and_task(db, ctx_for, org, people, task, owner, member):
    """A second project: a comment event names its task; nobody of the first is told."""
    other = make_project(db, org, members=[owner, member], creator=owner)
    other.task_seq += 1
    t2 = Task(organization_id=org.id, project_id=other.id, number=1, title="Elsewhere", position=1)
    db.add(t2)
    db.commit()
    comment(ctx_for(people["ann"]), task)
    comment(ctx_for(people["member"]), t2, comment_id=2)
    assert told(db) == {}
    assert watchers(db, t2) == {member.id} and watchers(db, task) == {people["ann"].id}


# --- through the actions that emit the events (tasks, comments) ----------------------------

def test_through_the_task_and_comment_actions(db, ctx_for, people, project):
    from kanvaro.comments import actions as comments
    from kanvaro.comments.forms import NewComment
    from kanvaro.tasks import actions as tasks
    from kanvaro.tasks.forms import NewTask, StatusChange, TaskEdit

    p = people
    ann, bob, outsider = (db.get(User, p[k].id) for k in ("ann", "bob", "outsider"))
    owner = ctx_for(p["owner"])
    task = tasks.create_task(owner, project.id, parse(NewTask, [
        ("title", "Ship it"), ("assignees", str(ann.id)),
        ("description", f"For @{bob.handle}, not @{outsider.handle}")]))
    assert told(db) == {ann.id: ["assigned"], bob.id: ["mentioned"]}
    assert watchers(db, task) == {p["owner"].id, ann.id, bob.id}
    comments.add_comment(ctx_for(p["ann"]), task.id, parse(NewComment, {
        "body": f"@{p['member'].handle} please look"}))
    assert told(db)[p["member"].id] == ["mentioned"]
    assert told(db)[bob.id] == ["mentioned", "commented"] and told(db)[p["owner"].id] == ["commented"]
    tasks.change_task_status(ctx_for(p["bob"]), task.id, parse(StatusChange, {"status": "review"}))
    assert told(db)[ann.id] == ["assigned", "status_changed"]
    assert "status_changed" not in told(db)[bob.id]
    db.refresh(task)
    tasks.update_task(owner, task.id, parse(TaskEdit, [
        ("title", "Ship it"), ("assignees", str(ann.id)), ("assignees", str(bob.id)),
        ("description", task.description), ("status", "review"), ("version", str(task.version))]))
    assert told(db)[bob.id][-1] == "assigned"
    assert outsider.id not in told(db)
