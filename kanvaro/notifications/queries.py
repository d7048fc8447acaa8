"""The read side of watching and notifications: the loader, the list, the settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, case, select
from sqlalchemy.orm import aliased

from kanvaro.accounts.models import User
from kanvaro.context import Ctx
from kanvaro.errors import NotFound
from kanvaro.notifications.models import KINDS, Notification, TaskWatcher
from kanvaro.projects.models import Project
from kanvaro.projects.queries import visible
from kanvaro.tasks.models import Task

PAGE_SIZE = 50
MAX_PAGE = 10_000

_WATCHING = select(TaskWatcher.user_id).where(
    TaskWatcher.task_id == bindparam("task_id"), TaskWatcher.user_id == bindparam("user_id"))


def watching(ctx: Ctx, task: Task) -> bool:
    """Whether ctx's actor watches the task (task from a scoped loader)."""
    return ctx.db.connection().execute(
        _WATCHING, {"task_id": task.id, "user_id": ctx.user.id}).first() is not None


def get_notification(ctx: Ctx, notification_id: int) -> Notification:
    """One of the actor's own notifications; NotFound for anyone else's."""
    found = ctx.db.scalar(select(Notification).where(
        Notification.id == notification_id, Notification.user_id == ctx.user.id,
        Notification.organization_id == ctx.org_id))
    if found is None:
        raise NotFound("notification")
    return found


@dataclass(frozen=True)
class Item:
    """One line of the list: who did what on which task; `task_id` None when the reader may
    no longer see the task (its title is not shown then)."""

    id: int
    kind: str
    actor: str | None
    created_at: datetime
    read: bool
    task_id: int | None
    label: str
    title: str
    due_date: date | None

    @property
    def unread(self) -> bool:
        return not self.read


@dataclass(frozen=True)
class NotificationPage:
    items: list[Item]
    page: int
    has_next: bool
    unread: int


def _page(value: str | None) -> int:
    return max(1, min(int(value), MAX_PAGE)) if value and value.isdigit() and len(value) < 7 else 1


def _rows(ctx: Ctx, *where: Any, page: int = 1) -> list[Item]:
    actor = aliased(User)
    seen = case((visible(ctx, Task.organization_id, Task.project_id), True), else_=False)
    stmt = (
        select(Notification.id, Notification.kind, actor.name, Notification.created_at,
               Notification.read_at, Task.id, Project.number, Task.number, Task.title,
               Task.due_date, seen)
        .join(Task, Task.id == Notification.task_id)
        .join(Project, Project.id == Task.project_id)
        .outerjoin(actor, actor.id == Notification.actor_id)
        .where(Notification.organization_id == ctx.org_id, Notification.user_id == ctx.user.id,
               *where)
        # Unread first, then read; newest first in each.
        .order_by(Notification.read_at.is_not(None), Notification.id.desc())  # type: ignore[union-attr]
        .limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)
    )
    return [Item(nid, kind, who, created, read is not None, tid if can else None,
                 f"{pnum}.{tnum}" if can else "", title if can else "", due if can else None)
            for nid, kind, who, created, read, tid, pnum, tnum, title, due, can
            in ctx.db.execute(stmt)]


def notification_page(ctx: Ctx, params: Any) -> NotificationPage:
    """The actor's notifications, unread first, PAGE_SIZE a page (only their own: no permission
    is needed to read what one was told)."""
    page = _page(params.get("page"))
    items = _rows(ctx, page=page)
    return NotificationPage(items[:PAGE_SIZE], page, len(items) > PAGE_SIZE, ctx.user.unread)


def item(ctx: Ctx, notification_id: int) -> Item:
    """One line of the list, as it is now (the answer to an htmx mark-read)."""
    found = _rows(ctx, Notification.id == notification_id)
    if not found:
        raise NotFound("notification")
    return found[0]


def mail_kinds(ctx: Ctx) -> list[str]:
    """The kinds the actor gets mail for (every kind but those turned off)."""
    off = ctx.db.scalar(select(User.mail_off).where(User.id == ctx.user.id)) or []
    return [k for k in KINDS if k not in off]
