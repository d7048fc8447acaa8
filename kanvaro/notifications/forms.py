"""The mail settings form, and the input of the action it feeds."""

from __future__ import annotations

from wtforms import SelectMultipleField

from kanvaro.forms import BaseForm, choices
from kanvaro.inputs import input_of
from kanvaro.notifications.models import KINDS


class MailSettingsForm(BaseForm):
    # The kinds to mail; a kind left unchecked is turned off. Unknown values are left out, as
    # the permissions of a custom role are: there is nothing to correct in a checkbox.
    mail = SelectMultipleField("Mail me about", choices=choices(KINDS), validate_choice=False)


@input_of(MailSettingsForm, "POST /account/notifications")
class MailSettings:
    mail: list[str]
