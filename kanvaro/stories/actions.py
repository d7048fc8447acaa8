"""Stories: create, edit, delete."""

from __future__ import annotations

from sqlalchemy import update

from kanvaro import audit, events
from kanvaro.columns import apply_edit
from kanvaro.context import Ctx
from kanvaro.errors import expect_version
from kanvaro.inputs import Parsed
from kanvaro.markdown import render
from kanvaro.permissions import require
from kanvaro.projects.queries import get_project
from kanvaro.stories.forms import NewStory, StoryEdit, StoryForm
from kanvaro.stories.models import Story
from kanvaro.stories.queries import get_story
from kanvaro.tasks.models import Task

FIELDS = ("title", "description", "priority", "story_points", "status")


def edit_story_form(ctx: Ctx, story_id: int) -> StoryForm:
    """The story's edit form, filled in, for those who may edit it."""
    story = get_story(ctx, story_id)
    require(ctx.user, "story:update")
    data = {k: getattr(story, k) for k in FIELDS} | {"version": str(story.version)}
    return StoryForm(None, data=data)


def _values(value: NewStory) -> dict[str, object]:
    """The input by column (the names are the same)."""
    return {k: getattr(value, k) for k in FIELDS}


def create_story(ctx: Ctx, project_id: int, sent: Parsed[NewStory]) -> Story:
    project = get_project(ctx, project_id)
    require(ctx.user, "story:create")
    values = _values(sent.valid())
    story = Story(organization_id=ctx.org_id, project_id=project.id, created_by_id=ctx.user.id,
                  created_at=ctx.now, updated_at=ctx.now, **values,
                  description_html=render(ctx, str(values["description"]), project_id=project.id).html)
    ctx.db.add(story)
    ctx.db.flush()
    ctx.emit(events.StoryCreated(story.id, project_id=story.project_id, changes=
                 {k: [None, v] for k, v in values.items() if v not in (None, "")}))
    return story


def update_story(ctx: Ctx, story_id: int, sent: Parsed[StoryEdit]) -> Story:
    story = get_story(ctx, story_id, for_update=True)
    require(ctx.user, "story:update")
    value = sent.valid()
    expect_version(value.version, story.version, story)
    before = {k: getattr(story, k) for k in FIELDS}
    after = _values(value)
    changes = audit.diff(before, after)
    if not changes:
        return story
    apply_edit(story, after, ctx.now)
    if "description" in changes:
        story.description_html = render(ctx, story.description, project_id=story.project_id).html
    ctx.db.flush()
    ctx.emit(events.StoryUpdated(story.id, changes, project_id=story.project_id))
    return story


def delete_story(ctx: Ctx, story_id: int) -> int:
    """Delete the story (its tasks stay, without a story); returns the project id."""
    story = get_story(ctx, story_id)
    require(ctx.user, "story:delete")
    ctx.db.execute(
        update(Task).where(Task.story_id == story.id, Task.organization_id == ctx.org_id)
        .values(story_id=None, version=Task.version + 1, updated_at=ctx.now)
    )
    project_id, title = story.project_id, story.title
    ctx.db.delete(story)
    ctx.db.flush()
    ctx.emit(events.StoryDeleted(story_id, {"title": [title, None]}, project_id=project_id))
    return project_id
