"""Story pages: create (from the project page), view, edit, delete."""

from __future__ import annotations

from starlette.responses import Response

from kanvaro.forms import BaseForm
from kanvaro.inputs import refill
from kanvaro.projects.queries import get_project
from kanvaro.projects.views import project_page
from kanvaro.stories import actions
from kanvaro.stories import queries as stories
from kanvaro.stories.forms import NewStory, StoryEdit, StoryForm
from kanvaro.tasks.queries import story_tasks
from kanvaro.web.flash import Flash
from kanvaro.web.shapes import edit_route
from kanvaro.web.view import Web, view


@view()
def story_create(web: Web, project_id: int) -> Response:
    return edit_route(
        web, lambda: actions.create_story(web.ctx, project_id, web.sent(NewStory)),
        lambda story: web.url("project", project_id=story.project_id),
        lambda exc: project_page(web, get_project(web.ctx, project_id), http_status=422,
                                 story_form=refill(StoryForm(web.data()), exc.errors),
                                 block="projects/_tasks.html#story_form"),
        flash=lambda story: Flash(f"Story “{story.title}” added.", reopen="story-form"),
    )


@view()
def story_detail(web: Web, story_id: int) -> Response:
    page = stories.story_page(web.ctx, story_id)
    return web.render("stories/detail.html", block="story", story=page.story,
                      project=page.project, tasks=story_tasks(web.ctx, page.story),
                      today=web.ctx.now.date())


def _form_page(web: Web, story_id: int, form: BaseForm | None = None, http_status: int = 200,
               conflict: bool = False, errors: dict[str, list[str]] | None = None) -> Response:
    """The edit form: as stored, or (`form` None) as sent again."""
    page = stories.story_page(web.ctx, story_id)
    if form is None:
        form = refill(StoryForm(web.data()), errors or {},
                      version=page.story.version if conflict else None)
    return web.render("stories/form.html", block="form", http_status=http_status, form=form,
                      story=page.story, project=page.project, version=page.story.version,
                      conflict=conflict)


@view()
def story_edit(web: Web, story_id: int) -> Response:
    return _form_page(web, story_id, actions.edit_story_form(web.ctx, story_id))


@view()
def story_update(web: Web, story_id: int) -> Response:
    return edit_route(
        web, lambda: actions.update_story(web.ctx, story_id, web.sent(StoryEdit)),
        lambda story: web.url("story", story_id=story.id),
        lambda exc: _form_page(web, story_id, http_status=422, errors=exc.errors),
        lambda exc: _form_page(web, story_id, http_status=409, conflict=True),
        flash=lambda story: "Story saved.",
    )


@view()
def story_delete(web: Web, story_id: int) -> Response:
    project_id = actions.delete_story(web.ctx, story_id)
    return web.done(web.url("project", project_id=project_id), "Story deleted; its tasks stay.")
