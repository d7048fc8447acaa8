"""`due_soon` (SPEC §8): once per task and due date, a day before it, for its assignees.

Made by the sender loop, not by a request. `task.due_soon_for` records the due date it was
made for, claimed with a conditional UPDATE so that two processes never make it twice; a new
due date makes a new one. Dates are UTC days, as every date the app shows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Engine, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from kanvaro.accounts.models import User
from kanvaro.columns import utcnow
from kanvaro.db import run_in_transaction
from kanvaro.notifications.models import Notification
from kanvaro.notifications.sight import SIGHT, can_see, with_sight
from kanvaro.tasks.models import Task, TaskAssignee

DUE_SOON = "due_soon"
AHEAD = timedelta(days=1)  # made when the due date is this close (today or tomorrow)


def _not_yet():  # type: ignore[no-untyped-def]
    return or_(Task.due_soon_for.is_(None), Task.due_soon_for != Task.due_date)  # type: ignore[union-attr]


@cache
def _due():  # type: ignore[no-untyped-def]
    stmt = (select(Task.id, Task.organization_id, TaskAssignee.user_id, *SIGHT)
            .join(TaskAssignee, TaskAssignee.task_id == Task.id)
            .join(User, User.id == TaskAssignee.user_id))
    return with_sight(stmt, Task.project_id).where(
        Task.due_date >= bindparam("today"), Task.due_date <= bindparam("until"),
        Task.status != "completed", _not_yet(),
        User.is_active.is_(True))  # type: ignore[attr-defined]


_CLAIM = (update(Task).where(Task.id.in_(bindparam("ids", expanding=True)), _not_yet())  # type: ignore[union-attr]
          .values(due_soon_for=Task.due_date).returning(Task.id))


def due_soon(db: Session, now: datetime) -> int:
    """Make the due_soon notifications that are due, in db's transaction; how many."""
    conn = db.connection()
    today = now.date()
    rows = conn.execute(_due(), {"today": today, "until": today + AHEAD}).all()
    if not rows:
        return 0
    claimed = set(conn.execute(_CLAIM, {"ids": sorted({r.id for r in rows})}).scalars())
    made = [{"organization_id": r.organization_id, "user_id": r.user_id, "kind": DUE_SOON,
             "task_id": r.id, "actor_id": None, "created_at": now, "read_at": None,
             "mailed_at": None}
            for r in rows if r.id in claimed and can_see(r.role, r.permissions, r.member)]
    if made:
        conn.execute(insert(Notification.__table__), made)  # type: ignore[attr-defined]
    return len(made)


def run_due_soon(engine: Engine, now: datetime | None = None) -> int:
    """One due_soon run in its own transaction (the sender loop, `kanvaro send-mail`, tests)."""
    when = now or utcnow()
    return run_in_transaction(engine, lambda db: due_soon(db, when), write=True)
