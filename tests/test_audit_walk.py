"""Every action of the app writes exactly one audit entry, of the right SPEC §2 name.

The actions are found by introspection (every public function of kanvaro/actions/*.py that
takes a `ctx`), so a new action fails here until it has a row in CASES below, or is listed
as a helper that is not an action (with the reason).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import io
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import func, select

import kanvaro
from kanvaro import audit
from kanvaro.accounts import actions as auth
from kanvaro.accounts.forms import (
    Credentials,
    HandleChoice,
    PasswordChange,
    Registration,
    ThemeChoice,
)
from kanvaro.attachments import actions as attachments
from kanvaro.attachments.forms import Upload
from kanvaro.calendar import actions as calendar
from kanvaro.calendar.models import CalendarFeedToken
from kanvaro.comments import actions as comments
from kanvaro.comments.forms import CommentEdit, NewComment
from kanvaro.errors import Invalid
from kanvaro.imports import actions as imports
from kanvaro.imports.forms import MappingChoice
from kanvaro.imports.forms import Upload as ImportUpload
from kanvaro.inputs import parse
from kanvaro.models import AuditEntry, CustomRole, Invitation, Notification, Story, Task, User
from kanvaro.notifications import actions as notifications
from kanvaro.notifications.forms import MailSettings
from kanvaro.projects import actions as projects
from kanvaro.projects.forms import NewProject, ProjectEdit
from kanvaro.stories import actions as stories
from kanvaro.stories.forms import NewStory, StoryEdit
from kanvaro.tasks import actions as tasks
from kanvaro.tasks.forms import Move, NewTask, StatusChange, TaskEdit
from kanvaro.team import actions as team
from kanvaro.team.forms import Acceptance, NewInvitation, RoleChange, RoleDefinition
from kanvaro.tokens import actions as tokens
from kanvaro.tokens.forms import NewToken
from kanvaro.webhooks import actions as webhooks
from kanvaro.webhooks.forms import NewWebhook
from tests.factories import PASSWORD, make_ctx, make_org, make_project, make_user
from tests.imports.helpers import make_import
from tests.webhooks.factories import make_webhook

# Each area's actions module, by the short name the cases below use.
AREAS = {"auth": "accounts", "projects": "projects", "stories": "stories", "tasks": "tasks",
         "team": "team", "comments": "comments", "notifications": "notifications",
         "attachments": "attachments", "tokens": "tokens", "calendar": "calendar", "webhooks": "webhooks",
         "imports": "imports"}


def action_modules() -> list[ModuleType]:
    found = [m.name for m in pkgutil.iter_modules(kanvaro.__path__)
             if m.ispkg and importlib.util.find_spec(f"kanvaro.{m.name}.actions") is not None]
    assert sorted(found) == sorted(AREAS.values()), f"areas with actions: {found}"
    return [importlib.import_module(f"kanvaro.{area}.actions") for area in AREAS.values()]


def discovered() -> dict[str, Callable[..., Any]]:
    """module.function for every public function of an action module whose first argument is ctx."""
    found = {}
    for module in action_modules():
        short = {f"kanvaro.{area}.actions": name for name, area in AREAS.items()}[module.__name__]
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or fn.__module__ != module.__name__:
                continue
            params = list(inspect.signature(fn).parameters)
            if params and params[0] == "ctx":
                found[f"{short}.{name}"] = fn
    return found


# Functions of the action modules that take a ctx but are not actions: they read, or are a
# building block of an action that records the entry itself.
NOT_ACTIONS: dict[str, str] = {
    "auth.start_session": "building block of register/login/accept_invitation, which audit",
    "auth.email_taken": "read-only check",
    "auth.throttled": "read-only check",
    "auth.record_failure": "building block of login/register/change_password: a refused attempt",
    "projects.project_form": "builds a form for the pages",
    "tasks.task_form": "builds a form for the pages",
    "projects.new_project_form": "builds a form for the pages (checks project:create)",
    "projects.edit_project_form": "builds a form for the pages (checks project:update)",
    "tasks.edit_task_form": "builds a form for the pages (checks task:update)",
    "stories.edit_story_form": "builds a form for the pages (checks story:update)",
    "auth.prepare_login": "read-only: login's password check, done ahead (writes nothing: test_threads)",
    "auth.prepare_register": "read-only: register's password hash, done ahead",
    "auth.prepare_password_change": "read-only: change_password's check and hash, done ahead",
    "team.prepare_acceptance": "read-only: accept_invitation's password hash, done ahead",
    "comments.comment_to_edit": "read-only: the edit page's loader (checks comment:create, author)",
    "attachments.may_attach": "read-only: an upload's loader and permission, before its body is read",
    "imports.may_import": "read-only: an import upload's loader and permission, before its body is read",
}


# --------------------------------------------------------------------------- the world


@dataclass
class World:
    db: Any
    settings: Any
    org: Any
    owner: User
    member: User
    viewer: User
    project: Any
    story: Story
    task: Task
    role: CustomRole

    def ctx(self, user: User | None = None):
        return make_ctx(self.db, user, self.settings)

    def invitation(self, email: str = "invitee@example.com") -> tuple[Invitation, str]:
        return team.invite(self.ctx(self.owner), parse(NewInvitation, {"email": email, "role": "team_member"}))


@pytest.fixture
def world(db, settings) -> World:
    org = make_org(db, "Walkers")
    owner = make_user(db, org, role="owner", name="Olive Owner", email="olive@walk.test")
    member = make_user(db, org, role="team_member", name="Tom Member", email="tom@walk.test")
    viewer = make_user(db, org, role="viewer", name="Vic Viewer", email="vic@walk.test")
    project = make_project(db, org, name="Walk", creator=owner, members=[member])
    story = Story(organization_id=org.id, project_id=project.id, title="A story")
    db.add(story)
    project.task_seq += 1
    task = Task(organization_id=org.id, project_id=project.id, number=project.task_seq,
                title="A task", position=1)
    db.add(task)
    role = CustomRole(organization_id=org.id, name="Auditor", permissions=["audit:read"])
    db.add(role)
    db.flush()
    db.commit()
    return World(db, settings, org, owner, member, viewer, project, story, task, role)


# --------------------------------------------------------------------------- how to call each


@dataclass
class Case:
    action: str  # the SPEC §2 name of the one entry written
    entity_type: str
    run: Callable[..., Any]  # performs the action once; returns the entity id expected
    setup: Callable[[World], Any] | None = None  # arranges what run needs (its entries don't count)


def _register(w: World) -> int:
    user = auth.register(w.ctx(), parse(Registration, {"organization_name": "Newco", "name": "Nia New",
                                   "email": "nia@newco.test", "password": "long enough pw"}))
    return user.organization_id


def _login(w: World) -> int:
    auth.login(w.ctx(), parse(Credentials, {"email": "tom@walk.test", "password": PASSWORD}))
    return w.member.id


def _login_failed(w: World) -> int:
    with pytest.raises(Invalid):
        auth.login(w.ctx(), parse(Credentials, {"email": "tom@walk.test", "password": "wrong password!"}))
    return w.member.id


def _logout(w: World) -> int:
    starter = w.ctx(w.member)
    auth.start_session(starter, w.member.id)
    auth.logout(w.ctx(w.member), starter.new_session_token)
    return w.member.id


def _project_update(w: World) -> int:
    return projects.update_project(w.ctx(w.owner), w.project.id, parse(ProjectEdit, {
        "name": "Walk further", "status": "active", "priority": "high",
        "members": [w.member.id]})).id


def _project_delete(w: World) -> int:
    projects.delete_project(w.ctx(w.owner), w.project.id)
    return w.project.id


def _story_delete(w: World) -> int:
    stories.delete_story(w.ctx(w.owner), w.story.id)
    return w.story.id


def _task_delete(w: World) -> int:
    tasks.delete_task(w.ctx(w.owner), w.task.id)
    return w.task.id


def _revoke(w: World, invitation: tuple[Invitation, str]) -> int:
    invitation, _ = invitation
    return team.revoke_invitation(w.ctx(w.owner), invitation.id).id


def _accept(w: World, invitation: tuple[Invitation, str]) -> int:
    invitation, token = invitation
    team.accept_invitation(w.ctx(), token, parse(Acceptance, {"name": "Ivy Invitee", "password": "long enough pw"}))
    return invitation.id


def _role_delete(w: World) -> int:
    team.delete_custom_role(w.ctx(w.owner), w.role.id)
    return w.role.id


def _password_change(w: World) -> int:
    auth.change_password(w.ctx(w.member), parse(PasswordChange, {"current_password": PASSWORD,
                                           "new_password": "another long password"}), None)
    return w.member.id


def _another_task(w: World) -> None:
    tasks.create_task(w.ctx(w.owner), w.project.id, parse(NewTask, {"title": "Next"}))


def _task_move(w: World, _: None) -> int:
    return tasks.move_task(w.ctx(w.member), w.task.id,
                           parse(Move, {"to": "bottom", "view": "board"})).id


def _a_comment(w: World) -> int:
    found = comments.add_comment(w.ctx(w.member), w.task.id, parse(NewComment, {"body": "First"}))
    return found.comment.id  # type: ignore[return-value]


def _a_notification(w: World) -> int:
    """An unread notification of the member's (the owner commented on a task they watch)."""
    note = Notification(organization_id=w.org.id, user_id=w.member.id, kind="commented",
                        task_id=w.task.id, actor_id=w.owner.id)
    w.db.add(note)
    w.db.flush()
    return note.id  # type: ignore[return-value]


