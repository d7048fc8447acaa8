"""/api/v1/projects/{id}/stories and /api/v1/stories/{id}, through the stories' actions."""

from __future__ import annotations

from typing import Any

from kanvaro.api import paging, schemas
from kanvaro.api.bodies import body_of
from kanvaro.api.endpoint import Answer, Call, Operation
from kanvaro.api.schemas import iso
from kanvaro.errors import Conflict
from kanvaro.inputs import parse
from kanvaro.projects.queries import get_project
from kanvaro.stories import actions
from kanvaro.stories.forms import NewStory, StoryEdit
from kanvaro.stories.models import Story
from kanvaro.stories.queries import get_story

NewStoryBody = body_of(NewStory, "NewStory", required=("title",))
StoryPatch = body_of(StoryEdit, "StoryPatch")


def shown(story: Story) -> dict[str, Any]:
    return {"id": story.id, "project": story.project_id, "title": story.title,
            "description": story.description, "status": story.status,
            "priority": story.priority, "story_points": story.story_points,
            "created_at": iso(story.created_at), "updated_at": iso(story.updated_at),
            "version": story.version}


def list_stories(call: Call, project_id: int) -> Answer:
    ctx = call.ctx
    project = get_project(ctx, project_id)
    return Answer(paging.listed(ctx, Story, (Story.project_id == project.id)
                                & (Story.organization_id == ctx.org_id), call.params, shown))


def create_story(call: Call, project_id: int) -> Answer:
    story = actions.create_story(call.ctx, project_id, parse(NewStory, call.sent()))
    return Answer(shown(story), 201, {"Location": call.location("api_story", story_id=story.id)})


def read_story(call: Call, story_id: int) -> Answer:
    return Answer(shown(get_story(call.ctx, story_id)))


def update_story(call: Call, story_id: int) -> Answer:
    ctx = call.ctx
    story = get_story(ctx, story_id, for_update=True)  # as the action reads it
    current = {"title": story.title, "description": story.description, "status": story.status,
               "priority": story.priority, "story_points": story.story_points}
    try:
        story = actions.update_story(ctx, story_id, parse(StoryEdit, {**current, **call.sent()}))
    except Conflict as exc:
        raise Conflict(shown(exc.current)) from None
    return Answer(shown(story))


def delete_story(call: Call, story_id: int) -> Answer:
    actions.delete_story(call.ctx, story_id)
    return Answer(None, 204)


OPERATIONS = (
    Operation("GET", "/projects/{project_id:id}/stories", list_stories, "List a project's stories",
              schemas.Page[schemas.Story], query=paging.QUERY, tag="stories", name="api_stories"),
    Operation("POST", "/projects/{project_id:id}/stories", create_story, "Create a story",
              schemas.Story, body=NewStoryBody, status=201, tag="stories", name="api_story_create"),
    Operation("GET", "/stories/{story_id:id}", read_story, "Read a story", schemas.Story,
              tag="stories", name="api_story"),
    Operation("PATCH", "/stories/{story_id:id}", update_story, "Change a story", schemas.Story,
              body=StoryPatch, tag="stories", name="api_story_update"),
    Operation("DELETE", "/stories/{story_id:id}", delete_story,
              "Delete a story (its tasks stay, without a story)", None, status=204,
              tag="stories", name="api_story_delete"),
)
