"""The project form."""

from __future__ import annotations

from typing import Any

from wtforms import DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from kanvaro.enums import PRIORITIES, PROJECT_STATUSES
from kanvaro.forms import BaseForm, choices, no_control_chars, strip_text, version_field


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
    # Checked by validate_members, with a message a person can act on.
    members = SelectMultipleField("Members", coerce=int, choices=[], validate_choice=False)

    def __init__(
        self, formdata: Any = None, *, people: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(formdata, **kwargs)
        self.members.choices = choices(people)

    def validate_end_date(self, field: Any) -> None:
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError("The end date cannot be before the start date.")

    def validate_members(self, field: Any) -> None:
        allowed = {c.value for c in field.choices}
        if any(value not in allowed for value in field.data or []):
            raise ValidationError("Choose members from the people of your organization.")
