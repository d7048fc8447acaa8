"""The task and status forms, and the inputs of the task actions they check."""

from __future__ import annotations

from datetime import date
from typing import Any

from wtforms import DateField, IntegerField, SelectField, SelectMultipleField, TextAreaField
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
from kanvaro.inputs import input_of


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
    # Which stories and people may be chosen is the action's check (a story of this project,
    # a member of it): the choices here are what the page offers.
    story = SelectField("Story", coerce=_optional_id, choices=[], validate_choice=False)
    assignees = SelectMultipleField("Assignees", coerce=int, choices=[], validate_choice=False)
    # The first design's one assignee, still taken (a JSON or CSV caller may send it): one
    # more of `assignees`. The page shows only `assignees`.
    assignee = SelectField("Assignee", coerce=_optional_id, choices=[], validate_choice=False)
    priority = SelectField("Priority", choices=choices(PRIORITIES), default="medium")
    story_points = points_field()
    due_date = DateField("Due date", validators=[Optional()], format="%Y-%m-%d")
    status = SelectField("Status", choices=choices(TASK_STATUSES), default="todo")

    def __init__(
        self,
        formdata: Any = None,
        *,
        stories: list[tuple[int, str]] = (),  # type: ignore[assignment]
        people: list[tuple[int, str]] = (),  # type: ignore[assignment]
        **kwargs: Any,
    ) -> None:
        super().__init__(formdata, **kwargs)
        self.story.choices = choices([(None, "No story"), *stories])
        self.assignees.choices = choices(people)
        self.assignee.choices = choices([(None, "Unassigned"), *people])

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        # The one assignee is one of `assignees`: its errors are theirs, where the page shows them.
        if self.assignee.errors:
            self.assignees.errors = [*self.assignees.errors, *self.assignee.errors]
            self.assignee.errors = []
        return ok


class MoveForm(BaseForm):
    to = SelectField("Move", choices=choices({"up": "Up", "down": "Down", "top": "To the top",
                                             "bottom": "To the bottom"}), validate_choice=False)
    before = IntegerField("Before task", validators=[Optional()])
    view = SelectField("View", choices=choices({"board": "Board", "backlog": "Backlog"}),
                       default="backlog")


class StatusForm(BaseForm):
    version = version_field()
    status = SelectField(
        "Status", choices=choices(TASK_STATUSES), validators=[InputRequired("Choose a status.")]
    )


# -- what the actions take (kanvaro.inputs) --------------------------------------------

@input_of(TaskForm, "POST /projects/{id}/tasks")
class NewTask:
    title: str
    description: str
    story: int | None
    assignees: list[int]
    assignee: int | None
    priority: str
    story_points: int | None
    due_date: date | None
    status: str  # a board column's quick-add creates the task in that column


@input_of(TaskForm, "POST /tasks/{id}: as created, plus the edit's version")
class TaskEdit(NewTask):
    version: int | None


@input_of(StatusForm, "POST /tasks/{id}/status")
class StatusChange:
    status: str
    version: int | None


@input_of(MoveForm, "POST /tasks/{id}/move")
class Move:
    to: str
    before: int | None
    view: str
