"""Mail digests (SPEC §8): what is unread and not yet mailed, one message per person at most
every 10 minutes, through the outbox.

A run reads every pending notification in one statement (with who may still see its task),
claims the people whose digest is due with one conditional UPDATE (so two processes running
it at once never mail anyone twice), renders one mail each, and writes the outbox rows and
the `mailed_at` marks in one statement each: the cost grows with the mail written, not with
queries per notification. docs/notifications.md says why a digest waits a minute after the
first thing it tells.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from itertools import groupby
from typing import Any

from sqlalchemy import Engine, bindparam, or_, select, update
from sqlalchemy.orm import Session, aliased

from kanvaro import mail
from kanvaro.accounts.models import User
from kanvaro.columns import aware, utcnow
from kanvaro.db import run_in_transaction
from kanvaro.enums import TASK_STATUSES
from kanvaro.notifications.models import Notification
from kanvaro.notifications.sight import SIGHT, can_see, with_sight
from kanvaro.projects.models import Project
from kanvaro.settings import Settings
from kanvaro.tasks.models import Task

EVERY = timedelta(minutes=10)  # at most one digest per person in this time
# A digest goes once the oldest thing it tells is this old: a burst of changes (a card
# dragged across the board, a quick exchange of comments) lands in one mail, not in two.
SETTLE = timedelta(minutes=1)
BATCH = 5000  # notifications read by one run; the rest wait for the next (seconds later)

_N = Notification.__table__  # type: ignore[attr-defined]


@cache
def _pending():  # type: ignore[no-untyped-def]
    actor = aliased(User)
    stmt = (
        select(_N.c.id, _N.c.user_id, _N.c.kind, _N.c.task_id, _N.c.created_at, User.email,
               User.name, User.mail_off, User.organization_id, User.is_active, *SIGHT,
               Project.number.label("project_number"), Task.number.label("task_number"),
               Task.title, Task.status, Task.due_date, actor.name.label("actor"))
        .select_from(_N).join(User, User.id == _N.c.user_id)
        .join(Task, Task.id == _N.c.task_id).join(Project, Project.id == Task.project_id)
    )
    return (
        with_sight(stmt, Task.project_id).outerjoin(actor, actor.id == _N.c.actor_id)
        .where(_N.c.mailed_at.is_(None), _N.c.read_at.is_(None),
               or_(User.digest_sent_at.is_(None),  # type: ignore[union-attr]
                   User.digest_sent_at <= bindparam("cutoff")))  # type: ignore[operator]
        .order_by(_N.c.user_id, _N.c.id).limit(bindparam("limit"))
    )


_CLAIM = (
    update(User).where(User.id.in_(bindparam("users", expanding=True)),  # type: ignore[attr-defined]
                       or_(User.digest_sent_at.is_(None),  # type: ignore[union-attr]
                           User.digest_sent_at <= bindparam("cutoff")))  # type: ignore[operator]
    .values(digest_sent_at=bindparam("now")).returning(User.id)
)
_MAILED = (update(_N).where(_N.c.id.in_(bindparam("ids", expanding=True)))
           .values(mailed_at=bindparam("now")))


@dataclass
class TaskNews:
    """What one digest tells of one task: its lines, same kind and actor folded into one."""

    label: str
    title: str
    url: str
    status: str
    lines: list[str] = field(default_factory=list)
    _seen: dict[tuple[str, str], int] = field(default_factory=dict)
    _counts: list[int] = field(default_factory=list)

    def add(self, kind: str, actor: str | None, due: Any) -> None:
        key = (kind, actor or "")
        if key in self._seen:
            self._counts[self._seen[key]] += 1
            return
        self._seen[key] = len(self.lines)
        self._counts.append(1)
        self.lines.append(_line(kind, actor, due))

    def said(self) -> list[str]:
        return [line + (f" ({n} times)" if n > 1 else "") for line, n in zip(self.lines, self._counts)]


def _line(kind: str, actor: str | None, due: Any) -> str:
    who = actor or "Someone"
    return {
        "assigned": f"{who} assigned you",
        "mentioned": f"{who} mentioned you",
        "commented": f"{who} commented",
        "status_changed": f"{who} changed the status",
        "due_soon": f"Due {due.isoformat()}" if due else "Due soon",
    }.get(kind, f"{who} changed it")


@cache
def _url() -> Callable[..., str]:
    # The route table, read late: it imports every area's views.
    from kanvaro.routes import ROUTES
    from kanvaro.web.urls import url_builder

    return url_builder(ROUTES)


def _mail(settings: Settings, name: str, news: list[TaskNews], count: int) -> tuple[str, str, str]:
    url, base = _url(), settings.base_url
    context = {
        "person": name, "count": count,
        "tasks": [{"label": t.label, "title": t.title, "url": t.url, "status": t.status,
                   "lines": t.said()} for t in news],
        "list_url": base + url("notifications"),
        "settings_url": base + url("notification_settings"),
    }
    text, html = mail.render("digest", **context)
    things = f"{count} update{'' if count == 1 else 's'}"
    places = f"{len(news)} task{'' if len(news) == 1 else 's'}"
    return f"Kanvaro: {things} on {places}", text, html


def _digest(settings: Settings, name: str, rows: list[Any]) -> tuple[str, str, str]:
    url, base = _url(), settings.base_url
    news: dict[int, TaskNews] = {}
    for r in rows:
        if r.task_id not in news:
            news[r.task_id] = TaskNews(f"{r.project_number}.{r.task_number}", r.title,
                                       base + url("task", task_id=r.task_id),
                                       TASK_STATUSES.get(r.status, r.status))
        news[r.task_id].add(r.kind, r.actor, r.due_date)
    return _mail(settings, name, list(news.values()), len(rows))


def digests(db: Session, settings: Settings, now: datetime) -> int:
    """Write the digests that are due into the outbox, in db's transaction; how many."""
    conn = db.connection()
    cutoff = now - EVERY
    rows = conn.execute(_pending(), {"cutoff": cutoff, "limit": BATCH}).all()
    done: list[int] = []
    ready: dict[int, tuple[list[Any], list[Any]]] = {}  # user -> (all pending, what to tell)
    for uid, group in groupby(rows, key=lambda r: r.user_id):
        items = list(group)
        if min(aware(r.created_at) or now for r in items) > now - SETTLE:
            continue  # still settling: the burst may not be over
        off = set(items[0].mail_off or ())
        told = [r for r in items if r.kind not in off and can_see(r.role, r.permissions, r.member)]
        if told and items[0].is_active:
            ready[uid] = (items, told)
        else:  # nothing to mail (kinds off, tasks out of sight, deactivated): settled all the same
            done += [r.id for r in items]
    claimed = set(conn.execute(_CLAIM, {"users": sorted(ready), "cutoff": cutoff, "now": now})
                  .scalars()) if ready else set()
    mails = []
    for uid in sorted(claimed):
        items, told = ready[uid]
        subject, text, html = _digest(settings, told[0].name, told)
        mails.append({"to": told[0].email, "subject": subject, "text": text, "html": html,
                      "organization_id": told[0].organization_id})
        done += [r.id for r in items]
    if done:
        conn.execute(_MAILED, {"ids": done, "now": now})
    if mails:
        mail.enqueue_many(db, mails, now=now)
    return len(mails)


def run_digests(engine: Engine, settings: Settings, now: datetime | None = None) -> int:
    """One digest run in its own transaction (the sender loop, `kanvaro send-mail`, tests)."""
    when = now or utcnow()
    return run_in_transaction(engine, lambda db: digests(db, settings, when), write=True)
