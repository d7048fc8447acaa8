"""Watching a task, reading notifications, choosing which of them come by mail.

None of these needs a permission: each changes only what the actor is told (SPEC §8 "for
anyone who can see it"); the task loader answers 404 for a task they may not see, the
notification loader for a notification that is not theirs. Each request is recorded, also
one that finds things as they were (as a theme choice is): it is the person's own say.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from kanvaro import events
from kanvaro.accounts.models import User
from kanvaro.context import Ctx
from kanvaro.inputs import Parsed
from kanvaro.notifications.forms import MailSettings
from kanvaro.notifications.models import KINDS, Notification, TaskWatcher
from kanvaro.notifications.queries import get_notification, watching
from kanvaro.tasks.models import Task
from kanvaro.tasks.queries import get_task

_W = TaskWatcher.__table__  # type: ignore[attr-defined]
_JOIN = {"sqlite": sqlite.insert(_W).on_conflict_do_nothing(),
         "postgresql": postgresql.insert(_W).on_conflict_do_nothing()}


def watch(ctx: Ctx, task_id: int) -> Task:
    """Start watching a task one can see."""
    task = get_task(ctx, task_id)
    before = watching(ctx, task)
    if not before:
        conn = ctx.db.connection()
        conn.execute(_JOIN[conn.dialect.name], {"task_id": task.id, "user_id": ctx.user.id,
                                                "organization_id": ctx.org_id})
    ctx.emit(events.TaskWatched(task.id, {"watching": [before, True]}, project_id=task.project_id))
    return task


def unwatch(ctx: Ctx, task_id: int) -> Task:
    """Stop watching a task one can see."""
    task = get_task(ctx, task_id)
    gone = ctx.db.execute(delete(TaskWatcher).where(
        TaskWatcher.task_id == task.id, TaskWatcher.user_id == ctx.user.id,
        TaskWatcher.organization_id == ctx.org_id)).rowcount
    ctx.emit(events.TaskUnwatched(task.id, {"watching": [bool(gone), False]},
                                  project_id=task.project_id))
    return task


def mark_read(ctx: Ctx, notification_id: int) -> int:
    """Mark one of one's notifications read; returns how many that changed (0 or 1)."""
    found = get_notification(ctx, notification_id)
    count = ctx.db.execute(update(Notification).where(
        Notification.id == found.id, Notification.read_at.is_(None))  # type: ignore[union-attr]
        .values(read_at=ctx.now)).rowcount
    ctx.emit(events.NotificationsRead(ctx.user.id, {"read": [None, count]}))
    return int(count)


def mark_all_read(ctx: Ctx) -> int:
    """Mark every unread notification of the actor read; returns how many."""
    count = ctx.db.execute(update(Notification).where(
        Notification.organization_id == ctx.org_id, Notification.user_id == ctx.user.id,
        Notification.read_at.is_(None)).values(read_at=ctx.now)).rowcount  # type: ignore[union-attr]
    ctx.emit(events.NotificationsRead(ctx.user.id, {"read": [None, count]}))
    return int(count)


def change_mail_settings(ctx: Ctx, sent: Parsed[MailSettings]) -> list[str]:
    """The kinds that come by mail: those checked; returns the kinds turned off."""
    value = sent.valid()
    before = ctx.db.scalar(select(User.mail_off).where(
        User.id == ctx.user.id, User.organization_id == ctx.org_id)) or []
    off = [k for k in KINDS if k not in value.mail]
    ctx.db.execute(update(User).where(User.id == ctx.user.id, User.organization_id == ctx.org_id)
                   .values(mail_off=off))
    ctx.emit(events.NotificationSettingsChanged(ctx.user.id, {"mail_off": [list(before), off]}))
    return off
