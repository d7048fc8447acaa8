"""What the events make, in their own transaction: watchers and notifications (SPEC §8).

One event tells each person at most once, of the kind that matters most to them
(`assigned` > `mentioned` > what watchers hear: `commented` or `status_changed`); never the
actor, never someone who cannot see the task. Who watches: the creator, assignees, commenters
and the mentioned. Each event costs at most three Core statements (who, with what they may
see; the new notifications; the new watchers); `task.status_changed`, the hottest path of
the app, costs one, built once: an INSERT of the watchers' notifications from a SELECT.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import Integer, bindparam, exists, insert, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from kanvaro import audit
from kanvaro.accounts.models import User
from kanvaro.events import Event
from kanvaro.notifications.models import Notification, TaskWatcher
from kanvaro.notifications.sight import SIGHT, can_see, sees_clause, with_sight
from kanvaro.tasks.models import Task

ASSIGNED, MENTIONED, COMMENTED, STATUS_CHANGED = "assigned", "mentioned", "commented", "status_changed"
# Kinds a new event folds into an unread, unmailed notification of the same task and actor
# (which keeps its time) instead of adding one more: a card dragged through four columns is
# one line, and one mail.
FOLDED = frozenset({STATUS_CHANGED})
# Set in `ctx.memo` by a unit of work that makes many tasks at once (an import's chunk):
# its events make watchers as usual but tell nobody (docs/notifications.md).
QUIET = "notifications.quiet"

_N = Notification.__table__  # type: ignore[attr-defined]
_W = TaskWatcher.__table__  # type: ignore[attr-defined]
_INSERT = insert(_N)
_WATCH = {"sqlite": sqlite.insert(_W).on_conflict_do_nothing(),
          "postgresql": postgresql.insert(_W).on_conflict_do_nothing()}


@cache
def _people(watchers: bool):  # type: ignore[no-untyped-def]
    """The people an event may tell: those named (`ids`) and, with `watchers`, the task's
    watchers; each with what can_see needs and whether a foldable notification is waiting."""
    waiting = exists().where(_N.c.user_id == User.id, _N.c.read_at.is_(None),
                             _N.c.mailed_at.is_(None), _N.c.task_id == bindparam("task_id"),
                             _N.c.kind == bindparam("kind"), _N.c.actor_id == bindparam("actor_id"))
    chosen = User.id.in_(bindparam("ids", expanding=True))  # type: ignore[attr-defined]
    if watchers:
        chosen = chosen | User.id.in_(  # type: ignore[attr-defined]
            select(_W.c.user_id).where(_W.c.task_id == bindparam("task_id"),
                                       _W.c.organization_id == bindparam("org_id")))
    stmt = with_sight(select(User.id, *SIGHT, waiting), bindparam("project_id"))
    return stmt.where(User.organization_id == bindparam("org_id"),
                      User.is_active.is_(True),  # type: ignore[attr-defined]
                      User.id != bindparam("actor_id"), chosen)


def tell(ctx: Any, event: Event, *, task_id: int, project_id: int,
         named: Iterable[tuple[str, Iterable[int]]] = (), watchers: str | None = None,
         watch: Iterable[int] = (), actor_watches: bool = False) -> None:
    """Notify the `named` people (kind, ids: the first kind naming someone is theirs) and,
    with `watchers` a kind, the task's watchers; then make watchers of those of `watch` who
    may see the task (and of the actor, with `actor_watches`)."""
    org_id = event.organization_id if event.organization_id is not None else ctx.org_id
    actor = event.actor_id if event.actor_id is not None else (ctx.actor.id if ctx.actor else 0)
    kinds: dict[int, str] = {}
    for kind, ids in named:
        for uid in ids:
            kinds.setdefault(int(uid), kind)
    kinds.pop(actor, None)
    conn = ctx.db.connection()
    seeing: set[int] = set()
    if ctx.memo.get(QUIET):  # those to watch are the task's people already: seen by the form
        kinds, watchers, seeing = {}, None, set(watch) - {actor}
    if kinds or watchers:
        found = conn.execute(_people(watchers is not None), {
            "ids": sorted(kinds), "task_id": task_id, "project_id": project_id, "org_id": org_id,
            "actor_id": actor, "kind": watchers or ""})
        new = []
        for uid, role, custom, member, waiting in found:
            if not can_see(role, custom, member):
                continue
            seeing.add(uid)
            kind = kinds.get(uid) or watchers
            if kind == watchers and kind in FOLDED and waiting:
                continue  # one of this actor's is still waiting: it says this too
            new.append({"organization_id": org_id, "user_id": uid, "kind": kind,
                        "task_id": task_id, "actor_id": actor or None, "created_at": ctx.now,
                        "read_at": None, "mailed_at": None})
        if new:
            conn.execute(_INSERT, new)
    joining = set(watch) & seeing
    if actor_watches and actor:
        joining.add(actor)
    if joining:
        conn.execute(_WATCH[conn.dialect.name], [
            {"task_id": task_id, "user_id": uid, "organization_id": org_id} for uid in sorted(joining)])


def _ids(value: Any) -> set[int]:
    """The user ids of one side of an assignees change: a list, one id, or none."""
    if value is None:
        return set()
    if isinstance(value, (list, tuple, set, frozenset)):
        return {int(v) for v in value if v is not None}
    return {int(value)}


def _new_assignees(changes: dict[str, Any]) -> set[int]:
    """Who a task.created or task.updated assigned anew (`assignees`; the single
    `assignee_id` of the first design is read the same way)."""
    added: set[int] = set()
    for key in ("assignees", "assignee_id"):
        if key in changes:
            before, after = changes[key]
            added |= _ids(after) - _ids(before)
    return added


def _project_of(ctx: Any, task_id: int) -> int:
    return int(ctx.db.scalar(select(Task.project_id).where(Task.id == task_id)))


@audit.on("task.created", "task.updated")
def task_changed(ctx: Any, event: Event) -> None:
    assert event.entity_id is not None
    created = event.action == "task.created"
    assigned = _new_assignees(event.changes)
    status = not created and "status" in event.changes
    if not (created or assigned or event.mentioned or status):
        return
    task_id = event.entity_id
    tell(ctx, event, task_id=task_id, project_id=event.project_id or _project_of(ctx, task_id),
         named=[(ASSIGNED, assigned), (MENTIONED, event.mentioned)],
         watchers=STATUS_CHANGED if status else None,
         watch=[*assigned, *event.mentioned], actor_watches=created)


@cache
def _status_fanout():  # type: ignore[no-untyped-def]
    """`status_changed` for the task's watchers who may see it, but the actor, and but those
    with one of the actor's still waiting (unread, unmailed: folded into it)."""
    waiting = exists().where(_N.c.user_id == User.id, _N.c.read_at.is_(None),
                             _N.c.mailed_at.is_(None), _N.c.task_id == bindparam("b_task"),
                             _N.c.kind == STATUS_CHANGED, _N.c.actor_id == bindparam("b_actor"))
    who = with_sight(
        select(bindparam("b_org", type_=Integer), User.id, literal(STATUS_CHANGED),
               bindparam("b_task", type_=Integer), bindparam("b_actor_ref", type_=Integer),
               bindparam("b_now", type_=_N.c.created_at.type))
        .select_from(_W).join(User, User.id == _W.c.user_id), bindparam("b_project"))
    who = who.where(_W.c.task_id == bindparam("b_task"), _W.c.organization_id == bindparam("b_org"),
                    User.id != bindparam("b_actor"),
                    User.is_active.is_(True), sees_clause(), ~waiting)  # type: ignore[attr-defined]
    return insert(_N).from_select(
        ["organization_id", "user_id", "kind", "task_id", "actor_id", "created_at"], who)


@audit.on("task.status_changed")
def status_changed(ctx: Any, event: Event) -> None:
    assert event.entity_id is not None
    org_id = event.organization_id if event.organization_id is not None else ctx.org_id
    actor = event.actor_id if event.actor_id is not None else (ctx.actor.id if ctx.actor else None)
    ctx.db.connection().execute(_status_fanout(), {
        "b_org": org_id, "b_task": event.entity_id, "b_actor": actor or 0, "b_actor_ref": actor,
        "b_now": ctx.now,
        "b_project": event.project_id or _project_of(ctx, event.entity_id)})


@audit.on("comment.created", "comment.updated")
def commented(ctx: Any, event: Event) -> None:
    created = event.action == "comment.created"
    if event.task_id is None or not (created or event.mentioned):
        return
    tell(ctx, event, task_id=event.task_id,
         project_id=event.project_id or _project_of(ctx, event.task_id),
         named=[(MENTIONED, event.mentioned)], watchers=COMMENTED if created else None,
         watch=event.mentioned, actor_watches=created)

