"""The webhook form, and the input of the action it checks."""

from __future__ import annotations

from typing import Any

from wtforms import PasswordField, SelectMultipleField, StringField, ValidationError
from wtforms.validators import InputRequired, Length

from kanvaro.forms import BaseForm, choices, no_control_chars, strip_text
from kanvaro.inputs import input_of
from kanvaro.webhooks.outbox import EVENTS

MAX_URL = 2000
MAX_SECRET = 200


def _known_events(form: Any, field: Any) -> None:
    chosen = field.data or []
    if not chosen:
        raise ValidationError("Choose at least one event.")
    unknown = [e for e in chosen if e not in EVENTS]
    if unknown:
        raise ValidationError(f"Not an event webhooks can send: {unknown[0][:64]}.")


def _not_blank(form: Any, field: Any) -> None:
    if isinstance(field.data, str) and field.data and not field.data.strip():
        raise ValidationError("Enter a secret to sign the deliveries with.")


def _one_line(form: Any, field: Any) -> None:
    if isinstance(field.data, str) and any(c.isspace() for c in field.data):
        raise ValidationError("Enter the address without spaces or line breaks.")


class WebhookForm(BaseForm):
    url = StringField("Payload URL", filters=[strip_text], validators=[
        InputRequired("Enter the address to post to."),
        Length(max=MAX_URL, message="Use at most 2,000 characters."), no_control_chars, _one_line,
    ])
    # Unknown values get a message of their own (`_known_events`), not WTForms' "not a choice".
    events = SelectMultipleField("Events", choices=choices(EVENTS), validate_choice=False,
                                 validators=[_known_events])
    secret = PasswordField("Secret", validators=[
        InputRequired("Enter a secret to sign the deliveries with."),
        Length(max=MAX_SECRET, message="Use at most 200 characters."), no_control_chars,
        _not_blank,
    ])


# -- what the actions take (kanvaro.inputs) --------------------------------------------

@input_of(WebhookForm, "POST /settings/webhooks")
class NewWebhook:
    url: str
    events: list[str]
    secret: str
