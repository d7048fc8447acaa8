"""The read side of the audit log: the organization's entries, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from kanvaro.accounts.models import User
from kanvaro.context import Ctx
from kanvaro.permissions import require
from kanvaro.records import AuditEntry

PAGE_SIZE = 50
ENTITY_TYPES: dict[str, str] = {
    "organization": "Organization",
    "user": "User",
    "project": "Project",
    "story": "Story",
    "task": "Task",
    "invitation": "Invitation",
    "role": "Custom role",
}


def _int(value: str | None, default: int | None = None, *, low: int = 1, high: int = 2**62) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return default
    return number if low <= number <= high else default


@dataclass(frozen=True)
class AuditPage:
    entries: list[Any]
    entity_type: str
    actor_id: int | None
    page: int
    has_next: bool


def audit_page(ctx: Ctx, params: Any) -> AuditPage:
    """A page of the log, filtered by `entity_type` and `actor`, for those who may read it."""
    require(ctx.user, "audit:read")
    entity_type = (params.get("entity_type") or "").strip()[:32]
    actor_id = _int(params.get("actor"))
    page = _int(params.get("page"), 1, high=10_000) or 1
    stmt = (
        select(AuditEntry, User.name, User.email)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(AuditEntry.organization_id == ctx.org_id)
    )
    if entity_type:
        stmt = stmt.where(AuditEntry.entity_type == entity_type)
    if actor_id is not None:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    # One row more than a page tells whether there is a next page, without counting the log.
    rows = ctx.db.execute(
        stmt.order_by(AuditEntry.id.desc()).limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)  # type: ignore[union-attr]
    ).all()
    return AuditPage(list(rows[:PAGE_SIZE]), entity_type, actor_id, page, len(rows) > PAGE_SIZE)
