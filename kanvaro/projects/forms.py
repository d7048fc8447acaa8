"""The project form, and the inputs of the project actions it checks."""

from __future__ import annotations

from datetime import date
from typing import Any

from wtforms import DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from kanvaro.enums import PRIORITIES, PROJECT_STATUSES
from kanvaro.forms import BaseForm, choices, no_control_chars, strip_text, version_field
from kanvaro.inputs import input_of


class ProjectForm(BaseForm):
    version = version_field()
    name = StringField(
        "Name",
        filters=[strip_text],
        validators=[
            DataRequired("Enter a project name."),
            Length(min=1, max=200, message="Use 1 to 200 characters."),
            no_control_chars,
        ],
    )
    description = TextAreaField(
        "Description", filters=[strip_text], validators=[Length(max=10000), no_control_chars]
    )
    start_date = DateField("Start date", validators=[Optional()], format="%Y-%m-%d")
    end_date = DateField("End date", validators=[Optional()], format="%Y-%m-%d")
    status = SelectField("Status", choices=choices(PROJECT_STATUSES), default="planning")
    priority = SelectField("Priority", choices=choices(PRIORITIES), default="medium")
    # Who may be chosen is the action's check (the people of the organization), with a
    # message a person can act on; the choices here are what the page offers.
    members = SelectMultipleField("Members", coerce=int, choices=[], validate_choice=False)

    def __init__(
        self, formdata: Any = None, *, people: list[tuple[int, str]] = (), **kwargs: Any  # type: ignore[assignment]
    ) -> None:
        super().__init__(formdata, **kwargs)
        self.members.choices = choices(people)

    def validate_end_date(self, field: Any) -> None:
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError("The end date cannot be before the start date.")


# -- what the actions take (kanvaro.inputs) --------------------------------------------

@input_of(ProjectForm, "POST /projects")
class NewProject:
    name: str
    description: str
    start_date: date | None
    end_date: date | None
    status: str
    priority: str
    members: list[int]


@input_of(ProjectForm, "POST /projects/{id}: as created, plus the edit's version")
class ProjectEdit(NewProject):
    version: int | None
