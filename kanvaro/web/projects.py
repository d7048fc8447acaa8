"""Project pages: list, create, view, edit, delete."""

from __future__ import annotations

from sqlalchemy import func, select
from starlette.responses import Response

from kanvaro.actions import projects as actions
from kanvaro.errors import Conflict, Invalid
from kanvaro.loaders import get_project, visible_projects_clause
from kanvaro.models import Project, ProjectMember, User
from kanvaro.models.work import PROJECT_STATUSES
from kanvaro.permissions import require
from kanvaro.web.base import Web, page_href, view

PAGE_SIZE = 50
# Plain rows, not ORM objects: the list shows these columns only.
LIST_COLUMNS = (Project.id, Project.number, Project.name, Project.status, Project.priority,
                Project.start_date, Project.end_date)


def _page_number(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 10_000))
    except ValueError:
        return 1


@view()
def project_list(web: Web) -> Response:
    require(web.ctx.user, "project:read")
    params = web.request.query_params
    status = params.get("status") or ""
    q = (params.get("q") or "").strip()[:200]
    page = _page_number(params.get("page"))
    cond = visible_projects_clause(web.ctx)
    if status in PROJECT_STATUSES:
        cond = cond & (Project.status == status)
    else:
        status = ""
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        cond = cond & Project.name.ilike(f"%{escaped}%", escape="\\")  # type: ignore[attr-defined]
    total = web.db.scalar(select(func.count()).select_from(Project).where(cond)) or 0
    rows = web.db.connection().execute(
        select(*LIST_COLUMNS).where(cond).order_by(Project.number.desc())  # type: ignore[attr-defined]
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    return web.render(
        "projects/list.html", block="results", projects=rows, status=status, q=q,
        page=page, pages=max(1, -(-total // PAGE_SIZE)), total=total,
        page_href=page_href({"q": q, "status": status}),
    )


@view()
def project_new(web: Web) -> Response:
    require(web.ctx.user, "project:create")
    form = actions.project_form(web.ctx)
    return web.render("projects/form.html", block="form", form=form, project=None)


@view()
def project_create(web: Web) -> Response:
    try:
        project = actions.create_project(web.ctx, web.data())
    except Invalid as exc:
        return web.render("projects/form.html", block="form", http_status=422, form=exc.form, project=None)
    return web.done(f"/projects/{project.id}")


def _members(web: Web, project_id: int) -> list[User]:
    return list(
        web.db.scalars(
            select(User).join(ProjectMember, ProjectMember.user_id == User.id)
            .where(ProjectMember.project_id == project_id, User.organization_id == web.ctx.org_id)
            .order_by(User.name)
        )
    )


@view()
def project_detail(web: Web, project_id: int) -> Response:
    from kanvaro.web.tasks import project_page

    return project_page(web, get_project(web.ctx, project_id))


@view()
def project_edit(web: Web, project_id: int) -> Response:
    project = get_project(web.ctx, project_id)
    require(web.ctx.user, "project:update")
    data = {k: getattr(project, k) for k in actions.FIELDS}
    form = actions.project_form(web.ctx, None, data=data)
    form.members.data = [u.id for u in _members(web, project_id)]
    return web.render("projects/form.html", block="form", form=form, project=project)


@view()
def project_update(web: Web, project_id: int) -> Response:
    try:
        project = actions.update_project(web.ctx, project_id, web.data())
    except Invalid as exc:
        project = get_project(web.ctx, project_id)
        return web.render("projects/form.html", block="form", http_status=422, form=exc.form,
                          project=project)
    except Conflict as exc:
        return web.render("projects/form.html", block="form", http_status=409, form=exc.form,
                          project=exc.current, conflict=True)
    return web.done(f"/projects/{project.id}")


@view()
def project_delete(web: Web, project_id: int) -> Response:
    actions.delete_project(web.ctx, project_id)
    return web.done("/projects")
