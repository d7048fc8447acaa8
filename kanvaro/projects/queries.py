"""The read side of projects: who sees which project, the project loader, the list."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import bindparam, case, exists, func, select

from kanvaro.accounts.models import User
from kanvaro.context import Ctx
from kanvaro.enums import PROJECT_STATUSES
from kanvaro.errors import NotFound
from kanvaro.permissions import require
from kanvaro.projects.models import Project, ProjectMember

PAGE_SIZE = 50
# Plain rows, not ORM objects: the list shows these columns only.
LIST_COLUMNS = (Project.id, Project.number, Project.name, Project.status, Project.priority,
                Project.start_date, Project.end_date)


def visibility_rule(org_column: Any, project_column: Any, *, view_all: bool, org_id: Any,
                    user_id: Any):  # type: ignore[no-untyped-def]
    """SQL condition: rows of organization `org_id`, in projects `user_id` may see.

    The one visibility rule (SPEC §3). `org_id` and `user_id` are values, or bind parameters
    for the statements the hot paths build once."""
    cond = org_column == org_id
    if view_all:
        return cond
    return cond & exists().where(ProjectMember.project_id == project_column,
                                 ProjectMember.user_id == user_id)


def visible(ctx: Ctx, org_column: Any, project_column: Any):  # type: ignore[no-untyped-def]
    """The visibility rule for ctx's actor."""
    actor = ctx.user
    return visibility_rule(org_column, project_column, view_all=actor.can("project:view_all"),
                           org_id=actor.organization_id, user_id=actor.id)


def visible_projects_clause(ctx: Ctx):  # type: ignore[no-untyped-def]
    return visible(ctx, Project.organization_id, Project.id)


@cache
def _project_statement(view_all: bool, for_update: bool):  # type: ignore[no-untyped-def]
    """get_project's statement, built once per kind: every project page asks it."""
    stmt = select(Project).where(
        Project.id == bindparam("project_id"),
        visibility_rule(Project.organization_id, Project.id, view_all=view_all,
                        org_id=bindparam("org_id"), user_id=bindparam("user_id")))
    return stmt.with_for_update(of=Project) if for_update else stmt


def get_project(ctx: Ctx, project_id: int, *, for_update: bool = False) -> Project:
    """The project, if the actor may see it; NotFound otherwise (a foreign id included).

    `for_update` locks the row (PostgreSQL) so a version check and its write are atomic."""
    actor = ctx.user
    project = ctx.db.scalar(_project_statement(actor.can("project:view_all"), for_update),
                            {"project_id": project_id, "org_id": actor.organization_id,
                             "user_id": actor.id})
    if project is None:
        raise NotFound("project")
    return project


@dataclass(frozen=True)
class Deletion:
    """What deleting a project takes with it: the confirmation page says so."""

    project: Project
    tasks: int
    stories: int


def deletion(ctx: Ctx, project_id: int) -> Deletion:
    """The project and what goes with it, for those who may delete it."""
    from kanvaro.stories.models import Story  # late: stories build on projects
    from kanvaro.tasks.models import Task

    project = get_project(ctx, project_id)
    require(ctx.user, "project:delete")
    count = func.count()
    tasks = ctx.db.scalar(select(count).select_from(Task).where(Task.project_id == project.id)) or 0
    stories = ctx.db.scalar(select(count).select_from(Story).where(Story.project_id == project.id)) or 0
    return Deletion(project, tasks, stories)


def project_member_ids(ctx: Ctx, project_id: int) -> list[int]:
    return list(ctx.db.scalars(select(ProjectMember.user_id).where(
        ProjectMember.project_id == project_id, ProjectMember.organization_id == ctx.org_id)))


def project_members(ctx: Ctx, project_id: int) -> list[User]:
    return list(ctx.db.scalars(
        select(User).join(ProjectMember, ProjectMember.user_id == User.id)
        .where(ProjectMember.project_id == project_id, User.organization_id == ctx.org_id)
        .order_by(User.name)
    ))


def project_people(ctx: Ctx, project_id: int) -> list[tuple[int, str]]:
    """(id, name) of the project's active members: who a task can be assigned to."""
    rows = ctx.db.execute(
        select(User.id, User.name)
        .join(ProjectMember, ProjectMember.user_id == User.id)
        .where(ProjectMember.project_id == project_id, User.organization_id == ctx.org_id,
               User.is_active.is_(True))  # type: ignore[attr-defined]
        .order_by(User.name, User.id)
    )
    return [(r[0], r[1]) for r in rows]


@dataclass(frozen=True)
class ProjectList:
    rows: list[Any]
    status: str
    q: str
    page: int
    pages: int
    total: int
    progress: dict[int, tuple[int, int]]  # project id: (completed tasks, all tasks)
    members: dict[int, tuple[tuple[int, str], ...]]  # project id: ((user id, name), ...), by name


def _page_number(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 10_000))
    except ValueError:
        return 1


def project_list(ctx: Ctx, params: Any) -> ProjectList:
    """The projects the actor sees, filtered by `status` and `q`, 50 a page, newest first."""
    require(ctx.user, "project:read")
    status = params.get("status") or ""
    q = (params.get("q") or "").strip()[:200]
    page = _page_number(params.get("page"))
    cond = visible_projects_clause(ctx)
    if status in PROJECT_STATUSES:
        cond = cond & (Project.status == status)
    else:
        status = ""
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        cond = cond & Project.name.ilike(f"%{escaped}%", escape="\\")  # type: ignore[attr-defined]
    total = ctx.db.scalar(select(func.count()).select_from(Project).where(cond)) or 0
    rows = ctx.db.connection().execute(
        select(*LIST_COLUMNS).where(cond).order_by(Project.number.desc())  # type: ignore[attr-defined]
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    progress, members = _list_extras(ctx, [r.id for r in rows])
    return ProjectList(list(rows), status, q, page, max(1, -(-total // PAGE_SIZE)), total,
                       progress, members)


@cache
def _extras_statements() -> tuple[Any, Any]:
    """Built once, with the ids as one expanding parameter: building them with 50 literal ids
    cost more than running them."""
    from kanvaro.tasks.models import Task  # late: tasks build on projects

    ids = bindparam("ids", expanding=True)
    done = func.sum(case((Task.status == "completed", 1), else_=0))
    progress = (select(Task.project_id, done, func.count())
                .where(Task.organization_id == bindparam("org_id"), Task.project_id.in_(ids))  # type: ignore[attr-defined]
                .group_by(Task.project_id))
    people = (select(ProjectMember.project_id, User.id, User.name)
              .join(User, User.id == ProjectMember.user_id)
              .where(ProjectMember.project_id.in_(ids), User.organization_id == bindparam("org_id"))  # type: ignore[attr-defined]
              .order_by(User.name))
    return progress, people


def _list_extras(ctx: Ctx, ids: list[int]) -> tuple[dict[int, tuple[int, int]],
                                                   dict[int, tuple[tuple[int, str], ...]]]:
    """Progress and people of the listed projects: two queries for the whole page."""
    if not ids:
        return {}, {}
    conn = ctx.db.connection()
    progress_stmt, people_stmt = _extras_statements()
    params = {"ids": ids, "org_id": ctx.org_id}
    progress = {pid: (int(d or 0), int(n)) for pid, d, n in conn.execute(progress_stmt, params).all()}
    members: dict[int, list[tuple[int, str]]] = {}
    for pid, uid, name in conn.execute(people_stmt, params).all():
        members.setdefault(pid, []).append((uid, name))
    return progress, {pid: tuple(people) for pid, people in members.items()}
