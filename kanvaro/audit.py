"""The events' first destination: one audit row each, in the same transaction as the change.

`dispatch` is called by `Ctx.emit`. Besides the audit row it adds one to the organization's
revision (the shard of the entity, records.OrgRevision), which drives every page's ETag.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, insert
from sqlalchemy.dialects import postgresql, sqlite

from kanvaro.events import EVENT_TYPES, Event
from kanvaro.records import AuditEntry, OrgRevision

# Every audit action name: one event class each (kanvaro.events).
ACTIONS: tuple[str, ...] = tuple(EVENT_TYPES)
REVISION_SHARDS = 16


def _plain(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Field -> [before, after] for the fields that changed."""
    return {
        k: [_plain(before.get(k)), _plain(after.get(k))]
        for k in after
        if before.get(k) != after.get(k)
    }


def dispatch(ctx: Any, event: Event) -> None:
    """Write the event's audit entry and bump its organization's revision, in ctx's transaction."""
    org_id = event.organization_id if event.organization_id is not None else ctx.org_id
    actor_id = event.actor_id
    if actor_id is None and ctx.actor is not None:
        actor_id = ctx.actor.id
    if ctx.db.new or ctx.db.dirty or ctx.db.deleted:
        ctx.db.flush()
    # Core on the session's connection: no ORM bookkeeping on the hottest statements.
    conn = ctx.db.connection()
    conn.execute(_INSERT, {
        "organization_id": org_id,
        "actor_id": actor_id,
        "action": event.action,
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        "project_id": event.project_id,
        "task_id": event.task_id if event.task_id is not None
        else event.entity_id if event.entity_type == "task" else None,
        "changes": {k: _plain(v) for k, v in event.changes.items()},
        "request_id": ctx.request_id,
        "client_addr": ctx.client_addr,
        "created_at": ctx.now,
    })
    bump_revision(conn, org_id, event.entity_id or 0)
    for handle in _handlers(event.action):
        handle(ctx, event)


# What else follows from an event in its transaction (notifications, watchers, blob sweeps):
# each area registers with `on(action)`; its module is listed in HANDLER_MODULES.
HANDLER_MODULES = ("kanvaro.notifications.handlers", "kanvaro.attachments.handlers",
                   "kanvaro.webhooks.handlers")
_HANDLERS: dict[str, list[Any]] = {}
_loaded: list[bool] = []


def on(*actions: str) -> Any:
    """Register fn(ctx, event) for the events of these actions, run inside their transaction."""
    def register(fn: Any) -> Any:
        for action in actions:
            _HANDLERS.setdefault(action, []).append(fn)
        return fn
    return register


def _handlers(action: str) -> list[Any]:
    if not _loaded:
        import importlib

        for name in HANDLER_MODULES:
            importlib.import_module(name)
        _loaded.append(True)
    return _HANDLERS.get(action, [])


def bump_revision(conn: Any, org_id: int, key: int) -> None:
    """Add one to the organization's revision, in the shard `key` falls in."""
    conn.execute(_BUMP[conn.dialect.name], {"org_id": org_id, "shard": key % REVISION_SHARDS})


_INSERT = insert(AuditEntry.__table__)  # type: ignore[attr-defined]
_REV = OrgRevision.__table__  # type: ignore[attr-defined]


def _upsert(dialect_insert: Any) -> Any:
    stmt = dialect_insert(_REV).values(organization_id=bindparam("org_id"),
                                       shard=bindparam("shard"), value=1)
    return stmt.on_conflict_do_update(index_elements=["organization_id", "shard"],
                                      set_={"value": _REV.c.value + 1})


# Built once per dialect: an upsert, so an organization's shard rows appear as they are needed.
_BUMP = {"sqlite": _upsert(sqlite.insert), "postgresql": _upsert(postgresql.insert)}
