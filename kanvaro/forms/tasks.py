"""Task, story and status forms."""

from __future__ import annotations

from typing import Any

from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from kanvaro.forms.base import BaseForm, choices, no_control_chars, strip_text
from kanvaro.models.work import PRIORITIES, STORY_STATUSES, TASK_STATUSES


def _optional_id(value: Any) -> int | None:
    if value in (None, "", "None"):
        return None
    return int(value)


def _title(label: str, id: str | None = None) -> StringField:
    return StringField(
        label,
        id=id,
        filters=[strip_text],
        validators=[
            InputRequired("Enter a title."),
            Length(min=1, max=200, message="Use 1 to 200 characters."),
            no_control_chars,
        ],
    )


def _points(id: str | None = None) -> IntegerField:
    return IntegerField(
        "Story points",
        id=id,
        validators=[Optional(), NumberRange(0, 100, "Use a whole number from 0 to 100.")],
    )


class TaskForm(BaseForm):
    title = _title("Title")
    description = TextAreaField(
        "Description", filters=[strip_text], validators=[Length(max=20000), no_control_chars]
    )
    story = SelectField("Story", coerce=_optional_id, choices=[], validate_choice=True)
    assignee = SelectField("Assignee", coerce=_optional_id, choices=[], validate_choice=True)
    priority = SelectField("Priority", choices=choices(PRIORITIES), default="medium")
    story_points = _points()
    due_date = DateField("Due date", validators=[Optional()], format="%Y-%m-%d")
    status = SelectField("Status", choices=choices(TASK_STATUSES), default="todo")

    def __init__(
        self,
        formdata: Any = None,
        *,
        stories: list[tuple[int, str]],
        people: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(formdata, **kwargs)
        self.story.choices = choices([(None, "No story"), *stories])
        self.assignee.choices = choices([(None, "Unassigned"), *people])


class StoryForm(BaseForm):
    """Ids are prefixed: the story form shares the project page with the task form."""

    title = _title("Title", id="story-title")
    description = TextAreaField(
        "Description", id="story-description", filters=[strip_text],
        validators=[Length(max=20000), no_control_chars],
    )
    priority = SelectField(
        "Priority", id="story-priority", choices=choices(PRIORITIES), default="medium"
    )
    story_points = _points(id="story-points")
    status = SelectField(
        "Status", id="story-status", choices=choices(STORY_STATUSES), default="todo"
    )


class StatusForm(BaseForm):
    status = SelectField(
        "Status", choices=choices(TASK_STATUSES), validators=[InputRequired("Choose a status.")]
    )
