"""The story form, and the inputs of the story actions it checks."""

from __future__ import annotations

from wtforms import SelectField, TextAreaField
from wtforms.validators import Length

from kanvaro.enums import PRIORITIES, STORY_STATUSES
from kanvaro.forms import (
    BaseForm,
    choices,
    no_control_chars,
    points_field,
    strip_text,
    title_field,
    version_field,
)
from kanvaro.inputs import input_of


class StoryForm(BaseForm):
    """Ids are prefixed: the story form shares the project page with the task form."""
    version = version_field()

    title = title_field("Title", id="story-title")
    description = TextAreaField(
        "Description", id="story-description", filters=[strip_text],
        validators=[Length(max=20000), no_control_chars],
    )
    priority = SelectField(
        "Priority", id="story-priority", choices=choices(PRIORITIES), default="medium"
    )
    story_points = points_field(id="story-points")
    status = SelectField(
        "Status", id="story-status", choices=choices(STORY_STATUSES), default="todo"
    )


# -- what the actions take (kanvaro.inputs) --------------------------------------------

@input_of(StoryForm, "POST /projects/{id}/stories")
class NewStory:
    title: str
    description: str
    priority: str
    story_points: int | None
    status: str


@input_of(StoryForm, "POST /stories/{id}: as created, plus the edit's version")
class StoryEdit(NewStory):
    version: int | None