def _attach(w: World) -> int:
    return attachments.add_attachment(w.ctx(w.member), w.task.id,
                                      Upload("plan.txt", io.BytesIO(b"the plan"), 8)).id  # type: ignore[return-value]


def _feed_id(w: World) -> int:
    """The viewer's calendar token row."""
    return w.db.scalar(select(CalendarFeedToken.id).where(CalendarFeedToken.user_id == w.viewer.id))


def _a_token(w: World) -> int:
    token, _ = tokens.create_token(w.ctx(w.viewer), parse(NewToken, {"name": "CI", "scope": "read"}))
    return token.id  # type: ignore[return-value]


def _a_webhook(w: World) -> int:
    return make_webhook(w.db, w.org, w.owner)[0].id  # type: ignore[return-value]


def _a_delivery(w: World) -> tuple[int, int]:
    hook, delivery = make_webhook(w.db, w.org, w.owner)
    return hook.id, delivery.id  # type: ignore[return-value]


def _an_import(w: World, status: str = "mapping") -> int:
    return make_import(w.db, w.org, w.project, w.member, status=status).id  # type: ignore[return-value]


CASES: dict[str, list[Case]] = {
    "imports.upload_import": [Case("import.created", "import", lambda w: imports.upload_import(
        w.ctx(w.member), w.project.id, ImportUpload("plan.csv", io.BytesIO(b"Title\nx\n"), 8)).id)],
    "imports.save_mapping": [Case("import.updated", "import", lambda w, jid: imports.save_mapping(
        w.ctx(w.member), jid, MappingChoice({"0": "ignore", "1": "title"})).id, setup=_an_import)],
    "imports.run_import": [Case("import.started", "import", lambda w, jid: imports.run_import(
        w.ctx(w.member), jid, MappingChoice({})).id, setup=_an_import)],
    "imports.finish_import": [Case("import.finished", "import", lambda w, jid: imports.finish_import(
        w.ctx(w.member), jid).id, setup=lambda w: _an_import(w, "running"))],
    "webhooks.create_webhook": [Case("webhook.created", "webhook", lambda w: webhooks.create_webhook(
        w.ctx(w.owner), parse(NewWebhook, {"url": "https://93.184.216.34/walk", "secret": "s3cret",
                                           "events": ["task.created"]})).id)],
    "webhooks.delete_webhook": [Case("webhook.deleted", "webhook", lambda w, hid: webhooks.delete_webhook(
        w.ctx(w.owner), hid).id, setup=_a_webhook)],
    "webhooks.redeliver": [Case("webhook.redelivered", "webhook", lambda w, ids: (
        webhooks.redeliver(w.ctx(w.owner), *ids), ids[0])[1], setup=_a_delivery)],
    "calendar.make_token": [Case("calendar.token_created", "calendar_token", lambda w: (
        calendar.make_token(w.ctx(w.viewer)), _feed_id(w))[1])],
    "calendar.revoke_token": [Case("calendar.token_revoked", "calendar_token", lambda w, fid: (
        calendar.revoke_token(w.ctx(w.viewer)), fid)[1],
        setup=lambda w: (calendar.make_token(w.ctx(w.viewer)), _feed_id(w))[1])],
    "tokens.create_token": [Case("token.created", "api_token", _a_token)],
    "tokens.revoke_token": [Case("token.revoked", "api_token", lambda w, tid: tokens.revoke_token(
        w.ctx(w.viewer), tid)[0].id, setup=_a_token)],
    "attachments.add_attachment": [Case("attachment.added", "attachment", _attach)],
    "attachments.delete_attachment": [Case("attachment.deleted", "attachment", lambda w, aid: (
        attachments.delete_attachment(w.ctx(w.owner), aid).id), setup=_attach)],
    "notifications.watch": [Case("task.watched", "task", lambda w: notifications.watch(
        w.ctx(w.member), w.task.id).id)],
    "notifications.unwatch": [Case("task.unwatched", "task", lambda w: notifications.unwatch(
        w.ctx(w.member), w.task.id).id)],
    "notifications.mark_read": [Case("notification.read", "user", lambda w, nid: (
        notifications.mark_read(w.ctx(w.member), nid), w.member.id)[1], setup=_a_notification)],
    "notifications.mark_all_read": [Case("notification.read", "user", lambda w, _: (
        notifications.mark_all_read(w.ctx(w.member)), w.member.id)[1], setup=_a_notification)],
    "notifications.change_mail_settings": [Case("user.notifications_changed", "user", lambda w: (
        notifications.change_mail_settings(w.ctx(w.member), parse(MailSettings, {"mail": "assigned"})),
        w.member.id)[1])],
    "comments.add_comment": [Case("comment.created", "comment", lambda w: comments.add_comment(
        w.ctx(w.member), w.task.id, parse(NewComment, {"body": "Looks good"})).comment.id)],
    "comments.edit_comment": [Case("comment.updated", "comment", lambda w, cid: comments.edit_comment(
        w.ctx(w.member), cid, parse(CommentEdit, {"body": "Looks better", "version": "1"})).comment.id,
        setup=_a_comment)],
    "comments.delete_comment": [Case("comment.deleted", "comment", lambda w, cid: comments.delete_comment(
        w.ctx(w.owner), cid).comment.id, setup=_a_comment)],
    "auth.register": [Case("organization.created", "organization", _register)],
    "auth.login": [
        Case("user.logged_in", "user", _login),
        Case("user.login_failed", "user", _login_failed),
    ],
    "auth.logout": [Case("user.logged_out", "user", _logout)],
    "auth.change_password": [Case("user.password_changed", "user", _password_change)],
    "auth.change_handle": [Case("user.handle_changed", "user", lambda w: (
        auth.change_handle(w.ctx(w.member), parse(HandleChoice, {"handle": "tom"})), w.member.id)[1])],
    "auth.change_theme": [Case("user.theme_changed", "user", lambda w: (
        auth.change_theme(w.ctx(w.member), parse(ThemeChoice, {"theme": "dark"})), w.member.id)[1])],
    "auth.end_other_sessions": [Case("user.sessions_ended", "user", lambda w: (
        auth.end_other_sessions(w.ctx(w.member), None), w.member.id)[1])],
    "projects.create_project": [Case("project.created", "project", lambda w: projects.create_project(
        w.ctx(w.owner), parse(NewProject, {"name": "Fresh", "status": "planning", "priority": "low"})).id)],
    "projects.update_project": [Case("project.updated", "project", _project_update)],
    "projects.delete_project": [Case("project.deleted", "project", _project_delete)],
    "stories.create_story": [Case("story.created", "story", lambda w: stories.create_story(
        w.ctx(w.member), w.project.id, parse(NewStory, {"title": "New story", "priority": "high"})).id)],
    "stories.update_story": [Case("story.updated", "story", lambda w: stories.update_story(
        w.ctx(w.member), w.story.id, parse(StoryEdit, {"title": "Renamed", "priority": "low", "status": "todo"})).id)],
    "stories.delete_story": [Case("story.deleted", "story", _story_delete)],
    "tasks.create_task": [Case("task.created", "task", lambda w: tasks.create_task(
        w.ctx(w.member), w.project.id, parse(NewTask, {"title": "New task", "assignee": str(w.member.id)})).id)],
    "tasks.update_task": [Case("task.updated", "task", lambda w: tasks.update_task(
        w.ctx(w.member), w.task.id, parse(TaskEdit, {"title": "Renamed task", "priority": "critical",
                                     "status": "review"})).id)],
    "tasks.change_task_status": [Case("task.status_changed", "task", lambda w: tasks.change_task_status(
        w.ctx(w.member), w.task.id, parse(StatusChange, {"status": "in-progress"})).id)],
    "tasks.move_task": [Case("task.moved", "task", _task_move, setup=_another_task)],
    "tasks.delete_task": [Case("task.deleted", "task", _task_delete)],
    "team.invite": [Case("invitation.created", "invitation", lambda w: w.invitation()[0].id)],
    "team.revoke_invitation": [Case("invitation.revoked", "invitation", _revoke, setup=World.invitation)],
    "team.accept_invitation": [Case("invitation.accepted", "invitation", _accept, setup=World.invitation)],
    "team.change_role": [Case("user.role_changed", "user", lambda w: team.change_role(
        w.ctx(w.owner), w.viewer.id, parse(RoleChange, {"role": "client", "custom_role": str(w.role.id)})).id)],
    "team.deactivate": [Case("user.deactivated", "user", lambda w: team.deactivate(
        w.ctx(w.owner), w.viewer.id).id)],
    "team.create_custom_role": [Case("role.created", "role", lambda w: team.create_custom_role(
        w.ctx(w.owner), parse(RoleDefinition, {"name": "Planner", "permissions": ["project:create"]})).id)],
    "team.update_custom_role": [Case("role.updated", "role", lambda w: team.update_custom_role(
        w.ctx(w.owner), w.role.id, parse(RoleDefinition, {"name": "Auditors", "permissions": ["audit:read"]})).id)],
    "team.delete_custom_role": [Case("role.deleted", "role", _role_delete)],
}

