"""Stories: create, edit, delete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import update

from kanvaro import audit
from kanvaro.context import Ctx
from kanvaro.errors import Conflict, Invalid
from kanvaro.forms.tasks import StoryForm
from kanvaro.loaders import get_project, get_story
from kanvaro.models import Story, Task
from kanvaro.permissions import require

FIELDS = ("title", "description", "priority", "story_points", "status")


def _values(form: StoryForm) -> dict[str, Any]:
    return {
        "title": form.title.data,
        "description": form.description.data or "",
        "priority": form.priority.data,
        "story_points": form.story_points.data,
        "status": form.status.data,
    }


def create_story(ctx: Ctx, project_id: int, data: Mapping[str, Any] | Any) -> Story:
    project = get_project(ctx, project_id)
    require(ctx.user, "story:create")
    form = StoryForm(data)
    if not form.validate():
        raise Invalid(form)
    values = _values(form)
    story = Story(organization_id=ctx.org_id, project_id=project.id, created_by_id=ctx.user.id,
                  created_at=ctx.now, updated_at=ctx.now, **values)
    ctx.db.add(story)
    ctx.db.flush()
    audit.record(ctx, "story.created", "story", story.id,
                 {k: [None, v] for k, v in values.items() if v not in (None, "")})
    return story


def update_story(ctx: Ctx, story_id: int, data: Mapping[str, Any] | Any) -> Story:
    story = get_story(ctx, story_id, for_update=True)
    require(ctx.user, "story:update")
    form = StoryForm(data)
    if not form.validate():
        raise Invalid(form)
    expected = data.get("version") if hasattr(data, "get") else None
    if expected is not None and str(expected) != str(story.version):
        raise Conflict(story, form)
    before = {k: getattr(story, k) for k in FIELDS}
    after = _values(form)
    changes = audit.diff(before, after)
    if not changes:
        return story
    for key, value in after.items():
        setattr(story, key, value)
    story.version += 1
    story.updated_at = ctx.now
    ctx.db.flush()
    audit.record(ctx, "story.updated", "story", story.id, changes)
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
    audit.record(ctx, "story.deleted", "story", story_id, {"title": [title, None]})
    return project_id
