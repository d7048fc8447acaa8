"""The read side of the audit log: the organization's entries, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, or_, select

from kanvaro.accounts.models import User
from kanvaro.accounts.queries import org_users
from kanvaro.audit_log.parts import Found, Known, is_id, pair
from kanvaro.context import Ctx
from kanvaro.permissions import require
from kanvaro.projects.models import Project
from kanvaro.projects.queries import visible
from kanvaro.records import AuditEntry
from kanvaro.stories.models import Story
from kanvaro.tasks.models import Task
from kanvaro.team.models import CustomRole, Invitation

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
    entries: list[AuditEntry]
    entity_type: str
    actor_id: int | None
    page: int
    has_next: bool
    people: list[User]
    known: Known


def audit_page(ctx: Ctx, params: Any) -> AuditPage:
    """A page of the log, filtered by `entity_type` and `actor`, for those who may read it."""
    require(ctx.user, "audit:read")
    entity_type = (params.get("entity_type") or "").strip()[:32]
    actor_id = _int(params.get("actor"))
    page = _int(params.get("page"), 1, high=10_000) or 1
    stmt = select(AuditEntry).where(AuditEntry.organization_id == ctx.org_id)
    if entity_type:
        stmt = stmt.where(AuditEntry.entity_type == entity_type)
    if actor_id is not None:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    # One row more than a page tells whether there is a next page, without counting the log.
    rows = list(ctx.db.scalars(
        stmt.order_by(AuditEntry.id.desc()).limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)  # type: ignore[union-attr]
    ))
    entries = rows[:PAGE_SIZE]
    people = org_users(ctx, active_only=False)  # the actor filter's choices, and every name
    return AuditPage(entries, entity_type, actor_id, page, len(rows) > PAGE_SIZE, people,
                     known(ctx, entries, {u.id: u.name for u in people if u.id is not None}))


# -- what the entries name, as it is now ---------------------------------------------------
# One query per kind of entity, whatever the number of entries, each within the actor's
# organization (and, for tasks, stories and projects, marked with whether the actor may see it).

DELETIONS = {"task.deleted": "task", "project.deleted": "project", "story.deleted": "story",
             "role.deleted": "role"}


def _ids(entries: list[AuditEntry]) -> dict[str, set[int]]:
    ids: dict[str, set[int]] = {"task": set(), "project": set(), "story": set(), "role": set(),
                                "invitation": set()}
    for e in entries:
        if e.entity_type in ids and is_id(e.entity_id):
            ids[e.entity_type].add(e.entity_id)
        if is_id(e.task_id):  # a comment's or an attachment's task
            ids["task"].add(e.task_id)
        if e.entity_type == "task" and isinstance(e.changes, dict):
            ids["story"].update(s for s in pair(e.changes, "story_id") if is_id(s))
    return ids


def _seen(ctx: Ctx, org_column: Any, project_column: Any) -> Any:
    return case((visible(ctx, org_column, project_column), True), else_=False)


def _gone(ctx: Ctx, missing: dict[str, set[int]]) -> dict[tuple[str, int], str]:
    """The names deleted entities had, as their deletion entries recorded them."""
    wanted = [and_(AuditEntry.entity_type == kind, AuditEntry.entity_id.in_(ids))  # type: ignore[union-attr]
              for kind, ids in missing.items() if ids]
    if not wanted:
        return {}
    rows = ctx.db.execute(select(AuditEntry.entity_type, AuditEntry.entity_id, AuditEntry.changes).where(
        AuditEntry.organization_id == ctx.org_id, AuditEntry.action.in_(DELETIONS),  # type: ignore[attr-defined]
        or_(*wanted)))
    names: dict[tuple[str, int], str] = {}
    for kind, entity_id, changes in rows:
        recorded = changes if isinstance(changes, dict) else {}
        name = pair(recorded, "name" if kind in ("project", "role") else "title")[0]
        number = pair(recorded, "number")[0]
        if name:
            names[(kind, entity_id)] = f"{number} {name}" if number else str(name)
    return names


def known(ctx: Ctx, entries: list[AuditEntry], users: dict[int, str]) -> Known:
    """Names and existence of what the entries name, in a fixed number of queries."""
    ids = _ids(entries)
    db, org = ctx.db, ctx.org_id
    tasks: dict[int, Found] = {}
    projects: dict[int, Found] = {}
    stories: dict[int, Found] = {}
    roles: dict[int, Found] = {}
    invitations: dict[int, str] = {}
    if ids["task"]:
        tasks = {r[0]: Found(f"{r[1]}.{r[2]} {r[3]}", bool(r[4])) for r in db.execute(
            select(Task.id, Project.number, Task.number, Task.title,
                   _seen(ctx, Task.organization_id, Task.project_id))
            .join(Project, Project.id == Task.project_id)  # type: ignore[arg-type]
            .where(Task.organization_id == org, Task.id.in_(ids["task"])))}  # type: ignore[union-attr]
    if ids["project"]:
        projects = {r[0]: Found(f"{r[1]} {r[2]}", bool(r[3])) for r in db.execute(
            select(Project.id, Project.number, Project.name, _seen(ctx, Project.organization_id, Project.id))
            .where(Project.organization_id == org, Project.id.in_(ids["project"])))}  # type: ignore[union-attr]
    if ids["story"]:
        stories = {r[0]: Found(r[1], bool(r[2])) for r in db.execute(
            select(Story.id, Story.title, _seen(ctx, Story.organization_id, Story.project_id))
            .where(Story.organization_id == org, Story.id.in_(ids["story"])))}  # type: ignore[union-attr]
    if ids["role"]:
        roles = {r[0]: Found(r[1]) for r in db.execute(
            select(CustomRole.id, CustomRole.name)
            .where(CustomRole.organization_id == org, CustomRole.id.in_(ids["role"])))}  # type: ignore[union-attr]
    if ids["invitation"]:
        invitations = {r[0]: r[1] for r in db.execute(
            select(Invitation.id, Invitation.email)
            .where(Invitation.organization_id == org, Invitation.id.in_(ids["invitation"])))}  # type: ignore[union-attr]
    found = {"task": tasks, "project": projects, "story": stories, "role": roles}
    missing = {kind: ids[kind] - found[kind].keys() for kind in found}
    return Known(users=users, tasks=tasks, projects=projects, stories=stories, roles=roles,
                 invitations=invitations, gone=_gone(ctx, missing))
