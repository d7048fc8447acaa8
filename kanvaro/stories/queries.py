"""The read side of stories: the loader and a project's stories."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from kanvaro.context import Ctx
from kanvaro.errors import NotFound
from kanvaro.projects.models import Project
from kanvaro.projects.queries import visible_projects_clause
from kanvaro.stories.models import Story


def get_story(ctx: Ctx, story_id: int, *, for_update: bool = False) -> Story:
    """The story, if the actor may see its project; NotFound otherwise."""
    stmt = select(Story).where(
        Story.id == story_id,
        Story.organization_id == ctx.org_id,
        Story.project_id.in_(select(Project.id).where(visible_projects_clause(ctx))),  # type: ignore[attr-defined]
    )
    story = ctx.db.scalar(stmt.with_for_update(of=Story) if for_update else stmt)
    if story is None:
        raise NotFound("story")
    return story


def project_stories(ctx: Ctx, project_id: int) -> list[Story]:
    """The stories of a project the caller got from a loader (not re-checked)."""
    return list(ctx.db.scalars(
        select(Story).where(Story.project_id == project_id, Story.organization_id == ctx.org_id)
        .order_by(Story.id)
    ))


@dataclass(frozen=True)
class StoryPage:
    story: Story
    project: Project


def story_page(ctx: Ctx, story_id: int) -> StoryPage:
    """A story with its project, both read within what the actor may see."""
    story = get_story(ctx, story_id)
    project = ctx.db.scalar(select(Project).where(Project.id == story.project_id,
                                                  Project.organization_id == ctx.org_id))
    assert project is not None  # the loader saw the story through its project
    return StoryPage(story, project)
