"""The audit log: every entry of the organization, newest first, filtered and paginated."""

from __future__ import annotations

from sqlalchemy import select
from starlette.responses import Response

from kanvaro.loaders import org_users
from kanvaro.models import AuditEntry, User
from kanvaro.permissions import require
from kanvaro.web.base import Web, page_href, view

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


@view()
def audit_log(web: Web) -> Response:
    require(web.ctx.user, "audit:read")
    params = web.request.query_params
    entity_type = (params.get("entity_type") or "").strip()[:32]
    actor_id = _int(params.get("actor"))
    page = _int(params.get("page"), 1, high=10_000) or 1
    stmt = (
        select(AuditEntry, User.name, User.email)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(AuditEntry.organization_id == web.ctx.org_id)
    )
    if entity_type:
        stmt = stmt.where(AuditEntry.entity_type == entity_type)
    if actor_id is not None:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    # One row more than a page tells whether there is a next page, without counting the log.
    rows = web.db.execute(
        stmt.order_by(AuditEntry.id.desc()).limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)  # type: ignore[union-attr]
    ).all()
    has_next = len(rows) > PAGE_SIZE
    people = org_users(web.ctx, active_only=False)
    return web.render(
        "audit.html", block="results", entries=rows[:PAGE_SIZE], entity_type=entity_type,
        actor_id=actor_id, page=page, has_next=has_next, people=people, ENTITY_TYPES=ENTITY_TYPES,
        page_href=page_href({"entity_type": entity_type, "actor": actor_id}),
    )
