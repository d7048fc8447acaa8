"""The story form."""

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
