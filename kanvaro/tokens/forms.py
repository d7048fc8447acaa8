"""The form that makes a personal access token, and the input of the action it feeds."""

from __future__ import annotations

from typing import Any

from wtforms import IntegerField, RadioField, StringField
from wtforms.validators import AnyOf, DataRequired, Length, NumberRange

from kanvaro.forms import BaseForm, choices, no_control_chars, strip_text
from kanvaro.inputs import input_of

SCOPES = {"read": "Read: look, never change", "write": "Write: also create, change and delete"}
MAX_DAYS = 366
DEFAULT_DAYS = 90
DAYS_HELP = f"Use a whole number of days from 1 to {MAX_DAYS}."


class DaysField(IntegerField):
    """A number of days: plain ASCII digits only, one message for anything else (WTForms'
    own "Not a valid integer value." would come with the range's message beside it)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            text = str(valuelist[0]).strip()
            self.data = int(text) if text.isascii() and text.isdigit() and len(text) < 6 else None


class TokenForm(BaseForm):
    name = StringField("Name", filters=[strip_text], validators=[
        DataRequired("Name the token, e.g. after the script that will use it."),
        Length(max=100, message="Use at most 100 characters."), no_control_chars])
    # The choices are fixed, so the rule names them (no database to ask).
    scope = RadioField("Scope", choices=choices(SCOPES), default="read", validate_choice=False,
                       validators=[AnyOf(list(SCOPES), message="Choose read or write.")])
    # Left out of a body, a field keeps its default (90 days, read); sent empty it is wrong.
    expires_in_days = DaysField("Expires in (days)", default=DEFAULT_DAYS,
                                validators=[NumberRange(1, MAX_DAYS, DAYS_HELP)])


@input_of(TokenForm, "POST /account/tokens")
class NewToken:
    name: str
    scope: str
    expires_in_days: int
