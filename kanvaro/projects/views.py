"""Project pages: list, create, the project page (its stories and tasks), edit, delete."""

from __future__ import annotations

from starlette.responses import Response

from kanvaro.forms import BaseForm
from kanvaro.inputs import refill
from kanvaro.projects import actions
from kanvaro.projects import queries as projects
from kanvaro.projects.forms import NewProject, ProjectEdit
from kanvaro.projects.models import Project
from kanvaro.stories.forms import StoryForm
from kanvaro.stories.queries import project_stories
from kanvaro.tasks import queries as tasks
from kanvaro.tasks.forms import TaskForm
from kanvaro.web.paging import page_href
from kanvaro.web.shapes import edit_route
from kanvaro.web.view import Web, view


@view()
def project_list(web: Web) -> Response:
    found = projects.project_list(web.ctx, web.request.query_params)
    return web.render(
        "projects/list.html", block="results", projects=found.rows, status=found.status,
        q=found.q, page=found.page, pages=found.pages, total=found.total,
        progress=found.progress, members=found.members,
        page_href=page_href({"q": found.q, "status": found.status}),
    )


def _form_page(web: Web, form: BaseForm, project: Project | None, http_status: int = 200,
               conflict: bool = False) -> Response:
    return web.render("projects/form.html", block="form", http_status=http_status, form=form,
                      project=project, conflict=conflict)


def _sent_form(web: Web, errors: dict[str, list[str]], version: int | None = None) -> BaseForm:
    return refill(actions.project_form(web.ctx, web.data()), errors, version=version)


@view()
def project_new(web: Web) -> Response:
    return _form_page(web, actions.new_project_form(web.ctx), None)


@view()
def project_create(web: Web) -> Response:
    return edit_route(
        web, lambda: actions.create_project(web.ctx, web.sent(NewProject)),
        lambda project: web.url("project", project_id=project.id),
        lambda exc: _form_page(web, _sent_form(web, exc.errors), None, 422),
        flash=lambda project: f"Project “{project.name}” created.",
    )


def project_page(
    web: Web, project: Project, *, task_form_: TaskForm | None = None,
    story_form: StoryForm | None = None, http_status: int = 200, block: str | None = None,
) -> Response:
    """The project page: facts, stories, and its tasks as a filtered, paginated list."""
    ctx = web.ctx
    assert project.id is not None
    stories = project_stories(ctx, project.id)
    people = projects.project_people(ctx, project.id)
    listed = tasks.task_list(ctx, project, web.request.query_params, people, stories)
    # A form as sent (with its errors) is drawn each time; a fresh one is drawn once for what
    # it offers and kept (templating.Fragments), so it is built only when not kept yet.
    choices = (project.id, tuple((s.id, s.title) for s in stories), tuple(people))

    def new_task_form() -> TaskForm:
        return TaskForm(stories=[(s.id, s.title) for s in stories if s.id is not None],
                        people=people)
    return web.render(
        "projects/detail.html", block=block or "projects/_tasks.html#task_list",
        http_status=http_status, project=project, view="list",
        members=[name for _, name in people], stories=stories, people=people,
        f=listed.filters, filtered=bool(listed.kept.keys() - {"sort"}), tasks=listed.rows,
        total=listed.total, capped=listed.capped, page=listed.page, pages=listed.pages,
        has_next=listed.has_next, page_href=page_href(listed.kept), today=ctx.now.date(),
        task_form=task_form_, new_task_form=new_task_form, story_form=story_form,
        new_story_form=StoryForm, choices=choices,
    )


@view()
def project_detail(web: Web, project_id: int) -> Response:
    return project_page(web, projects.get_project(web.ctx, project_id))


@view()
def project_edit(web: Web, project_id: int) -> Response:
    project, form = actions.edit_project_form(web.ctx, project_id)
    return _form_page(web, form, project)


@view()
def project_update(web: Web, project_id: int) -> Response:
    return edit_route(
        web, lambda: actions.update_project(web.ctx, project_id, web.sent(ProjectEdit)),
        lambda project: web.url("project", project_id=project.id),
        lambda exc: _form_page(web, _sent_form(web, exc.errors),
                               projects.get_project(web.ctx, project_id), 422),
        lambda exc: _form_page(web, _sent_form(web, {}, version=exc.current.version),
                               exc.current, 409, conflict=True),
        flash=lambda project: "Project saved.",
    )


@view()
def project_delete_page(web: Web, project_id: int) -> Response:
    """The question before a project goes: what it takes with it (decisions.md)."""
    found = projects.deletion(web.ctx, project_id)
    return web.render("projects/delete.html", project=found.project, tasks=found.tasks,
                      stories=found.stories)


@view()
def project_delete(web: Web, project_id: int) -> Response:
    name = actions.delete_project(web.ctx, project_id)
    return web.done(web.url("projects"), f"Project “{name}” deleted, with its tasks and stories.")
