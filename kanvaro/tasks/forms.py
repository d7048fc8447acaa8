"""The task and status forms."""

from __future__ import annotations

from typing import Any

from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from kanvaro.enums import PRIORITIES, TASK_STATUSES
from kanvaro.forms import (
    BaseForm,
    choices,
    no_control_chars,
    points_field,
    strip_text,
    title_field,
    version_field,
)


def _optional_id(value: Any) -> int | None:
    if value in (None, "", "None"):
        return None
    return int(value)


class TaskForm(BaseForm):
    version = version_field()
    title = title_field("Title")
    description = TextAreaField(
        "Description", filters=[strip_text], validators=[Length(max=20000), no_control_chars]
    )
    story = SelectField("Story", coerce=_optional_id, choices=[], validate_choice=True)
    assignee = SelectField("Assignee", coerce=_optional_id, choices=[], validate_choice=True)
    priority = SelectField("Priority", choices=choices(PRIORITIES), default="medium")
    story_points = points_field()
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


class StatusForm(BaseForm):
    status = SelectField(
        "Status", choices=choices(TASK_STATUSES), validators=[InputRequired("Choose a status.")]
    )
