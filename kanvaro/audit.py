"""Audit entries, written in the same transaction as the change they record."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, insert, update

from kanvaro.context import Ctx
from kanvaro.models import AuditEntry, Organization

ACTIONS: tuple[str, ...] = (
    "organization.created",
    "user.logged_in",
    "user.login_failed",
    "user.logged_out",
    "project.created",
    "project.updated",
    "project.deleted",
    "story.created",
    "story.updated",
    "story.deleted",
    "task.created",
    "task.updated",
    "task.status_changed",
    "task.deleted",
    "invitation.created",
    "invitation.revoked",
    "invitation.accepted",
    "user.role_changed",
    "user.deactivated",
    "user.password_changed",
    "user.sessions_ended",
    "role.created",
    "role.updated",
    "role.deleted",
)


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


def record(
    ctx: Ctx,
    action: str,
    entity_type: str,
    entity_id: int | None,
    changes: dict[str, Any] | None = None,
    *,
    organization_id: int | None = None,
    actor_id: int | None = None,
) -> None:
    """Write one audit entry and bump the organization's revision, in ctx's transaction."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action}")
    org_id = organization_id if organization_id is not None else ctx.org_id
    if actor_id is None and ctx.actor is not None:
        actor_id = ctx.actor.id
    if ctx.db.new or ctx.db.dirty or ctx.db.deleted:
        ctx.db.flush()
    # Core on the session's connection: no ORM bookkeeping on the hottest statements.
    conn = ctx.db.connection()
    conn.execute(
        _INSERT,
        {
            "organization_id": org_id,
            "actor_id": actor_id,
            "action": action,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "changes": {k: _plain(v) for k, v in (changes or {}).items()},
            "request_id": ctx.request_id,
            "client_addr": ctx.client_addr,
            "created_at": ctx.now,
        },
    )
    conn.execute(_BUMP, {"org_id": org_id})


_AUDIT = AuditEntry.__table__  # type: ignore[attr-defined]
_ORG = Organization.__table__  # type: ignore[attr-defined]
_INSERT = insert(_AUDIT)
_BUMP = (
    update(_ORG)
    .where(_ORG.c.id == bindparam("org_id"))
    .values(revision=_ORG.c.revision + 1)
)
