"""Deliveries written in the change's transaction: one row per hook that asked for the event.

Cost on the hot paths (a status change has a budget of seven statements): an organization
without hooks pays nothing. Whether it has any is read for free with the actor: the
organization's revision (records.OrgRevision, summed in the actor query of every
authenticator) carries `HOOKS_FLAG` in a shard of its own, `HOOKS_SHARD`, while the
organization has an active hook. Creating and deleting hooks set that shard in their own
transaction, so the flag is exactly as current as the revision itself, in every process.
An organization with hooks pays one statement per event: an INSERT ... SELECT of the
deliveries from its hooks. A caller whose revision is unknown (0: a background job acting as
someone) pays that statement too. docs/webhooks.md, "What an event costs".
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    DateTime,
    Integer,
    Text,
    bindparam,
    cast,
    exists,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from kanvaro.events import Event
from kanvaro.records import OrgRevision
from kanvaro.webhooks.models import Webhook, WebhookDelivery

# What a hook may ask for, as the form offers them. The sprint events have no sprints to come
# from yet: accepted and kept, they start arriving when sprints do (docs/webhooks.md).
EVENTS: dict[str, str] = {
    "task.created": "A task is created",
    "task.updated": "A task is edited",
    "task.status_changed": "A task's status changes",
    "task.deleted": "A task is deleted",
    "comment.created": "A comment is posted",
    "sprint.started": "A sprint starts",
    "sprint.completed": "A sprint is completed",
}
PENDING, SENDING, DELIVERED, FAILED = "pending", "sending", "delivered", "failed"

# The revision's shards are 0..15 (kanvaro.audit); this one only ever holds 0 or the flag.
# The rest of the revision stays far below it (a billion changes), so the flag never
# blurs with them: `revision >= HOOKS_FLAG` is "has an active hook".
HOOKS_SHARD = 16
HOOKS_FLAG = 2 ** 30

_D = WebhookDelivery.__table__  # type: ignore[attr-defined]
_H = Webhook.__table__  # type: ignore[attr-defined]
_REV = OrgRevision.__table__  # type: ignore[attr-defined]


def may_have_hooks(ctx: Any) -> bool:
    """False only when the revision read with the actor says the organization has none."""
    return ctx.revision <= 0 or ctx.revision >= HOOKS_FLAG


def _jsonable(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def document(ctx: Any, event: Event) -> str:
    """The event as a delivery says it (all but `id`, which each delivery adds)."""
    org_id = event.organization_id if event.organization_id is not None else ctx.org_id
    actor_id = event.actor_id if event.actor_id is not None else (
        ctx.actor.id if ctx.actor is not None else None)
    task_id = event.task_id if event.task_id is not None else (
        event.entity_id if event.entity_type == "task" else None)
    return json.dumps({
        "event": event.action, "created_at": ctx.now.isoformat(), "organization_id": org_id,
        "actor_id": actor_id, "project_id": event.project_id, "task_id": task_id,
        "entity": {"type": event.entity_type, "id": event.entity_id},
        "changes": dict(event.changes),
    }, default=_jsonable, ensure_ascii=False, separators=(",", ":"))


def body(delivery_uuid: str, payload: str) -> bytes:
    """The bytes one delivery posts (and signs): its id first, then the event's document."""
    return json.dumps({"id": delivery_uuid, **json.loads(payload)}, ensure_ascii=False,
                      separators=(",", ":")).encode()


def _uuid_sql(dialect: str) -> Any:
    if dialect == "postgresql":
        return cast(func.gen_random_uuid(), Text)
    # A version 4 UUID from SQLite's randomblob, one per row of the SELECT.
    def hexes(n: int) -> Any:
        return func.lower(func.hex(func.randomblob(n)))
    return (hexes(4) + "-" + hexes(2) + "-4" + func.substr(hexes(2), 2) + "-"
            + func.substr("89ab", 1 + func.abs(func.random()) % 4, 1)
            + func.substr(hexes(2), 2) + "-" + hexes(6))


@cache
def _fan_out(dialect: str) -> Any:
    """One delivery for each active hook of the organization that asked for the event."""
    now = bindparam("now", type_=DateTime(timezone=True))
    hooks = select(
        _H.c.organization_id, _H.c.id, bindparam("event"), _uuid_sql(dialect),
        bindparam("payload", type_=Text), literal(PENDING), literal(0, Integer), now, now,
        literal(""),
    ).where(_H.c.organization_id == bindparam("org_id"), _H.c.active.is_(True),
            cast(_H.c.events, Text).like(bindparam("pattern"), escape="\\"))
    return insert(_D).from_select(
        ["organization_id", "webhook_id", "event", "uuid", "payload", "status", "attempts",
         "next_attempt_at", "created_at", "last_error"], hooks)


def enqueue(ctx: Any, event: Event) -> None:
    """The deliveries of an event, in its transaction (nothing at all without hooks)."""
    if not may_have_hooks(ctx):
        return
    org_id = event.organization_id if event.organization_id is not None else ctx.org_id
    conn = ctx.db.connection()
    escaped = event.action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    conn.execute(_fan_out(conn.dialect.name), {
        "org_id": org_id, "event": event.action, "payload": document(ctx, event),
        "now": ctx.now, "pattern": f'%"{escaped}"%'})


def again(db: Any, delivery: WebhookDelivery, now: datetime) -> str:
    """A new delivery of the same payload under a new id, due now (redeliver); the new id."""
    new = str(uuid.uuid4())
    db.connection().execute(insert(_D).values(
        organization_id=delivery.organization_id, webhook_id=delivery.webhook_id,
        event=delivery.event, uuid=new, payload=delivery.payload, status=PENDING,
        attempts=0, next_attempt_at=now, created_at=now, last_error=""))
    return new


def _flag_upsert(dialect_insert: Any) -> Any:
    stmt = dialect_insert(_REV).values(organization_id=bindparam("org_id"), shard=HOOKS_SHARD,
                                       value=bindparam("value"))
    return stmt.on_conflict_do_update(index_elements=["organization_id", "shard"],
                                      set_={"value": stmt.excluded.value})


_SET_FLAG = {"sqlite": _flag_upsert(sqlite.insert), "postgresql": _flag_upsert(postgresql.insert)}


def set_flag(conn: Any, org_id: int) -> None:
    """The flag as the organization's hooks are now (create: after the insert; delete: after
    hold_flag and the delete, so two admins at once never leave it wrong)."""
    active = conn.scalar(select(exists().where(_H.c.organization_id == org_id,
                                               _H.c.active.is_(True))))
    conn.execute(_SET_FLAG[conn.dialect.name],
                 {"org_id": org_id, "value": HOOKS_FLAG if active else 0})


def hold_flag(conn: Any, org_id: int) -> None:
    """Lock the flag's row (PostgreSQL: a concurrent create waits for this transaction, and
    its own set_flag then sees this one's delete)."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(_REV.c.value).where(_REV.c.organization_id == org_id,
                                                _REV.c.shard == HOOKS_SHARD).with_for_update())