ALL_CASES = [pytest.param(name, i, id=f"{name}:{case.action}")
             for name, cases in CASES.items() for i, case in enumerate(cases)]


def test_every_action_has_a_case_and_every_helper_is_named():
    found = set(discovered())
    missing = sorted(found - set(CASES) - set(NOT_ACTIONS))
    assert not missing, f"actions without a row in CASES (say how to call them): {missing}"
    stale = sorted((set(CASES) | set(NOT_ACTIONS)) - found)
    assert not stale, f"CASES/NOT_ACTIONS name functions that no longer exist: {stale}"
    assert not set(CASES) & set(NOT_ACTIONS)


def test_the_cases_cover_every_audit_action_name_of_the_spec():
    written = {case.action for cases in CASES.values() for case in cases}
    assert written == set(audit.ACTIONS)


def _entries(db, after_id: int) -> list[AuditEntry]:
    db.flush()
    return list(db.scalars(select(AuditEntry).where(AuditEntry.id > after_id).order_by(AuditEntry.id)))


@pytest.mark.parametrize("name, index", ALL_CASES)
def test_each_action_writes_exactly_one_audit_entry_of_its_name(world, db, name, index):
    case = CASES[name][index]
    args = () if case.setup is None else (case.setup(world),)
    db.flush()
    last = db.scalar(select(func.max(AuditEntry.id))) or 0
    entity_id = case.run(world, *args)
    entries = _entries(db, last)
    assert [e.action for e in entries] == [case.action], (
        f"{name} wrote {[e.action for e in entries]}, expected exactly [{case.action!r}]")
    [entry] = entries
    assert entry.entity_type == case.entity_type
    assert entry.entity_id == entity_id
    assert entry.request_id == "test" and entry.client_addr == "127.0.0.1"
    assert entry.actor_id is not None
    if name != "auth.register":
        assert entry.organization_id == world.org.id
