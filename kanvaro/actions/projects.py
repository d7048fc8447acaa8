"""Create, update and delete projects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, insert, update

from kanvaro import audit
from kanvaro.context import Ctx
from kanvaro.errors import Conflict, Invalid
from kanvaro.forms.projects import ProjectForm
from kanvaro.loaders import get_project, org_users, project_member_ids
from kanvaro.models import Organization, Project, ProjectMember, Story, Task
from kanvaro.permissions import require

FIELDS = ("name", "description", "status", "priority", "start_date", "end_date")


def project_form(ctx: Ctx, formdata: Any = None, **kwargs: Any) -> ProjectForm:
    people = [(u.id, u.name) for u in org_users(ctx) if u.id is not None]
    return ProjectForm(formdata, people=people, **kwargs)


def _validated(ctx: Ctx, data: Any) -> ProjectForm:
    form = project_form(ctx, data)
    if not form.validate():
        raise Invalid(form)
    return form


def _values(form: ProjectForm) -> dict[str, Any]:
    return {
        "name": form.name.data,
        "description": form.description.data or "",
        "status": form.status.data,
        "priority": form.priority.data,
        "start_date": form.start_date.data,
        "end_date": form.end_date.data,
    }


def _set_members(ctx: Ctx, project: Project, member_ids: set[int]) -> None:
    ctx.db.execute(delete(ProjectMember).where(ProjectMember.project_id == project.id))
    if member_ids:
        ctx.db.execute(
            insert(ProjectMember),
            [
                {"organization_id": project.organization_id, "project_id": project.id, "user_id": uid}
                for uid in sorted(member_ids)
            ],
        )


def create_project(ctx: Ctx, data: Mapping[str, Any] | Any) -> Project:
    require(ctx.user, "project:create")
    form = _validated(ctx, data)
    number = ctx.db.execute(
        update(Organization)
        .where(Organization.id == ctx.org_id)
        .values(project_seq=Organization.project_seq + 1)
        .returning(Organization.project_seq)
    ).scalar_one()
    values = _values(form)
    project = Project(
        organization_id=ctx.org_id,
        number=number,
        created_by_id=ctx.user.id,
        created_at=ctx.now,
        updated_at=ctx.now,
        **values,
    )
    ctx.db.add(project)
    ctx.db.flush()
    members = set(form.members.data or []) | {ctx.user.id}
    _set_members(ctx, project, members)
    changes = {k: [None, v] for k, v in values.items() if v not in (None, "")}
    changes["members"] = [None, sorted(members)]
    audit.record(ctx, "project.created", "project", project.id, changes)
    return project


def update_project(ctx: Ctx, project_id: int, data: Mapping[str, Any] | Any) -> Project:
    project = get_project(ctx, project_id, for_update=True)
    require(ctx.user, "project:update")
    form = _validated(ctx, data)
    expected = (data.get("version") if hasattr(data, "get") else None) or ""
    if expected and expected != str(project.version):
        raise Conflict(project, form)
    before = {k: getattr(project, k) for k in FIELDS}
    before_members = sorted(project_member_ids(ctx, project.id))  # type: ignore[arg-type]
    after = _values(form)
    members = set(form.members.data or [])
    if project.created_by_id is not None:
        members.add(project.created_by_id)
    changes = audit.diff(before, after)
    if sorted(members) != before_members:
        if not ctx.user.can("project:manage_team"):
            require(ctx.user, "project:manage_team")
        changes["members"] = [before_members, sorted(members)]
        _set_members(ctx, project, members)
    for key, value in after.items():
        setattr(project, key, value)
    project.version += 1
    project.updated_at = ctx.now
    ctx.db.flush()
    audit.record(ctx, "project.updated", "project", project.id, changes)
    return project


def delete_project(ctx: Ctx, project_id: int) -> None:
    project = get_project(ctx, project_id)
    require(ctx.user, "project:delete")
    ctx.db.execute(delete(Task).where(Task.project_id == project.id))
    ctx.db.execute(delete(Story).where(Story.project_id == project.id))
    ctx.db.execute(delete(ProjectMember).where(ProjectMember.project_id == project.id))
    name, number = project.name, project.number
    ctx.db.delete(project)
    ctx.db.flush()
    audit.record(ctx, "project.deleted", "project", project_id, {"name": [name, None], "number": [number, None]})
