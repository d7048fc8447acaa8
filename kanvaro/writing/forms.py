"""The preview form, and the input of the preview."""

from __future__ import annotations

from wtforms import IntegerField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from kanvaro.forms import BaseForm, no_control_chars, strip_text
from kanvaro.inputs import input_of

# The longest Markdown any form takes (task and story descriptions).
MAX_TEXT = 20_000


class PreviewForm(BaseForm):
    text = TextAreaField("Text", filters=[strip_text], validators=[
        Length(max=MAX_TEXT, message=f"Use at most {MAX_TEXT:,} characters."), no_control_chars])
    project_id = IntegerField("Project", widget=HiddenInput(), validators=[
        Optional(), NumberRange(1, 2**62, "That is not a project.")])


@input_of(PreviewForm, "POST /markdown/preview")
class PreviewInput:
    text: str
    project_id: int | None
